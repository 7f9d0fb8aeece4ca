#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every rule of POLICY.md, as the desk applies it to delivered mail.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 21

for p in PLATINUM GOLD SILVER BRONZE; do
	lower=$(echo "$p" | tr 'A-Z' 'a-z')
	tg customer add "$p customer" --plan "$p" --from 2026-01-01 --domain "$lower.example" >/dev/null
done
tg customer add "Lapsed Ltd" --plan GOLD --from 2026-01-01 --until 2026-11-27 --domain lapsed.example >/dev/null
tg customer add "Licensed Only" --domain licensed.example >/dev/null
tg customer add "Free User" --plan FREE --from 2026-01-01 --domain free.example >/dev/null

# due FROM SUBJECT RECEIVED-AT [HEADERS...]: delivers, prints the deadline.
due() {
	f="$TEST_DIR/$(date +%s%N).eml"
	from=$1 subject=$2 at=$3
	shift 3
	mail "$from" "$subject" "$@" >"$f"
	deliver "$f" --received-at "$at"
	sql "SELECT coalesce(to_char(response_due_at AT TIME ZONE '+02:00'::interval, 'Dy YYYY-MM-DD HH24:MI'), 'none') FROM tickets WHERE subject = '$subject'"
}

# Reaction times, Wednesday 25 November 2026 10:00 at GMT+2.
is "$(due a@platinum.example "p1" 2026-11-25T10:00:00+02:00)" "Wed 2026-11-25 11:00" "PLATINUM: 1 working hour"
is "$(due a@gold.example "g1" 2026-11-25T10:00:00+02:00)" "Wed 2026-11-25 13:00" "GOLD: 3 working hours"
is "$(due a@silver.example "s1" 2026-11-25T10:00:00+02:00)" "Wed 2026-11-25 16:00" "SILVER: 6 working hours"
is "$(due a@bronze.example "b1" 2026-11-25T10:00:00+02:00)" "Thu 2026-11-26 13:00" "BRONZE: 12 working hours, across the night"

# Working hours.
is "$(due a@platinum.example "friday" 2026-11-27T17:30:00+02:00)" "Mon 2026-11-30 09:30" "Friday 17:30 plus 1 h is Monday 09:30"
is "$(due a@platinum.example "saturday" 2026-11-28T11:00:00+02:00)" "Mon 2026-11-30 10:00" "Saturday plus 1 h is Monday 10:00"
is "$(due a@platinum.example "night" 2026-11-25T23:10:00+02:00)" "Thu 2026-11-26 10:00" "a mail at night counts from 09:00"
is "$(due a@platinum.example "other zone" 2026-11-27T15:30:00Z)" "Mon 2026-11-30 09:30" "times in other zones are converted (15:30 UTC is 17:30 GMT+2)"
tg holiday add 2026-12-07 "Desk holiday" >/dev/null
n=$(sent_count)
is "$(due a@platinum.example "holiday" 2026-12-04T17:30:00+02:00)" "Tue 2026-12-08 09:30" "a public holiday is skipped"
like "$(cat "$(sent_mail $((n + 1)))" | tr '\n' ' ')" "Monday 7 December is a public holiday \(Desk holiday\)" \
	"... and the acknowledgment says so"

# Priority does not expire; a new ticket after the plan ends has none.
is "$(due a@lapsed.example "during" 2026-11-27T10:00:00+02:00)" "Fri 2026-11-27 13:00" "a ticket opened under GOLD gets its deadline"
is "$(due a@lapsed.example "after" 2026-11-28T10:00:00+02:00)" "none" "a ticket after the plan's last day gets no deadline"
got=$(sql "SELECT string_agg(subject || ':' || plan_name || ':' || billable, ' ' ORDER BY subject) FROM tickets WHERE subject IN ('during', 'after')")
is "$got" "after:NONE:true during:GOLD:false" "the earlier ticket keeps GOLD, the later one is paid support"

# Customers without a plan: paid support, the rate, bugs free, no deadline.
n=$(sent_count)
is "$(due x@licensed.example "no plan" 2026-11-25T10:00:00+02:00)" "none" "a licensed customer without plan gets no deadline"
ack=$(cat "$(sent_mail $((n + 1)))" | tr '\n' ' ')
like "$ack" "50 EUR per hour.*bug in our product, we fix it free of charge" "... and the paid-support answer: 50 EUR/h, bugs free"
is "$(due x@free.example "free plan" 2026-11-25T10:00:00+02:00):$(sql "SELECT plan_name FROM tickets WHERE subject = 'free plan'")" "none:FREE" "FREE has no e-mail support either"

# The order of work: plan, then priority, then deadline, then age.
mail a@gold.example "gold high" "X-Priority: 1" >"$TEST_DIR/gh.eml"
deliver "$TEST_DIR/gh.eml" --received-at 2026-11-25T12:00:00+02:00
mail a@bronze.example "bronze low" "X-Priority: 5" >"$TEST_DIR/bl.eml"
deliver "$TEST_DIR/bl.eml" --received-at 2026-11-25T09:00:00+02:00
got=$(tg queue --json | python3 -c '
import json, sys
print(";".join(t["plan"] + " " + t["priority"] + " " + t["subject"] for t in json.load(sys.stdin)))')
# p1 is due Wed 11:00, night Thu 10:00; friday and "other zone" share
# deadline and arrival, so the lower number comes first; tickets without
# a deadline follow by arrival.
is "$got" "PLATINUM Medium p1;PLATINUM Medium night;PLATINUM Medium friday;PLATINUM Medium other zone;PLATINUM Medium saturday;PLATINUM Medium holiday;GOLD High gold high;GOLD Medium g1;GOLD Medium during;SILVER Medium s1;BRONZE Medium b1;BRONZE Low bronze low;NONE Medium no plan;FREE Medium free plan;NONE Medium after" \
	"the queue: plan, then priority, then earliest deadline, then oldest"

# Out-of-scope topics are flagged, and the acknowledgment names the rule.
n=$(sent_count)
f="$TEST_DIR/vpn.eml"
mail a@gold.example "Tunnel to our branch" >"$f"
printf 'Could you set up the OpenVPN tunnel between our offices?\n' >>"$f"
deliver "$f"
got=$(sql "SELECT array_to_string(scope_flags, ',') FROM tickets WHERE subject = 'Tunnel to our branch'")
is "$got" "VPN configuration" "a VPN request is flagged as likely out of scope"
like "$(cat "$(sent_mail $((n + 1)))" | tr '\n' ' ')" "VPN configuration, which is never done by us, under any plan" \
	"... and the acknowledgment says which rule"

# An IANA zone with summer time: Friday 23 October 2026 17:30 in Vilnius
# (EEST, +03:00) plus 1 h is Monday 26 October 09:30, after the clocks
# went back (EET, +02:00).
sed -i 's|^timezone = .*|timezone = Europe/Vilnius|' "$TICKETGATE_CONFIG"
n=$(sent_count)
mail a@platinum.example "summer time" >"$TEST_DIR/dst.eml"
deliver "$TEST_DIR/dst.eml" --received-at 2026-10-23T17:30:00
got=$(sql "SELECT to_char(response_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM tickets WHERE subject = 'summer time'")
is "$got" "2026-10-26 07:30" "Europe/Vilnius: Friday 17:30 EEST + 1 h is Monday 09:30 EET"
like "$(cat "$(sent_mail $((n + 1)))" | tr '\n' ' ')" "Monday, 26 October 2026, 09:30 \(UTC\+02:00\).*Europe/Vilnius" \
	"... and the acknowledgment shows it in the desk's zone"

tg_done
