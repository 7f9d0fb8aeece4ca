#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The deadline watch (doc/sla.md), driven through a week of a desk's life
# with "sweep --now": warnings at [escalation] warn_at of the reaction
# time, breach notices at the deadline, never outside working hours, each
# once however many sweeps run; the morning queue on working days only.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 34

printf '[escalation]\nPLATINUM = oncall@desk.example\n' >>"$TICKETGATE_CONFIG"
tg customer add "ACME Corp" --plan PLATINUM --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
tg customer add "Globex" --plan GOLD --from 2026-01-01 --domain globex.example >/dev/null
tg staff add alice@desk.example "Alice Smith" >/dev/null

# open FROM SUBJECT RECEIVED-AT: a new ticket; prints its number.
new_ticket() {
	mail "$1" "$2" >"$TEST_DIR/open.eml"
	deliver "$TEST_DIR/open.eml" --received-at "$3"
	sql "SELECT number FROM tickets WHERE subject = '$2'"
}
# sweep_at TIME: one sweep judging deadlines at TIME (+02:00).
sweep_at() { tg sweep --now "${1}+02:00" 2>"$TEST_DIR/sweep.err"; }
# notices N: the kinds of notice recorded for ticket N.
notices() { sql "SELECT coalesce(string_agg(e.kind, ',' ORDER BY e.kind), '-') FROM escalations e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $1"; }
# subjects_to ADDR: how many recorded mails to ADDR have a subject matching RE.
subjects_to() {
	n=0
	for f in "$TG_SENDMAIL_DIR"/*.args; do
		[ -f "$f" ] || continue
		tail -n +5 "$f" | grep -qx "$1" || continue
		hdr "${f%.args}.eml" Subject | grep -Eq "$2" && n=$((n + 1))
	done
	echo "$n"
}
dailies() { subjects_to staff@desk.example '^The queue on '; }

# 1. PLATINUM, Friday 17:30: due Monday 09:30, warned Monday 09:15.
t1=$(new_ticket "Jane <jane@acme.example>" "Calls fail" 2026-11-27T17:30:00+02:00)
sweep_at 2026-11-27T17:50:00
is "$(notices "$t1"):$(dailies)" "-:1" "Friday 17:50, 20 of 60 working minutes gone: no warning; the first sweep of a working day sends its queue"
sweep_at 2026-11-27T22:00:00
sweep_at 2026-11-28T12:00:00
is "$(notices "$t1"):$(dailies)" "-:1" "Friday night and Saturday: nothing, no morning queue on a day off"
sweep_at 2026-11-30T09:05:00
is "$(notices "$t1"):$(dailies)" "-:2" "Monday 09:05: the morning queue, no warning yet"
q=$(last_to staff@desk.example)
like "$(hdr "$q" Subject)" '^The queue on Monday, 30 November 2026: 1 open$' "... the queue names the day and how many are open"
like "$(text_of "$q")" "#$t1 +PLATINUM +Medium +Mon 30 Nov 09:30 +0h 25m +ACME Corp: Calls fail" \
	"... each ticket in the order of work, with the working time left"
sweep_at 2026-11-30T09:14:00
is "$(notices "$t1")" "-" "Monday 09:14: still nothing"
sweep_at 2026-11-30T09:15:00
is "$(notices "$t1")" "warn" "Monday 09:15, 45 of 60 working minutes gone: the warning"
w=$(last_to staff@desk.example)
like "$(hdr "$w" Subject)" "^\[Support #$t1\] Due in 0h 15m: Calls fail$" "... its subject says how long is left"
like "$(text_of "$w")" "Time left: +0h 15m of working hours" "... and so does its text"
like "$(text_of "$w")" "Due: +Monday, 30 November 2026, 09:30" "... with the deadline it is about"
is "$(tail -n +5 "${w%.eml}.args" | tr '\n' ' ')" "staff@desk.example oncall@desk.example " \
	"... to the staff list and PLATINUM's own recipients"
is "$(hdr "$w" In-Reply-To)" "<$(sql "SELECT message_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = $t1 AND m.direction = 'in'")>" \
	"... threaded with the ticket's mail"
like "$(hdr "$w" Reply-To)" "^support\+$t1\.s[a-z2-7]{16}@desk\.example$" "... and answerable: its Reply-To is signed for the ticket's staff"
is "$(hdr "$w" Auto-Submitted)" "auto-generated" "... marked auto-generated"
sweep_at 2026-11-30T09:20:00
is "$(subjects_to staff@desk.example "^\[Support #$t1\] Due in"):$(dailies)" "1:2" "a later sweep sends neither again"
sweep_at 2026-11-30T09:30:00
is "$(notices "$t1")" "breach,warn" "Monday 09:30: the breach notice"
b=$(last_to oncall@desk.example)
like "$(hdr "$b" Subject)" "^\[Support #$t1\] Deadline passed: Calls fail$" "... saying so"
like "$(text_of "$b")" "Late by: +0h 00m of working hours" "... and by how much"
sweep_at 2026-11-30T11:00:00
is "$(subjects_to oncall@desk.example "^\[Support #$t1\]")" "2" "one warning and one breach notice, however many sweeps"

# A reply to the warning reaches the customer, as staff's.
printf 'From: Alice Smith <alice@desk.example>\nTo: support@desk.example\nSubject: Re: %s\nMessage-ID: <sla-r1@desk.example>\nIn-Reply-To: %s\n\nSorry for the wait, Jane.\n' \
	"$(hdr "$w" Subject)" "$(hdr "$w" Message-ID)" >"$TEST_DIR/r1.eml"
deliver_to "$(hdr "$w" Reply-To)" "$TEST_DIR/r1.eml" --received-at 2026-11-30T11:05:00+02:00
like "$err" "action=staff-reply ticket=$t1 threaded_by=token" "a reply to the warning is relayed to the customer"

# 2. Answered before 75%: no notice at all.
t2=$(new_ticket "Bob <bob@globex.example>" "Invoices late" 2026-11-30T10:00:00+02:00)
printf 'From: Alice Smith <alice@desk.example>\nTo: support@desk.example\nSubject: Re: [Support #%s] Invoices late\nMessage-ID: <sla-r2@desk.example>\n\nOn it.\n' "$t2" >"$TEST_DIR/r2.eml"
deliver_to "$(signed_for "$t2")" "$TEST_DIR/r2.eml" --received-at 2026-11-30T11:00:00+02:00
sweep_at 2026-11-30T12:30:00
sweep_at 2026-11-30T13:30:00
is "$(notices "$t2")" "-" "a GOLD ticket answered at 11:00 gets no warning at 12:15 and no breach at 13:00"

# 3. Four sweeps at once: each notice once.
t3=$(new_ticket "Jane <jane@acme.example>" "Trunk down" 2026-12-01T10:00:00+02:00)
pids=""
for i in 1 2 3 4; do
	tg sweep --now 2026-12-01T10:50:00+02:00 2>/dev/null &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "$(notices "$t3"):$(subjects_to staff@desk.example "^\[Support #$t3\] Due in")" "warn:1" \
	"four sweeps at once: one warning, recorded once"
is "$(dailies)" "3" "... and one morning queue for Tuesday"

# 4. A threshold at the end of the day goes out at the next opening.
t4=$(new_ticket "Jane <jane@acme.example>" "Late in the day" 2026-12-01T17:15:00+02:00)
sweep_at 2026-12-01T18:00:30
is "$(notices "$t4")" "-" "a warning due at 18:00 is not sent at 18:00:30 (after hours)"
sweep_at 2026-12-02T09:00:00
is "$(notices "$t4")" "warn" "... but at the next opening, 09:00"
like "$(text_of "$(last_to oncall@desk.example)")" "Time left: +0h 15m" "... with the time then left"

# 5. A holiday shifts both.
tg holiday add 2026-12-07 "Desk away day" >/dev/null
t5=$(new_ticket "Jane <jane@acme.example>" "Before the away day" 2026-12-04T17:30:00+02:00)
is "$(sql "SELECT to_char(response_due_at AT TIME ZONE '+02:00'::interval, 'Dy HH24:MI') FROM tickets WHERE number = $t5")" "Tue 09:30" \
	"a PLATINUM ticket of Friday 17:30 is due on Tuesday 09:30 over a Monday holiday"
sweep_at 2026-12-07T09:20:00
is "$(notices "$t5"):$(subjects_to staff@desk.example '^The queue on Monday, 7')" "-:0" "on the holiday: no warning and no morning queue"
sweep_at 2026-12-08T09:15:00
is "$(notices "$t5")" "warn" "Tuesday 09:15: the warning"
sweep_at 2026-12-08T09:30:00
is "$(notices "$t5")" "breach,warn" "Tuesday 09:30: the breach notice"

# 6. --dry-run says what would go and sends nothing.
t6=$(new_ticket "Jane <jane@acme.example>" "Dry" 2026-12-09T10:00:00+02:00)
before=$(sent_count)
out=$(tg sweep --now 2026-12-09T10:50:00+02:00 --dry-run 2>/dev/null)
like "$out" "would send warn #$t6 to staff@desk.example, oncall@desk.example" "sweep --dry-run prints the warning that is due"
like "$out" "would send daily queue" "... and the morning queue"
is "$(notices "$t6"):$(($(sent_count) - before))" "-:0" "... and records and sends nothing"
out=$(tg sweep --now yesterday 2>&1) && rc=0 || rc=$?
like "$rc:$out" '^64:.*--now: "yesterday" is not a time of the form YYYY-MM-DDTHH:MM' "a bad --now is a usage error naming the option"

tg_done
