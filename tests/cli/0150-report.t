#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The SLA report (doc/sla.md) on a desk whose tickets were answered in
# time, late, or not at all: the figures as text, CSV and JSON, one
# customer's, and the HTML page as a person sees it in a real headless
# Chromium (the plan rows as printed, the chart's bars as drawn).
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 17

tg customer add "ACME Corp" --plan PLATINUM --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
tg customer add "Globex" --plan GOLD --from 2026-01-01 --domain globex.example >/dev/null
tg staff add alice@desk.example "Alice Smith" >/dev/null

# ticket FROM SUBJECT RECEIVED [ANSWERED]: a ticket, answered by staff at
# ANSWERED (the first response) when given.
ticket() {
	mail "$1" "$2" >"$TEST_DIR/t.eml"
	deliver "$TEST_DIR/t.eml" --received-at "$3"
	[ -n "${4:-}" ] || return 0
	n=$(sql "SELECT number FROM tickets WHERE subject = '$2'")
	printf 'From: alice@desk.example\nTo: support@desk.example\nSubject: Re: [Support #%s]\nMessage-ID: <r%s@desk.example>\n\nDone.\n' "$n" "$n" >"$TEST_DIR/r.eml"
	deliver_to "$(signed_for "$n")" "$TEST_DIR/r.eml" --received-at "$4"
}
ticket "jane@acme.example" "In time" 2026-11-30T09:00:00+02:00 2026-11-30T09:30:00+02:00
ticket "jane@acme.example" "Late" 2026-11-30T10:00:00+02:00 2026-11-30T12:30:00+02:00
ticket "jane@acme.example" "Not answered" 2026-12-01T10:00:00+02:00
ticket "bob@globex.example" "Gold in time" 2026-11-30T10:00:00+02:00 2026-11-30T11:00:00+02:00
ticket "walter@unknown.example" "Paid support" 2026-11-30T10:00:00+02:00
ticket "jane@acme.example" "October" 2026-10-15T10:00:00+02:00

# Blanks squeezed, for comparing table rows.
squeeze() { tr -s ' ' | sed 's/ *$//'; }
out=$(tg report --from 2026-11-01 --to 2026-12-31)
is "$(echo "$out" | grep '^PLATINUM' | squeeze)" "PLATINUM 3 1 1 1 0 0 0h 30m 2h 30m" \
	"PLATINUM: 3 opened, 1 in time, 1 late, 1 open past due; median 0h 30m, 90th percentile 2h 30m"
is "$(echo "$out" | grep '^GOLD' | squeeze)" "GOLD 1 1 0 0 0 0 1h 00m 1h 00m" "GOLD: 1 in time, in 1h 00m"
is "$(echo "$out" | grep '^NONE' | squeeze)" "NONE 1 0 0 0 0 1 - -" "paid support: no deadline, counted apart"
is "$(echo "$out" | grep '^TOTAL' | squeeze)" "TOTAL 5 2 1 1 0 1 1h 00m 2h 30m" "the total (October's ticket left out)"
like "$out" "follow-up after the first response does not start a new clock" "the header says what the reaction time is"
like "$(echo "$out" | grep '^#' | head -n 1 | squeeze)" "^#1001 PLATINUM ACME Corp Mon 30 Nov 11:00 Mon 30 Nov 12:30 1h 30m late Late$" \
	"the late tickets, with how late in working hours"
like "$(echo "$out" | grep '^#1002' | squeeze)" "^#1002 PLATINUM ACME Corp Tue 1 Dec 11:00 - [0-9]+h [0-9]{2}m past due Not answered$" \
	"... and those still open past their deadline"
got=$(tg ticket show 1001 | grep -E 'response due|first response' | squeeze)
is "$got" " response due: 2026-11-30 11:00 +02:00 (missed)
 first response: 2026-11-30 12:30 +02:00 (deadline missed)" "... which agrees with ticket show"

is "$(tg report --from 2026-11-01 --to 2026-12-31 --csv | sed -n '1p;2p;$p')" \
	"plan,opened,in_time,late,open_past_due,not_yet_due,no_deadline,median_minutes,p90_minutes
PLATINUM,3,1,1,1,0,0,30,150
TOTAL,5,2,1,1,0,1,60,150" "--csv: the plan rows and the total"
got=$(tg report --from 2026-11-01 --to 2026-12-31 --json | python3 -c 'import json,sys; r=json.load(sys.stdin); t=r["total"]; print(t["opened"], t["in_time"], t["late"], t["median_minutes"], [l["number"] for l in r["late"]])')
is "$got" "5 2 1 60 [1001, 1002]" "--json: the same figures"
got=$(tg report --from 2026-11-01 --to 2026-12-31 --customer Globex | grep -cE '^(PLATINUM|GOLD|TOTAL)')
is "$got" "2" "--customer: one customer's tickets only"
out=$(tg report --from 2026-12-31 --to 2026-11-01 2>&1) && rc=0 || rc=$?
like "$rc:$out" "^64:.*--to 2026-11-01 is before --from 2026-12-31$" "dates the wrong way round: a usage error"

# The HTML page, as Chromium renders it.
tg report --from 2026-11-01 --to 2026-12-31 --html "$TEST_DIR/report.html" >/dev/null
is "$(grep -c '<script\|src=\|href=' "$TEST_DIR/report.html")" "0" "the page is self-contained: no scripts, nothing fetched"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "# no chromium: the page is not rendered"
	ok 1 "Chromium renders the page (install chromium)"
	ok 1 "... the plan rows"
	ok 1 "... the bars"
	ok 1 "... their lengths"
	tg_done
	exit
fi
chrome() {
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$TEST_DIR/chromium" "$@" "file://$TEST_DIR/report.html" \
		>/dev/null 2>>"$TEST_DIR/chromium.log"
}
chrome --window-size=1000,900 --screenshot="$TEST_DIR/report.png"
chrome --print-to-pdf="$TEST_DIR/report.pdf"
ok $([ -s "$TEST_DIR/report.png" ] && [ -s "$TEST_DIR/report.pdf" ] && echo 0 || echo 1) "Chromium renders the page"
text=$(pdftotext -layout "$TEST_DIR/report.pdf" - | squeeze)
like "$text" "PLATINUM 3 1 1 1 0 0 0h 30m 2h 30m" "... the plan rows read as in the text report"
# The bars: PLATINUM's first (green in time, red late, orange open past
# due, one ticket each), GOLD's second (green only), on the same scale.
PNG="python3 $LIB/png.py"
green=$($PNG rows "$TEST_DIR/report.png" '#2e7d32')
set -- $green
p=$(( ($(echo "$1" | cut -d- -f1) + $(echo "$1" | cut -d- -f2)) / 2 ))
g=$(( ($(echo "$2" | cut -d- -f1) + $(echo "$2" | cut -d- -f2)) / 2 ))
width() { $PNG runs "$TEST_DIR/report.png" "$1" "$2" | tr ' ' '\n' |
	awk -F- 'NF == 2 { n += $2 - $1 + 1 } END { print n + 0 }'; }
is "$(width '#2e7d32' "$p"):$(width '#c62828' "$p"):$(width '#ef6c00' "$p"):$(width '#c62828' "$g")" \
	"160:160:160:0" "... PLATINUM's bar shows one in time, one late, one open past due; GOLD's none late"
is "$(width '#2e7d32' "$g")" "160" "... and GOLD's one in time, to the same scale"

tg_done
