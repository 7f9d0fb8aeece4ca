#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# "db migrate" applies the numbered schema files once each, in order,
# records them, and the default plans arrive as data.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 21

got=$(sql "SELECT string_agg(name, ' ' ORDER BY name) FROM schema_migrations")
want=$(cd "$TG_TOP_SRCDIR/schema" && ls [0-9]*.sql | sort | tr '\n' ' ' | sed 's/ $//')
is "$got" "$want" "every schema file is recorded"

out=$(tg db migrate --schema "$TG_TOP_SRCDIR/schema")
is "$out" "schema is up to date" "a second run applies nothing"

got=$(sql "SELECT string_agg(name || ':' || rank || ':' || coalesce(reaction_minutes::text, '-') || ':' || email_support || ':' || coalesce(hourly_rate::text, '-'), ' ' ORDER BY rank, name) FROM plans")
is "$got" "PLATINUM:1:60:true:- GOLD:2:180:true:- SILVER:3:360:true:- BRONZE:4:720:true:- FREE:100:-:false:50.00 NONE:100:-:false:50.00" \
	"the default plans are rows: reaction times, e-mail support, rates"

# Data loaded with triggers disabled leaves the desk snapshot behind:
# check-config says so, and db migrate rewrites it.
sql "ALTER TABLE holidays DISABLE TRIGGER desk_snapshot;
     INSERT INTO holidays VALUES ('2026-12-24', 'Christmas Eve');
     ALTER TABLE holidays ENABLE TRIGGER desk_snapshot;"
out=$(tg check-config --schema "$TG_TOP_SRCDIR/schema" 2>&1) && rc=0 || rc=$?
is "$rc" "78" "check-config fails when the desk snapshot is out of step"
like "$out" 'FAILED +desk snapshot: out of step with .*run "ticketgate db migrate"' \
	"... and says what to run"
out=$(tg db migrate --schema "$TG_TOP_SRCDIR/schema")
is "$out" "schema is up to date
refreshed the desk snapshot" "db migrate rewrites the snapshot"
got=$(sql "SELECT c2 FROM desk_snapshot WHERE kind = 'holiday' AND c1 = '2026-12-24'")
is "$got" "Christmas Eve" "... which then holds the holiday"
tg check-config --schema "$TG_TOP_SRCDIR/schema" >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" "0" "... and check-config passes again"

# A new schema file is picked up; files apply in numeric order.
mkdir "$TEST_DIR/schema"
cp "$TG_TOP_SRCDIR"/schema/*.sql "$TEST_DIR/schema/"
echo "CREATE TABLE later_one (x int);" >"$TEST_DIR/schema/901-later.sql"
echo "CREATE TABLE earlier_one (x int); INSERT INTO earlier_one VALUES (1);" >"$TEST_DIR/schema/900-earlier.sql"
out=$(tg db migrate --schema "$TEST_DIR/schema")
is "$out" "applied 900-earlier.sql
applied 901-later.sql" "new files apply in order"

# A broken file is rolled back as a whole and not recorded.
echo "CREATE TABLE half (x int); SELECT no_such_function();" >"$TEST_DIR/schema/950-broken.sql"
tg db migrate --schema "$TEST_DIR/schema" >/dev/null 2>&1 && rc=0 || rc=$?
ok $([ $rc -ne 0 ] && echo 0 || echo 1) "a broken schema file fails the migration (exit $rc)"
got=$(sql "SELECT count(*) FROM schema_migrations WHERE name = '950-broken.sql'")
is "$got" "0" "the broken file is not recorded"
got=$(sql "SELECT to_regclass('half') IS NULL")
is "$got" "t" "nothing of the broken file remains"

# Two migrations at once take turns.
rm "$TEST_DIR/schema/950-broken.sql"
createdb -h "$PG_DIR" -U postgres second
conf2="$TEST_DIR/second.conf"
sed 's/dbname=ticketgate/dbname=second/' "$TICKETGATE_CONFIG" >"$conf2"
tg -c "$conf2" db migrate --schema "$TEST_DIR/schema" >/dev/null 2>&1 &
p1=$!
tg -c "$conf2" db migrate --schema "$TEST_DIR/schema" >/dev/null 2>&1 &
p2=$!
wait $p1 && r1=0 || r1=$?
wait $p2 && r2=0 || r2=$?
got=$(psql -X -At -h "$PG_DIR" -U postgres -d second -c "SELECT count(*) FROM schema_migrations")
is "$r1:$r2:$got" "0:0:$(ls "$TEST_DIR"/schema/*.sql | wc -l)" "concurrent migrations both succeed and apply each file once"

# 006 moves the raw bytes of stored mail into messages, byte for byte,
# and refuses, changing nothing, if a message had lost them.
mkdir "$TEST_DIR/schema-005"
cp "$TG_TOP_SRCDIR"/schema/00[1-5]-*.sql "$TEST_DIR/schema-005/"
older() { psql -X -At -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d older -c "$1"; }
createdb -h "$PG_DIR" -U postgres older
conf3="$TEST_DIR/older.conf"
sed 's/dbname=ticketgate/dbname=older/' "$TICKETGATE_CONFIG" >"$conf3"
tg -c "$conf3" db migrate --schema "$TEST_DIR/schema-005" >/dev/null
older "INSERT INTO messages (id, direction, kind, dedup_key, size, received_at)
       VALUES (1, 'in', 'customer', 'k1', 3, now()), (2, 'out', 'ack', NULL, 2, now());
       INSERT INTO message_raw VALUES (1, '\\x00ff41'), (2, '\\x0d0a');"
older "INSERT INTO messages (id, direction, kind, dedup_key, size, received_at)
       VALUES (3, 'in', 'customer', 'k3', 1, now())"
out=$(tg -c "$conf3" db migrate --schema "$TG_TOP_SRCDIR/schema" 2>&1) && rc=0 || rc=$?
like "$rc:$out" '^[1-9][0-9]*:.*006-raw-in-messages.sql: .*raw' \
	"006 refuses a message without raw bytes"
got=$(older "SELECT to_regclass('message_raw') IS NOT NULL, (SELECT count(*) FROM schema_migrations WHERE name LIKE '006%')")
is "$got" "t|0" "... and leaves the database as it was"
older "INSERT INTO message_raw VALUES (3, '\\x5c')"
out=$(tg -c "$conf3" db migrate --schema "$TG_TOP_SRCDIR/schema")
is "$(echo "$out" | head -n 1)" "applied 006-raw-in-messages.sql" "006 applies once every message has its bytes"
got=$(older "SELECT string_agg(id || ':' || encode(raw, 'hex'), ' ' ORDER BY id) FROM messages")
is "$got" "1:00ff41 2:0d0a 3:5c" "the raw bytes are in messages, byte for byte"
got=$(older "SELECT to_regclass('message_raw') IS NULL")
is "$got" "t" "message_raw is gone"

# 007 makes the first secret for signed reply addresses; secret rotate
# the next ones, each from the server's strong random source.
got=$(sql "SELECT count(*) || '|' || min(length(secret)) FROM signing_keys")
is "$got" "1|32" "db migrate makes one 32-byte secret for signing reply addresses"
out=$(tg secret rotate)
got=$(sql "SELECT count(DISTINCT secret) FROM signing_keys")
is "$out:$got" "made a new signing secret (2 in all; the older ones verify for 30 days more):2" \
	"secret rotate makes a second, different one, and says how long the old one lasts"
got=$(sql "SELECT count(*) FROM desk_snapshot WHERE kind = 'key'")
is "$got" "2" "... which deliver reads with the desk snapshot"

tg_done
