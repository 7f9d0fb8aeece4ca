#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every admin command answers bad input with one line on stderr that
# names the argument and the form it wants, and exit 64 (usage) or 65
# (data), 66 for what does not exist; never the database's own words (a
# constraint name, a SQLSTATE). "ticketgate CMD --help" and "ticketgate
# CMD SUB --help" show that command's own usage; a group alone lists
# only its own commands. check-config finds the schema through its setting
# and names each failing object once.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tg customer add "Globex" --plan GOLD --from 2026-01-01 --contact jane@globex.example \
	--domain globex.example >/dev/null
tg holiday add 2026-12-25 "Christmas Day" >/dev/null

# One row per line: exit code | a pattern the one line matches | arguments
# (split at blanks; ~ stands for a blank, "" for an empty argument).
TAB=$(printf '\t')
rows=$(cat <<'ROWS'
65|NAME "": want a name of 1 to 200 characters|customer add ""
65|NAME " ": want a name|customer add ~
65|NAME "a\\tb": want a name .*without control characters|customer add a<TAB>b
65|NAME "Globex": a customer of that name exists already|customer add Globex
65|--contact "notanaddress": want a mail address, like jane@example.com|customer add Initech --contact notanaddress
65|--domain "not~a~domain": want a mail domain, like example.com|customer add Initech --domain not~a~domain
64|--from "01/01/2026": want a date, YYYY-MM-DD|customer add Initech --plan GOLD --from 01/01/2026
64|--from YYYY-MM-DD is required|customer add Initech --plan GOLD
64|--until "2026-02-30": want a date, YYYY-MM-DD|customer add Initech --plan GOLD --from 2026-01-01 --until 2026-02-30
64|--until 2025-01-01 is before --from 2026-01-01|customer add Initech --plan GOLD --from 2026-01-01 --until 2025-01-01
64|--from and --until go with --plan|customer add Initech --from 2026-01-01
66|no plan called GOLDD|customer add Initech --plan GOLDD --from 2026-01-01
64|missing argument \(usage: ticketgate customer add NAME|customer add
64|Unknown option --bogus \(usage: ticketgate customer add NAME|customer add Initech --bogus
64|too many arguments \(usage: ticketgate customer list \[--json\]\)|customer list extra
66|no customer called "Nobody"|contact add Nobody ops@nobody.example
65|ADDR "bad": want a mail address|contact add Globex bad
65|ADDR "jane@globex.example": a contact already|contact add Globex jane@globex.example
65|NAME "": want a name|contact add Globex ops@globex.example ""
65|DOMAIN "not~a~domain": want a mail domain, like example.com|domain add Globex not~a~domain
65|DOMAIN "jane@globex.example": want a mail domain|domain add Globex jane@globex.example
65|DOMAIN "globex.example": a domain of this or another customer already|domain add Globex globex.example
64|--from YYYY-MM-DD is required|subscription add Globex GOLD
64|--from "tomorrow": want a date, YYYY-MM-DD|subscription add Globex GOLD --from tomorrow
66|no plan called TIN|subscription add Globex TIN --from 2026-01-01
66|no customer called "Nobody"|subscription add Nobody GOLD --from 2026-01-01
65|ADDR "notanaddress": want a mail address|staff add notanaddress
65|NAME "": want a name|staff add alice@desk.example ""
65|ADDR "x": want a mail address|staff remove x
66|no staff member nobody@desk.example|staff remove nobody@desk.example
64|DATE "25.12.2026": want a date, YYYY-MM-DD|holiday add 25.12.2026
65|DATE 2026-12-25: a holiday already \("Christmas Day"\)|holiday add 2026-12-25 Xmas
64|DATE "2026-13-01": want a date, YYYY-MM-DD|holiday remove 2026-13-01
66|DATE 2027-01-01: not a holiday|holiday remove 2027-01-01
65|ADDR "x": want a mail address|bounce clear x
64|NUMBER "abc": want a ticket number, like 1000|ticket show abc
64|NUMBER "0": want a ticket number|ticket show 0
66|no ticket 99999|ticket show 99999
64|--from YYYY-MM-DD is required|report --to 2026-01-31
64|--to "x": want a date, YYYY-MM-DD|report --from 2026-01-01 --to x
64|--to 2025-12-31 is before --from 2026-01-01|report --from 2026-01-01 --to 2025-12-31
66|no customer called "Nobody"|report --from 2026-01-01 --to 2026-01-31 --customer Nobody
64|too many arguments|queue now
64|too many arguments|plan list extra
64|too many arguments|secret rotate now
66|schema: no folder /nonexistent \(set \[database\] schema_directory|db migrate --schema /nonexistent
64|too many arguments|check-config extra
ROWS
)
n=$(printf '%s\n' "$rows" | grep -c .)
tap_plan $((n + 4 + 23 + 4))

printf '%s\n' "$rows" | {
	while IFS='|' read -r want pattern args; do
		set --
		for a in $args; do
			case $a in
			'""') a="" ;;
			*) a=$(printf '%s' "$a" | sed "s/~/ /g; s/<TAB>/$TAB/g") ;;
			esac
			set -- "$@" "$a"
		done
		"$TICKETGATE" "$@" >/dev/null 2>"$TEST_DIR/err" && rc=0 || rc=$?
		lines=$(grep -c . "$TEST_DIR/err")
		line=$(head -n 1 "$TEST_DIR/err")
		pattern=$(printf '%s' "$pattern" | sed "s/~/ /g")
		if [ "$rc:$lines" = "$want:1" ] &&
			printf '%s' "$line" | grep -Eq -- "^ticketgate [a-z -]+: $pattern" &&
			! printf '%s' "$line" | grep -Eiq 'sqlstate|constraint|violates|relation'; then
			ok 0 "$args: $want, one line naming it"
		else
			ok 1 "$args: $want, one line naming it"
			printf '# got:  %s (%s lines) %s\n# want: %s %s\n' "$rc" "$lines" "$line" "$want" "$pattern"
		fi
	done
	# The failures above come from a pipe's subshell.
	[ "$tap_failed" -eq 0 ] && touch "$TEST_DIR/rows-ok"
}
tap_n=$n
[ -f "$TEST_DIR/rows-ok" ] || tap_failed=1

# Nothing of the refused rows was stored, nothing renamed.
is "$(sql "SELECT count(*) FROM customers")" "1" "no refused customer was stored"
is "$(sql "SELECT name FROM holidays WHERE day = '2026-12-25'")" "Christmas Day" \
	"holiday add on an existing day renames nothing"
is "$(sql "SELECT count(*) FROM customer_domains")" "1" "no refused domain was stored"

# A group alone, or with an unknown word: its own commands only.
out=$("$TICKETGATE" customer 2>&1) && rc=0 || rc=$?
is "$rc:$(printf '%s\n' "$out" | grep -c .):$(printf '%s\n' "$out" | grep -c '^  ticketgate customer ')" "64:3:2" \
	"\"customer\" alone lists the customer commands only"
like "$(printf '%s\n' "$out" | head -n 1)" "^ticketgate customer: a subcommand is required; one of:$" \
	"... and says that one is required"

# Every command's --help: its own usage, exit 0, no database needed.
for cmd in "customer add" "customer list" "contact add" "domain add" \
	"subscription add" "staff add" "staff remove" "staff list" \
	"holiday add" "holiday remove" "holiday list" "plan list" \
	"bounce list" "bounce clear" "ticket show" "queue" "report" \
	"db migrate" "secret rotate" "check-config"; do
	# shellcheck disable=SC2086
	out=$("$TICKETGATE" -c /nonexistent.conf $cmd --help 2>&1) && rc=0 || rc=$?
	like "$rc:$(printf '%s\n' "$out" | head -n 1)" "^0:Usage: ticketgate $cmd( |$)" "$cmd --help shows its own usage"
done
out=$("$TICKETGATE" customer --help 2>&1) && rc=0 || rc=$?
like "$rc:$out" "^0:  ticketgate customer add NAME" "customer --help lists the customer commands"
out=$("$TICKETGATE" customer add --help 2>&1)
like "$out" "--contact=ADDR" "customer add --help describes its options"

# check-config finds the schema through [database] schema_directory, and
# names each failing object once.
sed "/^\[database\]\$/a schema_directory = $TG_TOP_SRCDIR/schema" "$TICKETGATE_CONFIG" >"$TEST_DIR/schema.conf"
out=$("$TICKETGATE" -c "$TEST_DIR/schema.conf" check-config 2>&1) && rc=0 || rc=$?
like "$rc:$(printf "%s\n" "$out" | grep " schema$")" "^0:ok +schema$" "check-config passes with [database] schema_directory, without --schema"
sed 's|^schema_directory = .*|schema_directory = /nonexistent/schema|' "$TEST_DIR/schema.conf" >"$TEST_DIR/noschema.conf"
out=$("$TICKETGATE" -c "$TEST_DIR/noschema.conf" check-config 2>&1) && rc=0 || rc=$?
like "$rc:$(printf '%s\n' "$out" | grep FAILED)" \
	"^78:FAILED +schema: no folder /nonexistent/schema \\(set \\[database\\] schema_directory, or give --schema DIR\\)$" \
	"a missing schema folder names the setting and the option"
sed 's|^conninfo = .*|conninfo = host=/nonexistent dbname=ticketgate|' "$TEST_DIR/schema.conf" >"$TEST_DIR/down.conf"
out=$("$TICKETGATE" -c "$TEST_DIR/down.conf" check-config 2>&1) && rc=0 || rc=$?
like "$rc:$(printf '%s\n' "$out" | grep FAILED)" "^78:FAILED +database connection: connection to server" \
	"the database down: one line, the object named once"
is "$(printf '%s\n' "$out" | grep -c 'database connection: database connection')" "0" "... never twice"

tg_done
