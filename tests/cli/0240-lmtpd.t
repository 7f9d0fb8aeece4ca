#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ticketgate lmtpd, the LMTP entry, as a client sees it: the greeting and
# LHLO's extensions, a reply per recipient after the commit, dot-stuffing
# undone and the bytes kept exactly, XFORWARD's queue id in the log, size
# refused at MAIL FROM and after the data, protocol errors, a silent
# client, the database down (4xx, then the retry stores the mail once),
# a fixed number of sessions at once, SIGHUP, a killed worker, SIGTERM
# with a transaction in flight, and check-config. The decisions
# themselves are deliver's tests run through this entry (TG_ENTRY=lmtp,
# the cli/lmtp-*.t tests).
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 36

SOCK="$TEST_DIR/lmtp.sock"
LPID=
stop_lmtpd() {
	[ -n "$LPID" ] || return 0
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
}
# On a failure the server's log goes to the TAP log.
trap 'stop_lmtpd; [ "$tap_failed" -eq 0 ] || sed "s/^/# lmtpd: /" "$TEST_DIR/lmtpd.log"; tg_cleanup' EXIT

# start_lmtpd PROCESSES TIMEOUT: the daemon on $SOCK, logging to
# lmtpd.log.
start_lmtpd() {
	sed -i "s/^processes = .*//; s/^timeout = .*//; s/^user = root\$/user = root\nprocesses = $1\ntimeout = $2/" \
		"$TICKETGATE_CONFIG"
	TICKETGATE_LOG=stderr "$TICKETGATE" lmtpd --listen "unix:$SOCK" \
		2>>"$TEST_DIR/lmtpd.log" &
	LPID=$!
	wait_for 20 test -S "$SOCK" || bail "lmtpd did not start"
}
talk() { python3 "$LIB/lmtp-talk" "$@" "unix:$SOCK"; }
flat() { printf '%s' "$1" | tr '\n' ' '; }
workers() { pgrep -P "$LPID" | sort; }
nworkers() { pgrep -P "$LPID" | wc -l; }

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
start_lmtpd 2 3s

# 1. The greeting and LHLO.
out=$(printf 'LHLO mx.example\nQUIT\n' | talk)
like "$out" '^220 [^ ]+ LMTP' "the greeting is 220"
like "$out" '250-PIPELINING' "LHLO announces PIPELINING"
like "$out" '250-ENHANCEDSTATUSCODES' "... ENHANCEDSTATUSCODES"
like "$out" '250 SIZE 1048576' "... and SIZE, [limits] max_message_size"

# 2. One mail, two recipients: a reply for each after the commit; the
# second is the same mail again (as two pipe deliveries would be).
mail "Jane Doe <jane@acme.example>" "Printer on fire" >"$TEST_DIR/m1.eml"
printf '.hidden line\n..two dots\n.\n' >>"$TEST_DIR/m1.eml"
out=$(talk <<EOF
LHLO mx.example
XFORWARD IDENT=4ABC123DEF
MAIL FROM:<jane@acme.example> SIZE=$(wc -c <"$TEST_DIR/m1.eml")
RCPT TO:<support@desk.example>
RCPT TO:<sales@desk.example>
DATA
@BODY $TEST_DIR/m1.eml
QUIT
EOF
)
like "$out" '250 2.0.0 <support@desk.example> new-ticket, ticket 1000' "the first recipient: stored, ticket 1000"
like "$out" '250 2.0.0 <sales@desk.example> duplicate' "the second: the same mail, a duplicate"
is "$(sql "SELECT count(*) FROM tickets")|$(sent_count)" "1|1" "one ticket, one acknowledgment"
got=$(sql "SELECT md5(raw) FROM messages WHERE direction = 'in'")
is "$got" "$(md5sum <"$TEST_DIR/m1.eml" | cut -d' ' -f1)" "dot-stuffing and CRLF undone: the bytes kept exactly"
like "$(cat "$TEST_DIR/lmtpd.log")" 'queue_id=4ABC123DEF .*action=new-ticket' "XFORWARD IDENT is the log line's queue id"

# 3. Size: refused at MAIL FROM when announced, after the data if not.
out=$(printf 'LHLO mx.example\nMAIL FROM:<jane@acme.example> SIZE=2000000\nQUIT\n' | talk)
like "$out" '552 5.3.4 message larger than 1048576 bytes' "an announced size over the limit is refused at MAIL FROM"
head -c 1100000 /dev/zero | tr '\0' 'x' | fold -w 76 >"$TEST_DIR/big.body"
{ mail "Jane Doe <jane@acme.example>" "Big"; cat "$TEST_DIR/big.body"; } >"$TEST_DIR/big.eml"
out=$(talk <<EOF
LHLO mx.example
MAIL FROM:<jane@acme.example>
RCPT TO:<support@desk.example>
DATA
@BODY $TEST_DIR/big.eml
QUIT
EOF
)
like "$out" '552 5.3.4 <support@desk.example> message larger than' "an oversize mail without SIZE is refused after the dot"
is "$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")" "1" "... and nothing of it is stored"

# 4. Pipelining, and commands out of order.
mail "Jane Doe <jane@acme.example>" "Second question" >"$TEST_DIR/m2.eml"
out=$(talk <<EOF
LHLO mx.example
@PIPELINE MAIL FROM:<jane@acme.example>|RCPT TO:<support@desk.example>|DATA
@BODY $TEST_DIR/m2.eml
QUIT
EOF
)
like "$(flat "$out")" '250 2.1.0 Ok.*250 2.1.5 Ok.*354 .*250 2.0.0 <support@desk.example> new-ticket, ticket 1001' \
	"pipelined MAIL, RCPT and DATA are answered in order"
out=$(printf 'HELO mx.example\nRCPT TO:<a@b.example>\nLHLO mx.example\nRCPT TO:<a@b.example>\nMAIL FROM:<>\nDATA\nFOO\nQUIT\n' | talk)
like "$(flat "$out")" '500 5.5.1 .*503 5.5.1 need MAIL.*250 SIZE.*503 5.5.1 need MAIL.*250 2.1.0.*503 5.5.1 no valid recipients.*500 5.5.2' \
	"HELO, RCPT before MAIL, DATA before RCPT and unknown commands are refused"

# 5. A client that stays silent loses its session ([lmtpd] timeout).
out=$(printf 'LHLO mx.example\n@READ\n' | talk)
like "$out" '421 4.4.2 .*timeout' "a silent client gets 421 after the timeout"

# 6. The database down: 4xx, Postfix keeps the mail; the retry stores it
# once and answers once.
mail "Jane Doe <jane@acme.example>" "During the outage" >"$TEST_DIR/m3.eml"
script="LHLO mx.example
MAIL FROM:<jane@acme.example>
RCPT TO:<support@desk.example>
DATA
@BODY $TEST_DIR/m3.eml
QUIT"
PG_STOP_MODE=fast "$LIB/pg-cluster" stop "$PG_DIR" >/dev/null
out=$(echo "$script" | talk)
like "$out" '451 4.3.0 <support@desk.example> database unavailable, will retry' "database down: 451 4.3.0 for the recipient"
"$LIB/pg-cluster" resume "$PG_DIR" >/dev/null
n=$(sent_count)
out=$(echo "$script" | talk)
like "$out" '250 2.0.0 <support@desk.example> new-ticket, ticket 1002' "the retry stores it"
out=$(echo "$script" | talk)
like "$out" '250 2.0.0 <support@desk.example> duplicate' "a second retry is a duplicate"
is "$(( $(sent_count) - n ))|$(sql "SELECT count(*) FROM tickets")" "1|3" "one acknowledgment, one ticket"

# 7. No more sessions than processes: with one, a second client waits
# for the first to end.
stop_lmtpd
start_lmtpd 1 60s
talk >"$TEST_DIR/c1.out" <<EOF &
LHLO one.example
@WAITFILE $TEST_DIR/c2.connected
NOOP
@WAITFILE $TEST_DIR/go
QUIT
EOF
c1=$!
wait_for 20 grep -q '^250 SIZE' "$TEST_DIR/c1.out"
printf 'LHLO two.example\nQUIT\n' | talk -c >"$TEST_DIR/c2.out" &
c2=$!
wait_for 20 grep -q 'connected' "$TEST_DIR/c2.out" && touch "$TEST_DIR/c2.connected"
wait_for 20 grep -q '^250 2.0.0 Ok' "$TEST_DIR/c1.out"
is "$(grep -c '^220' "$TEST_DIR/c2.out")" "0" "a second client is not served while the only process serves the first"
touch "$TEST_DIR/go"
wait "$c1" "$c2"
like "$(flat "$(cat "$TEST_DIR/c2.out")")" '220 .*250 SIZE.*221' "... and is served once the first has left"

# 8. SIGHUP rereads the configuration.
sed -i 's/^max_message_size = .*/max_message_size = 2M/' "$TICKETGATE_CONFIG"
before=$(grep -c 'configuration reloaded' "$TEST_DIR/lmtpd.log")
kill -HUP "$LPID"
wait_for 20 sh -c "[ \$(grep -c 'configuration reloaded' '$TEST_DIR/lmtpd.log') -gt $before ]"
sized() { [ "$(printf 'LHLO mx.example\nQUIT\n' | talk | grep -c '^250 SIZE 2097152')" = 1 ]; }
wait_for 20 sized
ok $? "after SIGHUP new sessions announce the new size"
sed -i 's/^listen = .*//; s/^\[lmtpd\]$/[lmtpd]\nlisten = nowhere/' "$TICKETGATE_CONFIG"
kill -HUP "$LPID"
wait_for 20 grep -q 'configuration not reloaded: .*\[lmtpd\] listen' "$TEST_DIR/lmtpd.log"
ok $? "a configuration that does not load is refused, naming the key"
sized
ok $? "... and the server goes on with the one it had"
sed -i 's/^listen = nowhere$//' "$TICKETGATE_CONFIG"

# 9. A worker killed is replaced.
w=$(workers | head -n 1)
kill -9 "$w"
replaced() { [ "$(nworkers)" = 1 ] && ! workers | grep -qx "$w"; }
wait_for 20 replaced
ok $? "a killed worker is replaced"
mail "Jane Doe <jane@acme.example>" "After the kill" >"$TEST_DIR/m4.eml"
out=$(printf 'LHLO mx.example\nMAIL FROM:<jane@acme.example>\nRCPT TO:<support@desk.example>\nDATA\n@BODY %s\nQUIT\n' "$TEST_DIR/m4.eml" | talk)
like "$out" '250 2.0.0 <support@desk.example> new-ticket' "... and the next mail is stored"

# 10. SIGTERM: the transaction in flight finishes, then the session and
# the server end.
mail "Jane Doe <jane@acme.example>" "While stopping" >"$TEST_DIR/m5.eml"
out=$(talk <<EOF
LHLO mx.example
MAIL FROM:<jane@acme.example>
@SIGNAL $LPID 15
RCPT TO:<support@desk.example>
DATA
@BODY $TEST_DIR/m5.eml
@READ
EOF
)
like "$out" '250 2.0.0 <support@desk.example> new-ticket' "SIGTERM: the mail in flight is stored"
like "$out" '421 4.3.2 .*shutting down' "... then the session is closed with 421"
wait "$LPID"
is "$?" "0" "... and the server exits 0"
LPID=
ok "$(test ! -e "$SOCK"; echo $?)" "... removing its socket"

# 11. Answers over SMTP ([mail] submit): a worker keeps its connection
# to the mail host from one mail to the next.
. "$LIB/smtp.sh"
# The sink numbers what it records from 1: earlier records move away.
mkdir "$TEST_DIR/sent.pipe"
mv "$TG_SENDMAIL_DIR"/* "$TEST_DIR/sent.pipe/"
smtp_sink_start
trap 'stop_lmtpd; smtp_sink_stop; [ "$tap_failed" -eq 0 ] || sed "s/^/# lmtpd: /" "$TEST_DIR/lmtpd.log"; tg_cleanup' EXIT
smtp_submit_config
start_lmtpd 1 60s
for i in 6 7; do
	mail "Jane Doe <jane@acme.example>" "Over SMTP $i" >"$TEST_DIR/m$i.eml"
	printf 'LHLO mx.example\nMAIL FROM:<jane@acme.example>\nRCPT TO:<support@desk.example>\nDATA\n@BODY %s\nQUIT\n' "$TEST_DIR/m$i.eml" | talk >/dev/null
done
is "$(sent_count)" "2" "with [mail] submit the acknowledgments go over SMTP"
is "$(smtp_sink_log | grep 'MAIL FROM' | cut -d' ' -f1 | sort -u | wc -l)" "1" "... both over the one connection the worker keeps"
stop_lmtpd

# 12. check-config knows the section.
sed -i 's/^\[lmtpd\]$/[lmtpd]\nlisten = inet:localhost:24/' "$TICKETGATE_CONFIG"
err=$(tg check-config 2>&1) && rc=0 || rc=$?
is "$rc" "78" "check-config refuses a listen address that is no address"
like "$err" 'ticketgate.conf:[0-9]+: \[lmtpd\] listen: .*numeric address' "... naming file, line and key"

# 13. A --listen that is no address is the command line's mistake: 64,
# one line, said before anything is loaded or listened on.
err=$(tg -c "$TEST_DIR/missing.conf" lmtpd --listen "unix:$SOCK" --listen inet:localhost:24 2>&1) && rc=0 || rc=$?
is "$rc:$err" "64:ticketgate lmtpd: --listen: inet: needs a numeric address and a port, such as inet:127.0.0.1:25 or inet:[::1]:25" \
	"lmtpd --listen with no address: usage error (64), one line"
# With a configuration that loads, the good address first: a check done
# address by address would listen on it before the bad one was seen.
timeout 20 "$TICKETGATE" lmtpd --listen "unix:$SOCK" --listen nowhere >/dev/null 2>&1 && rc=0 || rc=$?
[ -e "$SOCK" ] && s=present || s=absent
is "$rc:$s" "64:absent" "... and nothing listens"

tg_done
