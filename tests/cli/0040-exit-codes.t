#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Exit codes as Postfix reads them: 75 (and a 4.x.x line) for anything on
# our side, 65 (and 5.x.x) only for a deliberate refusal; nothing half
# stored; a retry never doubles a ticket or an answer.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 38

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 --domain acme.example >/dev/null
count() { sql "SELECT (SELECT count(*) FROM tickets) || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM outbox)"; }
# Only what Postfix would see: no log lines on stderr.
quiet_deliver() { TICKETGATE_LOG=syslog deliver "$@"; }

# Database unreachable: 75 with one 4.x.x line.
mail "jane@acme.example" "DB down" >"$TEST_DIR/m1.eml"
conf_ok=$(cat "$TICKETGATE_CONFIG")
sed -i "s|^conninfo = .*|conninfo = host=$TEST_DIR/nowhere user=postgres dbname=ticketgate|" "$TICKETGATE_CONFIG"
quiet_deliver "$TEST_DIR/m1.eml"
is "$rc" "75" "database unreachable: exit 75"
like "$err" '^4\.3\.0 ticketgate: database unavailable' "... with a 4.3.0 line"
is "$(printf '%s\n' "$err" | wc -l)" "1" "... and only that line on stderr"
tg queue >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" "69" "admin commands say 69 when the database is unreachable"
printf '%s\n' "$conf_ok" >"$TICKETGATE_CONFIG"
is "$(count)" "0/0/0" "nothing was stored"

# The connection dies in the middle of the transaction: all or nothing.
sql "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END \$\$;
     CREATE TRIGGER die BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION die();" >/dev/null
quiet_deliver "$TEST_DIR/m1.eml"
is "$rc" "75" "connection lost mid-transaction: exit 75"
is "$(count)" "0/0/0" "... and neither ticket nor message was kept"
sql "DROP TRIGGER die ON outbox" >/dev/null
quiet_deliver "$TEST_DIR/m1.eml"
is "$rc:$(count):$(sent_count)" "0:1/2/1:1" "Postfix's retry stores it once, with one answer"

# deliver connects while it reads the mail. A mail that arrives slowly
# outlives that connection (here the server closes idle sessions after
# 300 ms): deliver connects afresh instead of failing.
sed -i "s|^conninfo = .*|& options='-c idle_session_timeout=300'|" "$TICKETGATE_CONFIG"
mail "jane@acme.example" "Slow sender" >"$TEST_DIR/slow.eml"
before=$(sql "SELECT count(*) FROM tickets")
{ sleep 1.5; cat "$TEST_DIR/slow.eml"; } | TICKETGATE_LOG=syslog SENDER=jane@acme.example \
	"$TICKETGATE" deliver 2>"$TEST_DIR/err" >/dev/null && rc=0 || rc=$?
is "$rc:$(cat "$TEST_DIR/err")" "0:" "a mail read slower than the server keeps an idle connection is stored"
is "$(sql "SELECT count(*) FROM tickets")" "$((before + 1))" "... as one new ticket"
printf '%s\n' "$conf_ok" >"$TICKETGATE_CONFIG"

# Over the size limit: a deliberate refusal, 65 and 5.3.4.
{ mail "jane@acme.example" "Huge"; head -c 1200000 /dev/zero | tr '\0' 'x' | fold -w 76; } >"$TEST_DIR/big.eml"
before=$(count)
quiet_deliver "$TEST_DIR/big.eml"
is "$rc" "65" "a mail over max_message_size: exit 65"
like "$err" '^5\.3\.4 ticketgate: .*1048576' "... one 5.3.4 line stating the limit"
is "$(count)" "$before" "... and nothing stored"

# The disk fills up while the mail is spooled: 75, nothing stored. A
# file size limit makes the spool file's writes fail like a full disk.
{ mail "jane@acme.example" "Disk full"; head -c 600000 /dev/zero | tr '\0' 'y' | fold -w 76; } >"$TEST_DIR/full.eml"
before=$(count)
( ulimit -f 200; TICKETGATE_LOG=syslog SENDER=jane@acme.example "$TICKETGATE" deliver <"$TEST_DIR/full.eml" 2>"$TEST_DIR/err" ) && rc=0 || rc=$?
like "$rc:$(cat "$TEST_DIR/err")" '^75:4\.3\.0 ticketgate: .*' "no room for the spool file: exit 75 with a 4.3.0 line"
is "$(count)" "$before" "... and nothing stored"

# Our own configuration: always 75, naming the file (and line and key).
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/missing.conf" deliver <"$TEST_DIR/m1.eml" 2>"$TEST_DIR/err" && rc=0 || rc=$?
err=$(cat "$TEST_DIR/err")
is "$rc" "75" "missing configuration: exit 75"
like "$err" "^4\.3\.5 ticketgate: $TEST_DIR/missing.conf: " "... naming the file"
cp "$TICKETGATE_CONFIG" "$TEST_DIR/typo.conf"
printf '[limits]\nmax_mesage_size = 10M\n' >>"$TEST_DIR/typo.conf"
line=$(grep -n max_mesage_size "$TEST_DIR/typo.conf" | cut -d: -f1)
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/typo.conf" deliver <"$TEST_DIR/m1.eml" 2>"$TEST_DIR/err" && rc=0 || rc=$?
is "$rc:$(cat "$TEST_DIR/err")" "75:4.3.5 ticketgate: $TEST_DIR/typo.conf:$line: [limits] max_mesage_size: unknown key" \
	"a misspelt key: 75, file, line, group and key"
cp "$TICKETGATE_CONFIG" "$TEST_DIR/bad.conf"
sed -i 's|^directory = .*|directory = /nonexistent/templates|' "$TEST_DIR/bad.conf"
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/bad.conf" deliver <"$TEST_DIR/m1.eml" 2>"$TEST_DIR/err" && rc=0 || rc=$?
like "$rc:$(cat "$TEST_DIR/err")" "^75:4\.3\.5 ticketgate: .*/nonexistent/templates/ack.txt" "missing templates: 75, naming the file"
quiet_deliver "$TEST_DIR/m1.eml" --no-such-option
like "$rc:$err" '^75:4\.3\.5 ticketgate: bad arguments' "a bad argument (our alias is wrong): 75, not a bounce"
TICKETGATE_LOG=syslog "$TICKETGATE" --no-such-option deliver <"$TEST_DIR/m1.eml" 2>"$TEST_DIR/err" && rc=0 || rc=$?
is "$rc:$(cat "$TEST_DIR/err")" "75:4.3.5 ticketgate: bad arguments: Unknown option --no-such-option" "a bad option before deliver: 75 as well, the same line"
err=$(tg --no-such-option customer list 2>&1) && rc=0 || rc=$?
is "$rc:$err" "64:ticketgate: Unknown option --no-such-option (see ticketgate --help)" "... before any other command: a usage error (64), one line"

# sendmail fails: the mail is stored anyway, sweep sends the answer later.
echo "queue file write error" >"$TG_SENDMAIL_DIR/fail"
mail "jane@acme.example" "While sendmail is broken" >"$TEST_DIR/m2.eml"
quiet_deliver "$TEST_DIR/m2.eml"
is "$rc" "0" "sendmail failing does not fail the delivery"
got=$(sql "SELECT attempts || '|' || (sent_at IS NULL) || '|' || last_error FROM outbox ORDER BY id DESC LIMIT 1")
is "$got" "1|true|sendmail exited with 75: queue file write error" "... the answer waits in the outbox with the reason"
tg sweep >/dev/null 2>&1
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
is "$got" "1" "sweep leaves it alone until it is due"
rm "$TG_SENDMAIL_DIR/fail"
n=$(sent_count)
tg sweep --flush >/dev/null 2>&1 && rc=0 || rc=$?
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
is "$rc:$got:$(sent_count)" "0:0:$((n + 1))" "once sendmail is mended, sweep --flush sends it at once, once"
tg sweep >/dev/null 2>&1
is "$(sent_count)" "$((n + 1))" "a second sweep sends nothing again"

# deliver's own time limit: exit 75 before Postfix's command_time_limit.
# It waits for a sendmail that runs (up to sendmail_timeout), so that it
# never falls between sendmail taking an answer and the answer being
# written down: here sendmail hangs, is stopped after 3 s, and then the
# time limit (2 s) ends deliver.
cat >"$TEST_DIR/slow-sendmail" <<'SH'
#!/bin/sh
cat >/dev/null
sleep 30
SH
chmod +x "$TEST_DIR/slow-sendmail"
cp "$TICKETGATE_CONFIG" "$TEST_DIR/slow.conf"
sed -i "s|^sendmail = .*|sendmail = $TEST_DIR/slow-sendmail\nsendmail_timeout = 3s|; s|^time_limit = .*|time_limit = 2s|" "$TEST_DIR/slow.conf"
mail "jane@acme.example" "Slow sendmail" >"$TEST_DIR/m3.eml"
start=$(date +%s)
TICKETGATE_LOG=syslog "$TICKETGATE" -c "$TEST_DIR/slow.conf" deliver <"$TEST_DIR/m3.eml" 2>"$TEST_DIR/err" && rc=0 || rc=$?
took=$(($(date +%s) - start))
is "$rc:$(cat "$TEST_DIR/err")" "75:4.3.0 ticketgate: time limit of 2 seconds exceeded" "past time_limit: exit 75 with a 4.3.0 line"
ok $([ "$took" -le 5 ] && echo 0 || echo 1) "... in time ($took s)"
before=$(count)
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND claimed_until > now()")
is "$got" "1" "the unsent answer stays claimed by the deliver that ran out of time"
n=$(sent_count)
quiet_deliver "$TEST_DIR/m3.eml"
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
is "$rc:$(count):$got:$(sent_count)" "0:$before:0:$((n + 1))" \
	"Postfix's retry finds the mail stored and sends the answer the first attempt left: exit 0, nothing new stored"
tg sweep >/dev/null 2>&1
quiet_deliver "$TEST_DIR/m3.eml"
is "$rc:$(sent_count)" "0:$((n + 1))" "... once: sweep and a further retry send nothing"

# A second copy of a mail arrives while the deliver of the first is
# still handing its answer to sendmail: the second leaves that answer to
# the first, which sends it, once. When the first is killed instead, the
# next copy (Postfix's retry) sends it.
cat >"$TEST_DIR/held-sendmail" <<SH
#!/bin/sh
touch "$TEST_DIR/holding"
while [ ! -f "$TEST_DIR/release" ]; do sleep 0.02; done
exec "$TG_TOP_BUILDDIR/tests/fake-sendmail" "\$@"
SH
chmod +x "$TEST_DIR/held-sendmail"
sed "s|^sendmail = .*|sendmail = $TEST_DIR/held-sendmail|" "$TICKETGATE_CONFIG" >"$TEST_DIR/held.conf"
for case in release kill; do
	rm -f "$TEST_DIR/holding" "$TEST_DIR/release"
	mail "jane@acme.example" "Copies while sending ($case)" >"$TEST_DIR/m5.eml"
	sent=$(sent_count)
	TICKETGATE_LOG=syslog SENDER=jane@acme.example "$TICKETGATE" -c "$TEST_DIR/held.conf" deliver <"$TEST_DIR/m5.eml" 2>/dev/null &
	first=$!
	wait_for 30 test -f "$TEST_DIR/holding" || echo "# the first copy never reached sendmail"
	quiet_deliver "$TEST_DIR/m5.eml"
	second=$rc:$(sent_count)
	if [ "$case" = release ]; then
		touch "$TEST_DIR/release"
		wait "$first" && rc=0 || rc=$?
		is "$second:$rc:$(sent_count)" "0:$sent:0:$((sent + 1))" \
			"a copy delivered while the first still sends leaves the answer to it, which sends it once"
	else
		kill -9 "$first"
		wait "$first" 2>/dev/null || :
		quiet_deliver "$TEST_DIR/m5.eml"
		is "$second:$rc:$(sent_count)" "0:$sent:0:$((sent + 1))" \
			"... and when that deliver is killed, the next copy sends it, once"
	fi
	tg sweep >/dev/null 2>&1
	is "$(sent_count):$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" "$((sent + 1)):0" \
		"... and sweep finds nothing left to send ($case)"
done

# Two copies of one mail at the same moment: one ticket, one answer.
mail "jane@acme.example" "Twice at once" >"$TEST_DIR/m4.eml"
n=$(sent_count)
t=$(sql "SELECT count(*) FROM tickets")
for i in 1 2 3 4; do
	TICKETGATE_LOG=syslog SENDER=jane@acme.example "$TICKETGATE" deliver <"$TEST_DIR/m4.eml" 2>>"$TEST_DIR/par.err" &
done
fails=0
for p in $(jobs -p); do wait "$p" || fails=$((fails + 1)); done
is "$fails" "0" "four concurrent copies all exit 0"
is "$(sql "SELECT count(*) FROM tickets"):$(sent_count)" "$((t + 1)):$((n + 1))" "... making one ticket and one answer"

tg_done
