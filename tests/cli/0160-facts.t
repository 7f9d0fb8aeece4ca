#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What staff and the log are told is the ticket's: a follow-up's notice
# and log line carry the ticket's plan, priority and deadline, not the
# follow-up's own headers; --received-at takes ISO 8601 with or without
# seconds and offset, and names the form it wants; the log writes every
# time the same way, in the desk's zone, in whole seconds.
# customer list names the plan deliver applies (equal ranks: the later
# subscription). A sender who is no customer is not told about a
# licence they may not have. sweep with the database down says so on
# stderr, so that cron mails it. The queue says that its time left
# counts working hours.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS=staff@desk.example
tg_setup

tap_plan 21

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null

# 1. A High ticket; the follow-up has no priority header (Medium).
mail "Jane Doe <jane@acme.example>" "Server down" "X-Priority: 1 (Highest)" >"$TEST_DIR/m1.eml"
deliver "$TEST_DIR/m1.eml" --received-at 2026-11-27T10:00
is "$rc" "0" "--received-at takes YYYY-MM-DDTHH:MM (no seconds)"
like "$err" "priority=High deadline=2026-11-27T13:00:00\+02:00 received=2026-11-27T10:00:00\+02:00 " \
	"... in the desk's zone; the log writes times with the offset's minutes"
msgid=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$TEST_DIR/m1.eml")
mail "Jane Doe <jane@acme.example>" "Re: [Support #1000] Server down" \
	"In-Reply-To: <$msgid>" >"$TEST_DIR/m2.eml"
deliver "$TEST_DIR/m2.eml" --received-at "2026-11-27T10:30+02:00"
is "$rc" "0" "--received-at takes an offset without seconds"
like "$err" "action=follow-up ticket=1000 .* plan=GOLD priority=High deadline=2026-11-27T13:00:00\+02:00 " \
	"the follow-up's log line has the ticket's plan, priority and deadline"
notice=$(last_to staff@desk.example)
body=$(text_of "$notice")
like "$body" "Priority: +High" "the follow-up's notice says the ticket's priority"
like "$body" "Plan: +GOLD" "... and its plan"
like "$body" "Due: +[A-Z][a-z]+day, 27 November 2026,? 13:00" "... and its deadline"

# 2. Other forms and mistakes.
mail "jane@acme.example" "Another" >"$TEST_DIR/m3.eml"
deliver "$TEST_DIR/m3.eml" --received-at "2026-11-27 11:00:00Z"
like "$rc:$err" "^0:.*received=2026-11-27T13:00:00\+02:00 " "a blank for the T, and Z, are read too"
deliver "$TEST_DIR/m3.eml" --received-at 27.11.2026
is "$rc" "75" "a bad --received-at defers (our wiring is wrong)"
like "$err" '^4\.3\.5 .*--received-at: "27\.11\.2026" is not a time of the form YYYY-MM-DDTHH:MM\[:SS\]\[\+HH:MM\|Z\]$' \
	"... with one line naming the option and the form it wants"

# 3. A time from the clock is logged the same way.
mail "jane@acme.example" "Now" >"$TEST_DIR/m4.eml"
deliver "$TEST_DIR/m4.eml"
like "$err" "received=[0-9-]{10}T[0-9:]{8}\+02:00 received_from=" "the clock's time too: desk zone, whole seconds"
out=$(tg sweep --now 2026-11-27T12:30 --dry-run 2>&1) && rc=0 || rc=$?
is "$rc" "0" "sweep --now takes the same forms"

# 4. Of two plans of equal rank (NONE and FREE), deliver applies the
# later subscription; customer list names the same plan.
tg customer add "Umbrella" --plan NONE --from 2026-01-01 --domain umbrella.example >/dev/null
tg subscription add "Umbrella" FREE --from 2026-02-01 >/dev/null
mail "bob@umbrella.example" "Help" >"$TEST_DIR/m5.eml"
deliver "$TEST_DIR/m5.eml" --received-at 2026-11-27T10:00
like "$err" "customer=Umbrella plan=FREE " "deliver applies the later of two equal ranks"
like "$(tg customer list | grep -A3 Umbrella)" "plan today: +FREE" \
	"customer list shows the plan deliver applies"
like "$(text_of "$(last_to bob@umbrella.example)" | tr '\n' ' ')" \
	"Your licence does not include a support plan with e-mail +support \\(FREE\\)" \
	"a customer without a plan is told that its licence has none"

# 5. Someone unknown asks whether licences are for sale.
mail "Someone <someone@example.org>" "Do you sell licences?" >"$TEST_DIR/m6.eml"
deliver "$TEST_DIR/m6.eml" --received-at 2026-11-27T10:00
body=$(text_of "$(last_to someone@example.org)" | tr '\n' ' ')
is "$(printf '%s' "$body" | grep -c 'Your licence')" "0" "an unknown sender is not told about their licence"
like "$body" "Questions about our products, licences +and plans cost +nothing" \
	"... but that questions about licences and plans cost nothing"

# 6. sweep under cron (log to syslog) with the database down.
sed 's|^conninfo = .*|conninfo = host=/nonexistent dbname=ticketgate|' \
	"$TICKETGATE_CONFIG" >"$TEST_DIR/down.conf"
out=$(TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/down.conf" sweep 2>&1 >/dev/null) && rc=0 || rc=$?
is "$rc:$(printf '%s\n' "$out" | grep -c .)" "75:1" "sweep with the database down exits 75 with one line on stderr"
like "$out" "^ticketgate sweep: database connection: .*/nonexistent" "... naming what failed, for cron to mail"

# 7. The queue's time left is in working hours, and says so.
out=$(tg queue)
like "$(printf '%s\n' "$out" | head -n 1)" " WORK LEFT " "the queue's column is WORK LEFT"
like "$(printf '%s\n' "$out" | tail -n 1)" "^\(WORK LEFT: working hours to the deadline, Monday to Friday, 09:00-18:00" \
	"... and a line below says it counts working hours, and which"

tg_done
