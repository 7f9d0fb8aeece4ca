#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Running a desk without SQL: customers, contacts, domains, subscriptions,
# staff, holidays, plans; bad input is one line and the right exit code.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 34

run() { out=$("$TICKETGATE" "$@" 2>"$TEST_DIR/err") && rc=0 || rc=$?; err=$(cat "$TEST_DIR/err"); }

run customer add "ACME Corp" --plan gold --from 2026-01-01 --until 2026-12-31 \
	--contact Jane@ACME.example --contact bob@acme.example --domain ACME.example
is "$rc:$out" '0:customer "ACME Corp" added' "customer add with plan, contacts and domain"
got=$(sql "SELECT string_agg(address, ',' ORDER BY address) FROM contacts")
is "$got" "bob@acme.example,jane@acme.example" "contacts stored lower case"
got=$(sql "SELECT domain FROM customer_domains")
is "$got" "acme.example" "domain stored lower case"
got=$(sql "SELECT plan || ' ' || valid_from || ' ' || valid_until FROM subscriptions")
is "$got" "GOLD 2026-01-01 2026-12-31" "plan name upper-cased, dates kept"

run customer add "ACME Corp"
is "$rc" "65" "a second customer with the same name is refused (65)"
like "$err" "exists already" "... saying it exists"

run customer add "Beta Ltd" --plan GOLDD --from 2026-01-01
is "$rc" "66" "an unknown plan is refused (66)"
like "$err" "no plan called GOLDD" "... naming the plan"
got=$(sql "SELECT count(*) FROM customers WHERE name = 'Beta Ltd'")
is "$got" "0" "... and nothing of the customer is stored"

run customer add "Beta Ltd" --plan SILVER
is "$rc" "64" "--plan without --from is a usage error (64)"
run customer add "Beta Ltd" --plan SILVER --from 2026-02-30
is "$rc" "64" "an impossible date is a usage error"
run customer add "Beta Ltd" --contact jane@acme.example
is "$rc" "65" "a contact of another customer is refused"

run customer add "Beta Ltd"
run subscription add "Beta Ltd" bronze --from 2026-03-01
is "$rc:$out" '0:"Beta Ltd" subscribed to BRONZE from 2026-03-01' "subscription add"
run subscription add "Nobody Inc" GOLD --from 2026-03-01
is "$rc" "66" "subscription for an unknown customer (66)"
run contact add "Beta Ltd" ops@beta.example "Ops Team"
is "$rc" "0" "contact add"
run domain add "Beta Ltd" beta.example
is "$rc" "0" "domain add"

run customer list --json
got=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(";".join(c["name"]+":"+str(c["plan_today"]) for c in d))')
like "$got" '^ACME Corp:(GOLD|None);Beta Ltd:(BRONZE|None)$' "customer list --json is valid JSON with plans"

run staff add Alice@Desk.example "Alice Smith"
run staff add bob@desk.example
run staff remove bob@desk.example
run staff list
is "$out" "alice@desk.example               Alice Smith              active
bob@desk.example                 -                        inactive" "staff add/remove/list"
run staff remove nobody@desk.example
is "$rc" "66" "removing an unknown staff member (66)"

run holiday add 2026-12-24 "Christmas Eve"
run holiday add 2026-12-25 "Christmas Day"
run holiday remove 2026-12-24
run holiday list
is "$out" "2026-12-25  Christmas Day" "holiday add/remove/list"

run plan list --json
got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))')
is "$got" "PLATINUM GOLD SILVER BRONZE FREE NONE" "plan list --json in order of rank"

run frobnicate
is "$rc" "64" "an unknown command is a usage error"

run --version
like "$rc:$out" "^0:ticketgate [0-9.]+$" "--version"
linked="shared"
grep -q '^#define TG_STATIC_DEPS 1' "$TG_TOP_BUILDDIR/config.h" && linked="static: no GSSAPI, no LDAP"
like "$(printf '%s' "$out" | sed -n 2p)" "^libpq [0-9]+\.[0-9]+, $linked$" \
	"... and the libpq it runs with, linked as configure chose ($linked)"
linked="shared"
grep -q '^#define TG_STATIC_DEPS 1' "$TG_TOP_BUILDDIR/config.h" && linked="static: no mount table"
like "$(printf '%s' "$out" | sed -n 3p)" "^GMime 3\.[0-9.]+, GLib 2\.[0-9.]+, $linked$" \
	"... and GMime and GLib, linked as configure chose ($linked)"
run check-config --schema "$TG_TOP_SRCDIR/schema"
is "$rc" "0" "check-config passes on a working desk"
like "$out" "ok +database connection" "... and says what it checked"
sed 's|^sendmail = .*|sendmail = /nonexistent/sendmail|; s|^directory = .*|directory = /nonexistent|; s|^state_directory = .*|state_directory = /nonexistent/state|' "$TICKETGATE_CONFIG" >"$TEST_DIR/broken.conf"
out=$("$TICKETGATE" -c "$TEST_DIR/broken.conf" check-config --schema "$TG_TOP_SRCDIR/schema" 2>&1) && rc=0 || rc=$?
is "$rc" "78" "check-config on a broken desk exits 78"
like "$out" "FAILED +templates: .*/nonexistent/ack.txt" "... naming the missing template"
like "$out" "FAILED +sendmail /nonexistent/sendmail" "... and the missing sendmail"
like "$out" "FAILED +state directory /nonexistent/state: not a folder" "... and the missing state directory"
like "$(tg check-config --schema "$TG_TOP_SRCDIR/schema" 2>&1)" "ok +state directory $TEST_DIR/state" "a writable state directory passes"
# A staff address deliver would hold back as invalid on every mail.
sed 's|^staff_address = .*|staff_address = root@localhost|' "$TICKETGATE_CONFIG" >"$TEST_DIR/local-staff.conf"
out=$("$TICKETGATE" -c "$TEST_DIR/local-staff.conf" check-config --schema "$TG_TOP_SRCDIR/schema" 2>&1) && rc=0 || rc=$?
is "$rc" "78" "check-config refuses a staff address on a single-label domain (exit 78)"
like "$out" "local-staff.conf:[0-9]+: \[mail\] staff_address: \"root@localhost\" is not an address mail can be sent to" "... naming the file, line and key"

tg_done
