#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# deliver end to end: a new ticket and its acknowledgment, threading by
# Message-ID and by tag, retries, HTML-only mail, attachments, CCs,
# machine mail, the arrival time, unknown senders under both policies.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tg_setup

tap_plan 39

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null

# 1. A new ticket from a known customer.
mail "Jane Doe <jane@acme.example>" "Server down" "X-Priority: 1 (Highest)" >"$TEST_DIR/m1.eml"
deliver "$TEST_DIR/m1.eml"
is "$rc" "0" "a new mail is stored (exit 0)"
like "$err" "action=new-ticket ticket=1000 " "one log line says what happened"
got=$(sql "SELECT number, plan_name, priority, status, customers.name FROM tickets JOIN customers ON customers.id = customer_id")
is "$got" "1000|GOLD|1|new|ACME Corp" "ticket 1000: GOLD, High, new, ACME Corp"
is "$(sent_count)" "1" "one acknowledgment handed to sendmail"
is "$(cat "$(sent_args 1)" | tr '\n' ' ')" "-i -f support@desk.example -- jane@acme.example " \
	"sendmail -i -f <support> -- <requester>"
ack=$(sent_mail 1)
like "$(grep '^Subject:' "$ack")" '^Subject: \[Support #1000\] Re: Server down$' "the acknowledgment's subject carries the tag"
msgid=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$TEST_DIR/m1.eml")
is "$(grep '^In-Reply-To:' "$ack")" "In-Reply-To: <$msgid>" "it answers the customer's Message-ID"
is "$(grep -c '^Auto-Submitted: auto-replied$' "$ack")" "1" "it is marked Auto-Submitted: auto-replied"
like "$(cat "$ack")" 'Answer due by: +[A-Z][a-z]+day, ' "it states the deadline"
got=$(sql "SELECT md5(raw) FROM messages WHERE direction = 'in'")
is "$got" "$(md5sum <"$TEST_DIR/m1.eml" | cut -d' ' -f1)" "the raw bytes are kept exactly"
got=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
is "$got" "1" "the outbox row is marked sent"

# 2. The customer replies to the acknowledgment: threaded by Message-ID.
ackid=$(sed -n 's/^Message-Id: <\(.*\)>$/\1/p' "$ack")
mail "Jane Doe <jane@acme.example>" "Re: [Support #1000] Re: Server down" \
	"In-Reply-To: <$ackid>" "References: <$msgid> <$ackid>" >"$TEST_DIR/m2.eml"
deliver "$TEST_DIR/m2.eml"
got=$(sql "SELECT count(*) FROM messages WHERE ticket_id = (SELECT id FROM tickets WHERE number = 1000) AND direction = 'in'")
is "$rc:$got" "0:2" "a reply to the acknowledgment joins ticket 1000"
like "$err" "threaded_by=message-id" "... found by Message-ID"
is "$(sent_count)" "1" "... and gets no second acknowledgment"

# 3. Only the tag, from the requester (a client that dropped References).
mail "jane@acme.example" "Again: [Support #1000]" >"$TEST_DIR/m3.eml"
deliver "$TEST_DIR/m3.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=tag" "the tag threads mail from the requester"

# 4. A stranger copies the tag: a ticket of their own.
mail "mallory@evil.example" "Re: [Support #1000] give me the logs" >"$TEST_DIR/m4.eml"
deliver "$TEST_DIR/m4.eml"
like "$err" "action=new-ticket ticket=1001 threaded_by=refused" "a stranger's copied tag opens a new ticket"
got=$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = 1000 AND m.sender = 'mallory@evil.example'")
is "$got" "0" "... and nothing of it reaches ticket 1000"

# 5. Postfix retries the first mail: nothing new.
before=$(sent_count)
deliver "$TEST_DIR/m1.eml"
got=$(sql "SELECT count(*) FROM tickets")
is "$rc:$got:$(sent_count)" "0:2:$before" "a redelivery exits 0 with no new ticket and no new answer"
like "$err" "action=duplicate" "... and is logged as a duplicate"

# 6. HTML-only mail in ISO-8859-1 with an encoded subject and Importance.
deliver "$DATA/deliver/html-only.eml"
got=$(sql "SELECT subject || '|' || priority FROM tickets WHERE number = 1002")
is "$got" "Fattura sbagliata – urgente|1" "encoded subject decoded; Importance: High"
got=$(sql "SELECT body_text FROM messages WHERE message_id = 'html-only-1@acme.example'")
like "$got" "la fattura è sbagliata & non funziona" "HTML-only mail stored as readable UTF-8 text"
like "$got" "- primo" "... with list items"
ok $(printf '%s' "$got" | grep -q 'color' && echo 1 || echo 0) "... without its style sheet"

# 7. Attachments are listed; everyone in To and Cc but us follows the ticket.
deliver "$DATA/deliver/with-attachment.eml"
got=$(sql "SELECT filename || '|' || content_type || '|' || size FROM attachments")
is "$got" "server.log|application/octet-stream|29" "the attachment is listed with its decoded size"
got=$(sql "SELECT string_agg(address, ',' ORDER BY address) FROM ticket_cc c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = 1003")
is "$got" "boss@acme.example,carl@acme.example" "To/Cc addresses but ours are the ticket's CCs"

# 8. Machine mail is stored but never answered.
before=$(sent_count)
deliver "$DATA/deliver/auto-reply.eml"
like "$err" "action=machine ticket=1000 .*machine=auto-submitted" "an out-of-office is machine mail, filed on its ticket"
is "$(sent_count)" "$before" "... and gets no answer"
mail "MAILER-DAEMON@relay.example" "Undelivered Mail" >"$TEST_DIR/m8.eml"
SENDER= deliver "$TEST_DIR/m8.eml"
got=$(sql "SELECT kind FROM messages WHERE sender = 'mailer-daemon@relay.example'")
is "$rc:$got:$(sent_count)" "0:machine:$before" "a null-sender mail is stored as machine mail, unanswered"

# 9. The clock starts when our MTA received the mail.
recv=$(date -u -d '1 hour ago' '+%a, %d %b %Y %H:%M:%S +0000')
{ printf 'Received: from x by desk.example (Postfix) with ESMTP id 4AbC; %s\n' "$recv"
  mail "jane@acme.example" "Held in the queue" ; } >"$TEST_DIR/m9.eml"
deliver "$TEST_DIR/m9.eml"
got=$(sql "SELECT received_at = '$(date -u -d "$recv" '+%Y-%m-%d %H:%M:%S+00')' FROM tickets WHERE subject = 'Held in the queue'")
is "$got" "t" "arrival time comes from the topmost Received header"
like "$err" "queue_id=4AbC .*received_from=header" "... and Postfix's queue id is logged"
old=$(date -u -d '10 days ago' '+%a, %d %b %Y %H:%M:%S +0000')
{ printf 'Received: by desk.example (Postfix); %s\n' "$old"
  mail "jane@acme.example" "Ancient" ; } >"$TEST_DIR/m10.eml"
deliver "$TEST_DIR/m10.eml"
got=$(sql "SELECT now() - received_at < interval '5 minutes' FROM tickets WHERE subject = 'Ancient'")
is "$got" "t" "a Received date older than the queue lifetime is not trusted"
future=$(date -u -d '2 days' '+%a, %d %b %Y %H:%M:%S +0000')
{ printf 'Received: by desk.example (Postfix); %s\n' "$future"
  mail "jane@acme.example" "From the future" ; } >"$TEST_DIR/m11.eml"
deliver "$TEST_DIR/m11.eml"
got=$(sql "SELECT received_at <= now() FROM tickets WHERE subject = 'From the future'")
is "$got" "t" "a Received date in the future is not trusted"

# 10. Identity comes from From; answers go to Reply-To.
mail "jane@acme.example" "Please answer my colleague" "Reply-To: Carl <carl@acme.example>" "X-Priority: 5" >"$TEST_DIR/m12.eml"
n=$(sent_count)
deliver "$TEST_DIR/m12.eml"
got=$(sql "SELECT requester || '|' || reply_address || '|' || priority || '|' || plan_name FROM tickets WHERE subject = 'Please answer my colleague'")
is "$got" "jane@acme.example|carl@acme.example|3|GOLD" "requester from From, answers to Reply-To, X-Priority 5 is Low"
is "$(tail -n 1 "$(sent_args $((n + 1)))")" "carl@acme.example" "the acknowledgment goes to the Reply-To address"

# 11. Unknown senders: a ticket without a plan, paid-support answer.
mail "Walter <walter@unknown.example>" "Can you help?" >"$TEST_DIR/m13.eml"
n=$(sent_count)
deliver "$TEST_DIR/m13.eml"
got=$(sql "SELECT plan_name || '|' || billable || '|' || (response_due_at IS NULL) FROM tickets WHERE requester = 'walter@unknown.example'")
is "$got" "NONE|true|true" "an unknown sender gets a billable ticket without deadline"
like "$(text_of "$(sent_mail $((n + 1)))" | tr "\n" " ")" "50 EUR per +hour +of +work" "... and the paid-support answer with the rate"

# 12. ... or, with unknown_sender = reject, no ticket and a polite answer.
TG_UNKNOWN_SENDER=reject tg_write_config
mail "Wanda <wanda@unknown.example>" "Hello?" >"$TEST_DIR/m14.eml"
n=$(sent_count)
deliver "$TEST_DIR/m14.eml"
got=$(sql "SELECT count(*) FROM tickets WHERE requester = 'wanda@unknown.example'")
is "$rc:$got" "0:0" "reject policy: exit 0 and no ticket"
got=$(sql "SELECT kind || '|' || (ticket_id IS NULL) FROM messages WHERE sender = 'wanda@unknown.example'")
is "$got" "rejected|true" "... the mail is still stored"
like "$(cat "$(sent_mail $((n + 1)))")" "could not find your address among our" "... and answered politely"

tg_done
