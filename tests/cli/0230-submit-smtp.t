#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Answers submitted over SMTP ([mail] submit) instead of through sendmail:
# the acknowledgment and the staff notification of a new ticket reach the
# mail host's server with the right envelope, over one connection; a
# server that refuses the end of the data leaves them unsent and sweep
# sends them later, once; the one window (the connection lost after the
# final dot) counts as unsent; check-config refuses a malformed address.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
. "$TG_TOP_SRCDIR/tests/lib/smtp.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup
smtp_sink_start
smtp_submit_config
# Only the answers of mail are counted here: no morning queue mail.
printf '[escalation]\ndaily_queue = false\n' >>"$TICKETGATE_CONFIG"

tap_plan 19

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
unsent() { sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL"; }

# 1. A new ticket: acknowledgment and notification through SMTP.
mail "Jane Doe <jane@acme.example>" "Server down" >"$TEST_DIR/m1.eml"
deliver "$TEST_DIR/m1.eml"
is "$rc:$(sent_count)" "0:2" "a new ticket's two answers reach the SMTP server"
is "$(count_to jane@acme.example):$(count_to staff@desk.example)" "1:1" \
	"... one acknowledgment to the customer, one notification to staff"
ack=$(last_to jane@acme.example)
is "$(head -n 4 "${ack%.eml}.args" | tr '\n' ' ')" "-i -f support@desk.example -- " \
	"the envelope sender is the bounce address"
like "$(grep '^Subject:' "$ack")" '^Subject: \[Support #1000\] Re: Server down$' \
	"the acknowledgment arrives whole"
got=$(sql "SELECT md5(raw) FROM messages m JOIN outbox o ON o.message_id = m.id
	WHERE m.direction = 'out' AND o.recipients::text LIKE '%jane@%'")
is "$got" "$(md5sum <"$ack" | cut -d' ' -f1)" "... byte for byte as stored (dots and line ends undone by the server)"
notice=$(last_to staff@desk.example)
like "$(text_of "$notice" | tr '\n' ' ')" "something is wrong" "the notification carries the customer's mail"
is "$(unsent)" "0" "both outbox rows are marked sent"
is "$(smtp_sink_log | grep -c ' connect$'):$(smtp_sink_log | grep -c ' RSET$')" "1:1" \
	"one connection carries both answers, reset between them"
like "$(smtp_sink_log | grep ' MAIL FROM' | head -n 1)" 'MAIL FROM:<support@desk.example> SIZE=[0-9]+' \
	"MAIL FROM gives the size the server asked for"
is "$(smtp_sink_log | grep -c ' QUIT$')" "1" "deliver says QUIT at the end"

# 2. The server refuses the end of the data: nothing is taken; sweep
# sends the answers once the server takes mail again, once.
echo "451 4.3.0 queue file write error" >"$TG_SENDMAIL_DIR/fail-data"
mail "jane@acme.example" "While the server refuses" >"$TEST_DIR/m2.eml"
n=$(sent_count)
deliver "$TEST_DIR/m2.eml"
is "$rc:$(sent_count):$(unsent)" "0:$n:2" "a 4xx to the data: exit 0, both answers wait in the outbox"
got=$(sql "SELECT DISTINCT attempts || '|' || last_error FROM outbox WHERE sent_at IS NULL")
is "$got" "1|inet:127.0.0.1:$SINK_PORT: the end of the data refused: 451 4.3.0 queue file write error" \
	"... with the server's reply as the reason"
tg sweep >/dev/null 2>&1
is "$(sent_count):$(unsent)" "$n:2" "sweep leaves them alone until they are due"
rm "$TG_SENDMAIL_DIR/fail-data"
tg sweep --flush >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc:$(sent_count):$(unsent)" "0:$((n + 2)):0" "once the server takes mail, sweep --flush sends both"
tg sweep --flush >/dev/null 2>&1
is "$(sent_count):$(count_to jane@acme.example)" "$((n + 2)):2" "... once: a second sweep sends nothing again"

# 3. The window: the connection is lost after the final dot, before the
# reply. The server may have queued the mail; it counts as unsent and is
# sent again, as after a sendmail that timed out.
touch "$TG_SENDMAIL_DIR/drop-data"
mail "jane@acme.example" "While the line drops" >"$TEST_DIR/m3.eml"
n=$(sent_count)
deliver "$TEST_DIR/m3.eml"
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND last_error LIKE '%connection lost after the end of the data%'")
is "$rc:$got" "0:2" "a connection lost after the final dot: the answers count as unsent"
rm "$TG_SENDMAIL_DIR/drop-data"
tg sweep --flush >/dev/null 2>&1
is "$(unsent):$(sent_count)" "0:$((n + 4))" "... and are sent again (the server had both copies: the documented window)"

# 4. check-config names the key of a malformed address.
cp "$TICKETGATE_CONFIG" "$TEST_DIR/bad.conf"
sed -i "s|^submit = .*|submit = inet:localhost:25|" "$TEST_DIR/bad.conf"
line=$(grep -n '^submit = ' "$TEST_DIR/bad.conf" | cut -d: -f1)
out=$("$TICKETGATE" -c "$TEST_DIR/bad.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" "78" "check-config refuses a submit address that is no numeric address"
like "$out" "$TEST_DIR/bad.conf:$line: \[mail\] submit: inet: needs a numeric address and a port" \
	"... naming the file, the line and the key"

tg_done
