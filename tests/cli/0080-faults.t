#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Nothing lost, nothing doubled, no mail loops, under faults: the
# database going away before, during and after deliveries (also for
# longer than deliver waits to record a send, and with the answer to a
# COMMIT lost), deliver killed at random points, sendmail failing, eight
# deliverers at once on 5,000 mails, and another robot that answers
# everything. Postfix is simulated by tests/lib/postfix_sim.py: 0
# delivered, 75 or a signal retried, any other exit a bounce. Every fault
# is chosen by what the test observes (deliveries started, a sendmail
# holding an answer, deliveries returned), never by a clock; no claim or
# outbox row is touched by hand: the claim is short here (20 s) and the
# test waits it out, and the real "ticketgate sweep" runs before the
# answers are counted. Figures go to the TAP log; doc/RELIABILITY.md
# quotes them.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
# The server is crashed on purpose below: keep its commits durable.
PG_DURABLE=1
export PG_DURABLE
STAFF="alice@desk.example bob@desk.example"
TG_STAFF_ADDRESS="alice@desk.example, bob@desk.example"
tg_setup
SIM="python3 $LIB/postfix_sim.py"
MAILS=${TG_FAULT_MAILS:-5000}
TRIALS=${TG_FAULT_TRIALS:-200}

tap_plan 45

for p in PLATINUM GOLD SILVER BRONZE; do
	lower=$(echo "$p" | tr 'A-Z' 'a-z')
	tg customer add "$p customer" --plan "$p" --from 2026-01-01 --domain "$lower.example" >/dev/null
done
# The caps are tested on their own below; here they must not hide acks.
printf 'cap_per_hour = 100000\ncap_per_day = 100000\n' >>"$TICKETGATE_CONFIG"
# A claim of 20 s instead of 10 minutes, so that waiting one out takes
# seconds: it outlasts deliver (time limit 10 s, which waits for a
# sendmail that runs, 5 s at most) and one send by sweep (5 s, and 10 s
# to record it).
sed -i "s/^time_limit = .*/time_limit = 10s\noutbox_claim = 20s/; s|^\(sendmail = .*\)|\1\nsendmail_timeout = 5s|" "$TICKETGATE_CONFIG"
STATE="$TEST_DIR/state"

# json FILE KEY: a value of a simulator report.
json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if not isinstance(v, (list, dict)) else len(v))' "$1" "$2"; }
# ids FILE KEY: the Message-IDs of a report, one per line.
ids() { python3 -c 'import json,sys; [print(i) for i in json.load(open(sys.argv[1]))[sys.argv[2]]]' "$1" "$2"; }
# answer_counts: what sendmail got, per mail answered and recipient
# (tests/lib/answers.py); acks_for ID: answers to the customer of mail
# ID; notes_for ID ADDR: to staff member ADDR.
answer_counts() { python3 "$LIB/answers.py" count "$TG_SENDMAIL_DIR" >"$TEST_DIR/answers.count"; }
acks_for() {
	awk -v id="$1" -v staff=" $STAFF " '$2 == id && index(staff, " " $3 " ") == 0 { n += $1 } END { print n + 0 }' "$TEST_DIR/answers.count"
}
notes_for() { awk -v id="$1" -v to="$2" '$2 == id && $3 == to { n += $1 } END { print n + 0 }' "$TEST_DIR/answers.count"; }
# answers_wrong REPORT KEY ACKS [--at-most]: ids of the report whose
# customer did not get ACKS answers (at most ACKS) or a staff member not
# exactly one notification.
answers_wrong() {
	answer_counts
	python3 "$LIB/answers.py" check "$TEST_DIR/answers.count" "$1" "$2" --acks "$3" ${4:-} \
		--staff alice@desk.example --staff bob@desk.example
}
# not_once FILE KEY: ids of the report not stored exactly once.
not_once() {
	ids "$1" "$2" >"$TEST_DIR/want.ids"
	sql "SELECT message_id FROM messages WHERE direction = 'in' GROUP BY message_id HAVING count(*) = 1" | sort >"$TEST_DIR/once.ids"
	sort "$TEST_DIR/want.ids" | comm -23 - "$TEST_DIR/once.ids" | wc -l
}
# unsent ID: answers caused by customer mail ID not marked sent.
unsent() { sql "SELECT count(*) FROM outbox o JOIN messages a ON a.id = o.message_id JOIN messages m ON m.ticket_id = a.ticket_id WHERE m.message_id = '$1' AND m.direction = 'in' AND o.sent_at IS NULL"; }
# claims_out: wait until no answer is claimed any more (read, never
# changed: the claims run out by themselves).
no_claim() { [ "$(sql "SELECT count(*) FROM outbox WHERE claimed_until > now()")" = 0 ]; }
claims_out() { wait_for 120 no_claim || echo "# claims still held after 120 s"; }
# journal_lines: lines in the journals of the state directory.
journal_lines() { cat "$STATE"/sent.* 2>/dev/null | wc -l; }
stop_db() { PG_STOP_MODE=immediate "$LIB/pg-cluster" stop "$PG_DIR" >/dev/null 2>&1 || :; }
start_db() { "$LIB/pg-cluster" resume "$PG_DIR" >/dev/null; }
# deliver_as ID SENDER [CONFIG]: one delivery of mail ID as Postfix runs it.
new_mail() {
	mail "$2" "$1" >"$TEST_DIR/$1.eml"
	sed -i "s/^Message-ID: .*/Message-ID: <$1@test>/" "$TEST_DIR/$1.eml"
}
deliver_as() {
	SENDER=$2 TICKETGATE_LOG=stderr "$TICKETGATE" -c "${3:-$TICKETGATE_CONFIG}" deliver <"$TEST_DIR/$1.eml" 2>"$TEST_DIR/$1.err" && rc=0 || rc=$?
}

# 1. The database is down before the deliveries: all deferred, none lost.
PG_STOP_MODE=fast "$LIB/pg-cluster" stop "$PG_DIR"
for i in 1 2 3 4 5; do
	new_mail "down-$i" "u$i@gold.example"
	deliver_as "down-$i" "u$i@gold.example"
	echo "$rc" >>"$TEST_DIR/down.rc"
done
is "$(sort -u "$TEST_DIR/down.rc" | tr '\n' ' ')" "75 " "database down: every delivery is deferred (75)"
start_db
for i in 1 2 3 4 5; do deliver_as "down-$i" "u$i@gold.example"; done
got=$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'down-%' AND direction = 'in'")
answer_counts
bad=0; for i in 1 2 3 4 5; do [ "$(acks_for "down-$i@test")" -eq 1 ] || bad=$((bad + 1)); done
is "$got:$bad" "5:0" "after the restart each mail is stored once and acknowledged once"

# The server crashes the moment deliver has exited 0: what deliver
# recorded (the mail, and that its answer went out) survives the crash,
# so sweep never sends that answer a second time.
for i in 1 2 3 4 5; do
	new_mail "crash-$i" "c$i@gold.example"
	deliver_as "crash-$i" "c$i@gold.example"
	stop_db
	start_db
done
got=$(sql "SELECT count(*) FILTER (WHERE o.sent_at IS NOT NULL) || ':' || count(*) FROM outbox o JOIN messages a ON a.id = o.message_id JOIN messages m ON m.ticket_id = a.ticket_id WHERE m.message_id LIKE 'crash-%' AND m.direction = 'in' AND a.kind = 'ack'")
is "$got" "5:5" "a server crash right after deliver keeps every answer marked sent"

# The server restarts while sendmail has the answer: marking it sent
# fails on the dead connection, and is done again over a new one, by
# deliver and by sweep alike.
cat >"$TEST_DIR/restart-sendmail" <<EOF
#!/bin/sh
"$TG_TOP_BUILDDIR/tests/fake-sendmail" "\$@" || exit \$?
PG_STOP_MODE=immediate "$LIB/pg-cluster" stop "$PG_DIR" >/dev/null 2>&1
"$LIB/pg-cluster" resume "$PG_DIR" >/dev/null 2>&1
EOF
chmod +x "$TEST_DIR/restart-sendmail"
# A restart after a crash can take longer than the 5 s sendmail gets in
# the rest of this test.
sed "s|^sendmail = .*|sendmail = $TEST_DIR/restart-sendmail|; s|^sendmail_timeout = .*|sendmail_timeout = 60s|; s|^time_limit = .*|time_limit = 120s|; s|^outbox_claim = .*|outbox_claim = 10m|" \
	"$TICKETGATE_CONFIG" >"$TEST_DIR/restart.conf"
sed "s|^sendmail = .*|sendmail = /bin/false|" "$TICKETGATE_CONFIG" >"$TEST_DIR/false.conf"
new_mail restart-1 r1@gold.example
new_mail restart-2 r2@gold.example
deliver_as restart-1 r1@gold.example "$TEST_DIR/restart.conf"
is "$rc:$(unsent restart-1@test)" "0:0" "deliver records the answers sent over a new connection after a server restart"
deliver_as restart-2 r2@gold.example "$TEST_DIR/false.conf"
before=$(unsent restart-2@test)
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/restart.conf" sweep --flush 2>/dev/null && rc=0 || rc=$?
is "$before:$rc:$(unsent restart-2@test)" "2:0:0" "... and so does sweep (--flush: sendmail works again)"

# The commit reaches the server but its answer never reaches deliver
# (tests/lib/pg_cut_proxy.py drops it): deliver exits 75 with the mail
# stored and its answers claimed. Postfix's retry finds the mail stored
# and sends those answers at once, not when the claim runs out.
proxy="$TEST_DIR/proxy"
mkdir -p "$proxy"
python3 "$LIB/pg_cut_proxy.py" "$proxy" "$PG_DIR" &
proxy_pid=$!
wait_for 30 test -f "$proxy/ready" || echo "# the proxy did not start"
sed "s|host=$PG_DIR |host=$proxy |" "$TICKETGATE_CONFIG" >"$TEST_DIR/proxy.conf"
new_mail lost-1 l1@gold.example
touch "$proxy/cut"
deliver_as lost-1 l1@gold.example "$TEST_DIR/proxy.conf"
got=$(sql "SELECT count(*) FROM messages WHERE message_id = 'lost-1@test'")
answer_counts
is "$rc:$(cat "$proxy/cuts" 2>/dev/null):$got:$(acks_for lost-1@test):$(unsent lost-1@test)" "75:1:1:0:2" \
	"the answer to COMMIT lost: exit 75, the mail stored, its answers claimed and unsent"
deliver_as lost-1 l1@gold.example "$TEST_DIR/proxy.conf"
answer_counts
is "$rc:$(acks_for lost-1@test):$(notes_for lost-1@test alice@desk.example):$(unsent lost-1@test)" "0:1:1:0" \
	"... Postfix's retry sends them at once"
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || :

# 2. The database goes away after sendmail took an answer and stays away
# longer than deliver (and sweep) wait to record it: the send goes into
# the mail host's journal instead, and nothing sends it again. The
# sendmail here stops the server after queueing the mail.
cat >"$TEST_DIR/stop-sendmail" <<EOF
#!/bin/sh
"$TG_TOP_BUILDDIR/tests/fake-sendmail" "\$@" || exit \$?
PG_STOP_MODE=immediate "$LIB/pg-cluster" stop "$PG_DIR" >/dev/null 2>&1
exit 0
EOF
chmod +x "$TEST_DIR/stop-sendmail"
sed "s|^sendmail = .*|sendmail = $TEST_DIR/stop-sendmail|; s|^staff_address = .*|staff_address =|" "$TICKETGATE_CONFIG" >"$TEST_DIR/stop.conf"
sed "s|^state_directory = .*|state_directory = $TEST_DIR/no-such-folder|" "$TEST_DIR/stop.conf" >"$TEST_DIR/nowhere.conf"
new_mail journal-1 j1@gold.example
new_mail nowhere-1 n1@gold.example
new_mail sweep-1 s1@gold.example
deliver_as journal-1 j1@gold.example "$TEST_DIR/stop.conf"
is "$rc:$(journal_lines)" "0:1" "deliver: the database gone after sendmail took the answer, past the wait: exit 0, the send in the journal"
like "$(cat "$TEST_DIR/journal-1.err")" "the database could not record it .*, the journal $STATE/sent\." "... and the log says where"
start_db
# Neither the database nor the journal can take it: it stays claimed,
# and the log says so loudly.
deliver_as nowhere-1 n1@gold.example "$TEST_DIR/nowhere.conf"
like "$rc:$(cat "$TEST_DIR/nowhere-1.err")" "^0:.*WAS SENT AND IS RECORDED NOWHERE" "with no journal either: exit 0, and a loud line in the log"
start_db
# The next deliver on the host folds the journal in before it sends.
sed "s|^sendmail = .*|sendmail = /bin/false|" "$TEST_DIR/stop.conf" >"$TEST_DIR/stop-false.conf"
deliver_as sweep-1 s1@gold.example "$TEST_DIR/stop-false.conf"
is "$(unsent journal-1@test):$(journal_lines)" "0:0" "the next deliver folds the journal in: that answer is recorded now, the journal gone"
# sweep likewise, with the answer sendmail refused to that deliver.
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/stop.conf" sweep --flush 2>/dev/null && rc=0 || rc=$?
is "$rc:$(journal_lines)" "75:1" "sweep: the same, its send in the journal; it stops there (75)"
start_db
answer_counts
is "$(unsent nowhere-1@test):$(unsent sweep-1@test)" "1:1" "... the database knows neither send"
is "$(acks_for journal-1@test):$(acks_for nowhere-1@test):$(acks_for sweep-1@test)" "1:1:1" "... each answer sent once so far"
# Their claims run out while the next parts run; see after part 4.

# 3. The database goes away in the middle of a burst of new tickets and
# stays away until every delivery that was handing an answer to sendmail
# has given up recording it; Postfix's retries are replayed, sweep runs,
# and only then are answers counted: every mail stored once, every
# customer one acknowledgment, every staff member one notification per
# mail, all of them before any claim runs out. The moment is chosen by
# what is observed: sendmail holds every mail after the 60th it queued
# (tests/fake-sendmail, "hold"), the server is stopped once two
# deliveries wait there, and started again once the deliveries that were
# waiting have returned and 20 deliveries were deferred meanwhile.
# A sendmail that has not exited when its sendmail_timeout runs out is
# killed and its answer counted unsent (doc/RELIABILITY.md): the held
# ones get 30 s here, so that however slow the machine, they are
# released (after the server is stopped) before that.
gate="$TEST_DIR/gate"
mkdir -p "$gate"
sed "s|^sendmail_timeout = .*|sendmail_timeout = 30s|; s|^outbox_claim = .*|outbox_claim = 45s|" \
	"$TICKETGATE_CONFIG" >"$TEST_DIR/held.conf"
echo 60 >"$TG_SENDMAIL_DIR/hold"
TICKETGATE_CONFIG="$TEST_DIR/held.conf" \
	$SIM load --workers 4 --mails 300 --seed 7 --gate "$gate" >"$TEST_DIR/during.json" &
sim=$!
held() { [ "$(ls "$TG_SENDMAIL_DIR" | grep -c '^held\.')" -ge "$1" ]; }
wait_for 120 held 2 || echo "# sendmail never held two answers"
stop_db
held_pids=$(cat "$TG_SENDMAIL_DIR"/held.* 2>/dev/null)
touch "$TG_SENDMAIL_DIR/release"
returned() { for p in $held_pids; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
wait_for 120 returned || echo "# deliveries that held an answer still run"
wait_for 120 at_least "$gate/deferred" 20 || echo "# fewer than 20 deliveries deferred while the server was down"
journaled=$(journal_lines)
start_db
wait $sim
rm -f "$TG_SENDMAIL_DIR/hold" "$TG_SENDMAIL_DIR/release" "$TG_SENDMAIL_DIR"/held.*
echo "# database stopped mid-run: $(echo $held_pids | wc -w) deliveries holding an answer, $journaled sends in the journal, $(json "$TEST_DIR/during.json" deferred) deferrals, retried"
is "$(json "$TEST_DIR/during.json" bounced)" "0" "database stopped mid-run: no bounce"
ok $([ "$journaled" -gt 0 ] && [ "$(json "$TEST_DIR/during.json" deferred)" -ge 20 ] && echo 0 || echo 1) \
	"... the outage was felt: sends went to the journal, deliveries were deferred"
is "$(not_once "$TEST_DIR/during.json" new_ids)" "0" "... every new mail stored exactly once"
is "$(not_once "$TEST_DIR/during.json" reply_ids)" "0" "... every reply stored exactly once"
is "$(answers_wrong "$TEST_DIR/during.json" new_ids 1)" "0" "... right after the replay: every new ticket acknowledged once, every staff member notified once"
# A reply whose first mail is not stored yet (deferred) opens a ticket of
# its own, and is acknowledged.
is "$(answers_wrong "$TEST_DIR/during.json" reply_ids 1 --at-most)" "0" "... and every staff member notified once of every reply"
TICKETGATE_LOG=syslog "$TICKETGATE" sweep 2>/dev/null
got=$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.caused_by WHERE m.message_id LIKE 'load-7-%' AND o.sent_at IS NULL")
is "$got:$(journal_lines)" "0:0" "... one sweep later the database knows every answer sent (the journal folded in, and gone)"

# 4. deliver killed with SIGKILL at random points of its run, then
# redelivered until delivered, as Postfix does. fake-sendmail notes when
# it queued each answer, to tell the window (killed after sendmail took
# an answer, before it was written down: doc/RELIABILITY.md) from a fault.
TG_SENDMAIL_STAMPS=1 $SIM kill --trials "$TRIALS" --seed 3 >"$TEST_DIR/kill.json"
echo "# kill -9: $(json "$TEST_DIR/kill.json" killed) of $TRIALS runs killed, spread over a median deliver run of $(json "$TEST_DIR/kill.json" span_ms) ms; $(json "$TEST_DIR/kill.json" retries) redeliveries"
ok $([ "$(json "$TEST_DIR/kill.json" killed)" -ge $((TRIALS / 3)) ] && echo 0 || echo 1) "a good part of the runs were really killed"
is "$(json "$TEST_DIR/kill.json" bounced)" "0" "killed deliveries are retried, never bounced"
is "$(not_once "$TEST_DIR/kill.json" ids)" "0" "zero lost, zero doubled mails after $TRIALS kills"
got=$(sql "SELECT count(*) FROM tickets WHERE subject LIKE 'Kill trial %'")
is "$got" "$TRIALS" "exactly one ticket per killed mail"
# Counted after the claims of the killed deliveries ran out and sweep ran
# (the outage's claims too): what was left would be sent now.
claims_out
TICKETGATE_LOG=syslog "$TICKETGATE" sweep 2>/dev/null
read lost twice unexplained <<EOF_KILLS
$(python3 "$LIB/answers.py" kills "$TG_SENDMAIL_DIR" "$TEST_DIR/kill.json" \
	--staff alice@desk.example --staff bob@desk.example)
EOF_KILLS
echo "# kill -9: mails with an answer sent twice: $twice of $TRIALS"
is "$lost" "0" "no answer lost: acknowledgment and notifications (a redelivery sends what a killed deliver left)"
is "$unexplained" "0" "every answer sent twice was queued by sendmail before its deliver was killed: the window, nothing else ($twice of $TRIALS)"
is "$(answers_wrong "$TEST_DIR/during.json" new_ids 1)" "0" "the outage's answers, the claims out and sweep run again: still once each"
# Part 2's claims are out too.
is "$(acks_for journal-1@test):$(acks_for sweep-1@test):$(unsent journal-1@test):$(unsent sweep-1@test):$(ls "$STATE" | wc -l)" "1:1:0:0:0" \
	"the journaled answers: folded in, never sent again; the journals are gone"
is "$(acks_for nowhere-1@test):$(unsent nowhere-1@test)" "2:0" "... but the one recorded nowhere is sent a second time (the log said so)"
is "$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" "0" "... and nothing is left unsent"

# 5. sendmail fails for a while, then works: every answer goes out once.
echo "connection refused" >"$TG_SENDMAIL_DIR/fail"
for i in $(seq 1 20); do
	new_mail "sm-$i" "s$i@silver.example"
	deliver_as "sm-$i" "s$i@silver.example"
done
got=$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.sent_at IS NULL AND m.subject LIKE '%sm-%' AND m.kind = 'ack'")
is "$got" "20" "while sendmail fails, 20 acknowledgments wait in the outbox"
tg sweep >/dev/null 2>&1
rm "$TG_SENDMAIL_DIR/fail"
tg sweep >/dev/null 2>&1
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
is "$got" "40" "... sweep does not retry before they are due"
tg sweep --flush >/dev/null 2>&1
answer_counts
bad=0; for i in $(seq 1 20); do [ "$(acks_for "sm-$i@test")" -eq 1 ] || bad=$((bad + 1)); done
is "$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL"):$bad" "0:0" "once sendmail works, sweep --flush sends each at once, exactly once"

# 6. Eight deliverers at once: new tickets, replies to the same tickets,
# duplicates and machine mail.
$SIM load --workers 8 --mails "$MAILS" --seed 11 >"$TEST_DIR/load.json"
echo "# load: $(json "$TEST_DIR/load.json" mails) deliveries ($(json "$TEST_DIR/load.json" unique) distinct mails) by 8 workers in $(json "$TEST_DIR/load.json" seconds) s, $(json "$TEST_DIR/load.json" deferred) deferred and retried"
is "$(json "$TEST_DIR/load.json" bounced)" "0" "$MAILS deliveries by 8 workers: no bounce"
is "$(not_once "$TEST_DIR/load.json" new_ids)" "0" "... no new mail lost or doubled"
is "$(not_once "$TEST_DIR/load.json" reply_ids)" "0" "... no reply lost or doubled"
is "$(not_once "$TEST_DIR/load.json" machine_ids)" "0" "... no machine mail lost or doubled"
got=$(sql "SELECT count(*) FROM messages m WHERE direction = 'in' AND message_id LIKE 'load-11-%' AND kind = 'machine' AND EXISTS (SELECT 1 FROM outbox o JOIN messages a ON a.id = o.message_id WHERE a.ticket_id = m.ticket_id AND a.kind = 'ack' AND a.created_at > m.created_at)")
is "$got" "0" "... machine mail is never answered"
is "$(answers_wrong "$TEST_DIR/load.json" new_ids 1)" "0" "... every new ticket acknowledged once, every staff member notified once"
is "$(answers_wrong "$TEST_DIR/load.json" reply_ids 1 --at-most)" "0" "... every staff member notified once of every reply"
got=$(sql "SELECT count(*) FROM tickets t WHERE (SELECT count(*) FROM messages WHERE ticket_id = t.id AND kind = 'ack') > 1")
is "$got" "0" "... no ticket has two acknowledgments"

# 7. Another desk that answers everything: the exchange stops at the cap.
sed -i '/^cap_per_hour = /d; /^cap_per_day = /d' "$TICKETGATE_CONFIG"
printf 'ack_followups = true\n' >>"$TICKETGATE_CONFIG"
$SIM robot --rounds 60 >"$TEST_DIR/robot.json"
to_robot=$(count_to helpdesk@robot.example)
echo "# robot: $(json "$TEST_DIR/robot.json" robot_mails) robot mails in $(json "$TEST_DIR/robot.json" rounds) rounds; we answered $to_robot"
ok $([ "$(json "$TEST_DIR/robot.json" rounds)" -lt 60 ] && echo 0 || echo 1) "two desks answering each other stop by themselves"
is "$to_robot" "10" "... after exactly cap_per_hour (10) answers to the robot"
got=$(sql "SELECT count(*) FROM messages WHERE sender = 'helpdesk@robot.example' AND direction = 'in'")
is "$got" "$(json "$TEST_DIR/robot.json" robot_mails)" "... and every robot mail is still stored"

tg_done
