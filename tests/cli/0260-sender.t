#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ticketgate sender, the resident sender: while it runs, deliver leaves
# its answers to it (unclaimed rows and a NOTIFY) and the sender sends
# each exactly once; a second sender stands by and takes over when the
# first stops; without a sender deliver sends itself again; the sender
# outlives a database outage; SIGHUP with a broken configuration keeps
# the old one; a batch of sends the database refuses to record waits in
# the journal and is never sent twice; SIGTERM ends it with 0.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup
printf '[escalation]\ndaily_queue = false\n' >>"$TICKETGATE_CONFIG"

tap_plan 24

S1= S2=
stop_sender() { # stop_sender PID: SIGTERM, then its exit code in $src
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null && src=0 || src=$?
}
trap '[ -z "$S1" ] || kill $S1 2>/dev/null; [ -z "$S2" ] || kill $S2 2>/dev/null
	[ "$tap_failed" -eq 0 ] || sed "s/^/# sender: /" "$TEST_DIR"/sender*.log
	tg_cleanup' EXIT
# start_sender N: a sender logging to sender-N.log; its PID in $spid.
start_sender() {
	TICKETGATE_LOG=stderr "$TICKETGATE" sender 2>>"$TEST_DIR/sender-$1.log" &
	spid=$!
}
logged() { grep -c "$2" "$TEST_DIR/sender-$1.log" 2>/dev/null || true; }
count_at_least() { [ "$(sent_count)" -ge "$1" ]; }
unsent() { sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL"; }

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
# Each mail below comes from its own address: the rolling caps on
# acknowledgments to one address stay out of the counts.

# 1. Without a sender deliver sends its answers itself.
mail "jane@acme.example" "Before the sender" >"$TEST_DIR/m0.eml"
deliver "$TEST_DIR/m0.eml"
is "$rc:$(sent_count)" "0:2" "no sender: deliver sends both answers itself"

# 2. With one: the answers are left to it and sent once each.
start_sender 1
S1=$spid
wait_for 20 grep -q 'sending answers as they are written' "$TEST_DIR/sender-1.log"
ok $? "the sender starts and takes the lock"
mail "Jane Doe <jane@acme.example>" "Server down" >"$TEST_DIR/m1.eml"
TICKETGATE_LOG=stderr deliver "$TEST_DIR/m1.eml"
is "$rc" "0" "deliver exits 0"
like "$err" 'queued=ack:handed,notify:handed' "... and leaves both answers to the sender"
wait_for 20 count_at_least 4
is "$(sent_count):$(count_to jane@acme.example):$(count_to staff@desk.example)" "4:2:2" \
	"the sender sends the acknowledgment and the notification"
wait_for 20 sh -c "[ \$(psql -X -q -At -h '$PG_DIR' -U postgres -d ticketgate -c 'SELECT count(*) FROM outbox WHERE sent_at IS NULL') -eq 0 ]"
is "$(unsent)" "0" "... and records them sent"
like "$(grep '^Subject:' "$(last_to jane@acme.example)")" '^Subject: \[Support #1001\] Re: Server down$' \
	"the acknowledgment is the one deliver wrote"

# 3. A burst: every answer exactly once.
i=0 pids=
while [ $i -lt 10 ]; do
	mail "b$i@acme.example" "Burst $i" >"$TEST_DIR/b$i.eml"
	deliver "$TEST_DIR/b$i.eml" &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids
wait_for 30 count_at_least 24
wait_for 20 sh -c "[ \$(psql -X -q -At -h '$PG_DIR' -U postgres -d ticketgate -c 'SELECT count(*) FROM outbox WHERE sent_at IS NULL') -eq 0 ]"
got=$(grep -h '^Message-ID:' "$TG_SENDMAIL_DIR"/*.eml | sort | uniq -d | wc -l)
is "$(sent_count):$got:$(unsent)" "24:0:0" "ten mails at once: 20 answers, none twice, none left"

# 4. A second sender stands by; when the first stops, it takes over.
start_sender 2
S2=$spid
wait_for 20 grep -q 'standing by' "$TEST_DIR/sender-2.log"
ok $? "a second sender stands by while the first runs"
stop_sender "$S1"
S1=
is "$src:$(logged 1 'sender: stopped')" "0:1" "SIGTERM stops the first with 0"
wait_for 40 grep -q 'sending answers as they are written' "$TEST_DIR/sender-2.log"
ok $? "the second takes the lock"
mail "m2@acme.example" "After the change" >"$TEST_DIR/m2.eml"
TICKETGATE_LOG=stderr deliver "$TEST_DIR/m2.eml"
like "$err" 'queued=ack:handed' "deliver leaves answers to the second sender"
wait_for 20 count_at_least 26
is "$(sent_count):$(count_to m2@acme.example)" "26:1" "... which sends them once"

# 5. The database goes away and comes back: the sender reconnects.
PG_STOP_MODE=fast "$LIB/pg-cluster" stop "$PG_DIR" >/dev/null
wait_for 60 grep -q 'sender: .*trying again\|sender: .*database connection' "$TEST_DIR/sender-2.log"
ok $? "the sender says when the database is away"
"$LIB/pg-cluster" resume "$PG_DIR" >/dev/null
n=$(logged 2 'sending answers as they are written')
wait_for 60 sh -c "[ \$(grep -c 'sending answers as they are written' '$TEST_DIR/sender-2.log') -gt 1 ]"
ok $? "... and takes the lock again once it is back"
mail "m3@acme.example" "After the outage" >"$TEST_DIR/m3.eml"
TICKETGATE_LOG=stderr deliver "$TEST_DIR/m3.eml"
wait_for 20 count_at_least 28
is "$rc:$(sent_count):$(count_to m3@acme.example)" "0:28:1" "a mail after the outage is answered once"

# 6. SIGHUP with a configuration that does not load keeps the old one.
cp "$TICKETGATE_CONFIG" "$TEST_DIR/good.conf"
printf '[limits]\nno_such_key = 1\n' >>"$TICKETGATE_CONFIG"
kill -HUP "$S2"
wait_for 20 grep -q 'keeping the configuration it had' "$TEST_DIR/sender-2.log"
ok $? "SIGHUP with a broken configuration: the sender says so"
cp "$TEST_DIR/good.conf" "$TICKETGATE_CONFIG"
mail "m4@acme.example" "After the reload" >"$TEST_DIR/m4.eml"
TICKETGATE_LOG=stderr deliver "$TEST_DIR/m4.eml"
wait_for 20 count_at_least 30
is "$(sent_count):$(count_to m4@acme.example)" "30:1" "... and goes on sending with the old one"

# 7. The sender records a batch of sends with one statement; when the
# database refuses it, the journal keeps the sends, and they are folded
# in once it takes them again (here at the reconnect of a SIGHUP):
# nothing is sent twice.
sql "CREATE TABLE refuse_sent (x int);
CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.sent_at IS NOT NULL AND EXISTS (SELECT 1 FROM refuse_sent) THEN
		RAISE EXCEPTION 'sent marks refused by the test';
	END IF;
	RETURN NEW;
END\$\$;
CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox
	FOR EACH ROW EXECUTE FUNCTION refuse_sent();
INSERT INTO refuse_sent VALUES (1);" >/dev/null
mail "m5@acme.example" "While the marks are refused" >"$TEST_DIR/m5.eml"
deliver "$TEST_DIR/m5.eml"
wait_for 20 grep -q '2 answers were sent; the database could not record them' "$TEST_DIR/sender-2.log"
ok $? "a batch the database refuses: the sender says the journal kept it"
is "$(sent_count):$(unsent)" "32:2" "... both answers sent once, unrecorded in the database"
sql "DELETE FROM refuse_sent" >/dev/null
kill -HUP "$S2"
wait_for 20 grep -q 'journal: 2 sent answers recorded' "$TEST_DIR/sender-2.log"
ok $? "once the database takes them, the journal's lines are folded in"
wait_for 20 sh -c "[ \$(psql -X -q -At -h '$PG_DIR' -U postgres -d ticketgate -c 'SELECT count(*) FROM outbox WHERE sent_at IS NULL') -eq 0 ]"
got=$(grep -h '^Message-ID:' "$TG_SENDMAIL_DIR"/*.eml | sort | uniq -d | wc -l)
is "$(sent_count):$(unsent):$got" "32:0:0" "... and nothing is sent a second time"

stop_sender "$S2"
S2=
is "$src" "0" "SIGTERM: exit 0"

# 7. Usage.
tg sender extra >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" "64" "an argument it does not take: 64"
