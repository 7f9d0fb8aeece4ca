#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Robots: delivery reports about our mail mark the failed address as
# bouncing; automatic answers stop until a human clears it; machine mail
# reaches staff at most once an hour per ticket; our own mail and the
# rolling caps; the same mail to a second support address.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 26

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 --domain acme.example >/dev/null

# dsn ORIGINAL-ID FAILED-ADDRESS: a Postfix-style bounce of our mail.
dsn() {
	cat <<MAIL
From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
To: support@desk.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.$(date +%s%N)@mx.acme.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

This is the mail system at host mx.acme.example. I'm sorry.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example

Final-Recipient: rfc822; $2
Original-Recipient: rfc822;$2
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <$2>: Recipient address rejected

--r
Content-Type: text/rfc822-headers

From: Example Support <support@desk.example>
Subject: [Support #1000] Re: Server down
Message-ID: <$1>

--r--
MAIL
}

mail "Jane <jane@acme.example>" "Server down" >"$TEST_DIR/m1.eml"
deliver "$TEST_DIR/m1.eml"
ack_id=$(hdr "$(last_to jane@acme.example)" Message-ID | tr -d '<>')

# 1. A bounce of our acknowledgment.
dsn "$ack_id" jane@acme.example >"$TEST_DIR/dsn1.eml"
n=$(count_to staff@desk.example)
SENDER= deliver "$TEST_DIR/dsn1.eml"
like "$err" "action=machine ticket=1000 threaded_by=message-id .*machine=dsn" \
	"a bounce of our mail is filed on its ticket, found by the returned Message-ID"
like "$err" "held=bouncing-now:jane@acme.example" "... and marks the failed address as bouncing"
got=$(tg bounce list --json | python3 -c 'import json,sys; print(";".join("%s %s %s" % (b["address"], b["status"], b["ticket"]) for b in json.load(sys.stdin)))')
is "$got" "jane@acme.example 5.1.1 1000" "bounce list shows it, with the status and the ticket"
is "$(count_to staff@desk.example)" "$((n + 1))" "staff are told of the bounce"
like "$(text_of "$(last_to staff@desk.example)")" "Delivery failure report: \[Support #1000\]" "... as a delivery failure report"

# 2. No more automatic answers to it; the mail is still stored.
n=$(count_to jane@acme.example)
s=$(count_to staff@desk.example)
mail "Jane <jane@acme.example>" "Another problem" >"$TEST_DIR/m2.eml"
deliver "$TEST_DIR/m2.eml"
like "$err" "action=new-ticket ticket=1001 .*held=ack:bouncing:jane@acme.example" \
	"a new ticket from a bouncing address gets no acknowledgment"
is "$(count_to jane@acme.example)" "$n" "... nothing is sent to it"
is "$(count_to staff@desk.example)" "$((s + 1))" "... while staff still see the mail"

# 3. A staff reply is a person's: it still goes.
tg staff add alice@desk.example Alice >/dev/null
printf 'From: alice@desk.example\nTo: support@desk.example\nSubject: Re: [Support #1001] Another problem\nMessage-ID: <s1@desk.example>\n\nWe are on it.\n' >"$TEST_DIR/s1.eml"
deliver_to "$(signed_for 1001)" "$TEST_DIR/s1.eml"
is "$(count_to jane@acme.example)" "$((n + 1))" "a staff reply to a bouncing address is still relayed"

# 4. Forged and stray reports change nothing.
dsn "$ack_id" carl@acme.example >"$TEST_DIR/dsn2.eml"
SENDER= deliver "$TEST_DIR/dsn2.eml"
is "$(sql "SELECT count(*) FROM bouncing_addresses WHERE address = 'carl@acme.example'")" "0" \
	"a report naming an address our mail did not go to marks nothing"
dsn "never-sent@desk.example" bob@acme.example >"$TEST_DIR/dsn3.eml"
SENDER= deliver "$TEST_DIR/dsn3.eml"
got=$(sql "SELECT count(*) FROM bouncing_addresses WHERE address = 'bob@acme.example'")
is "$rc:$got" "0:0" "a report about a mail we never sent is stored, marks nothing"
like "$err" "action=machine ticket=- " "... and is kept as unattached machine mail"

# 5. A human clears the address: answers resume.
tg bounce clear Jane@ACME.example >/dev/null
mail "Jane <jane@acme.example>" "Third problem" >"$TEST_DIR/m3.eml"
n=$(count_to jane@acme.example)
deliver "$TEST_DIR/m3.eml"
is "$(count_to jane@acme.example)" "$((n + 1))" "after bounce clear, acknowledgments resume"
tg bounce clear nobody@acme.example >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" "66" "clearing an address that is not bouncing says so (66)"

# 6. Machine mail reaches staff at most once an hour per ticket.
n=$(count_to staff@desk.example)
for i in 1 2 3; do
	mail "jane@acme.example" "Automatic reply: [Support #1002]" "Auto-Submitted: auto-replied" >"$TEST_DIR/ooo$i.eml"
	deliver "$TEST_DIR/ooo$i.eml"
done
is "$(count_to staff@desk.example)" "$((n + 1))" "three auto-replies on one ticket: staff told once"
is "$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = 1002 AND m.kind = 'machine'")" "3" \
	"... all three are stored on the ticket"
is "$(sql "SELECT status FROM tickets WHERE number = 1002")" "new" "... and none changed its status"

# 7. What is and is not a robot.
mail "jane@acme.example" "Re: [Support #1002] human after all" "Auto-Submitted: no" "Precedence: first-class" >"$TEST_DIR/h.eml"
deliver "$TEST_DIR/h.eml"
like "$err" "action=follow-up .*machine=none" "Auto-Submitted: no and Precedence: first-class are a person"
mail "news@lists.example" "Weekly digest" "List-Id: <news.lists.example>" >"$TEST_DIR/l.eml"
deliver "$TEST_DIR/l.eml"
like "$err" "action=machine .*machine=list" "a list mail is machine mail"
cp "$(last_to jane@acme.example)" "$TEST_DIR/own.eml"
n=$(sent_count)
deliver "$TEST_DIR/own.eml"
like "$err" "action=machine .*machine=own-mail" "our own mail coming back is recognised"
is "$(sent_count)" "$n" "... and answered by nobody"

# 8. The rolling cap: at most cap_per_hour answers to one address.
n=$(count_to max@acme.example)
for i in $(seq 1 12); do
	mail "max@acme.example" "Question $i" >"$TEST_DIR/q$i.eml"
	deliver "$TEST_DIR/q$i.eml"
done
is "$(count_to max@acme.example)" "$((n + 10))" "twelve new tickets in an hour from one address: ten acknowledgments"
like "$err" "action=new-ticket .*held=ack:cap:max@acme.example" "... the rest held back, and logged"
is "$(sql "SELECT count(*) FROM tickets WHERE requester = 'max@acme.example'")" "12" "... every mail still has its ticket"

# 9. One mail to two of our addresses (support@ and sales@ both piped to
# ticketgate): one mail, one ticket, one answer.
mail "jane@acme.example" "Both addresses" >"$TEST_DIR/two.eml"
sed -i 's/^To: .*/To: support@desk.example, sales@desk.example/' "$TEST_DIR/two.eml"
n=$(sent_count)
RECIPIENT=support@desk.example deliver "$TEST_DIR/two.eml"
RECIPIENT=sales@desk.example SENDER=jane@acme.example TICKETGATE_LOG=stderr \
	"$TICKETGATE" deliver --recipient sales@desk.example <"$TEST_DIR/two.eml" 2>"$TEST_DIR/err2" >/dev/null
like "$(cat "$TEST_DIR/err2")" "action=duplicate" "the copy for the second support address is the same mail"
is "$(sql "SELECT count(*) FROM tickets WHERE subject = 'Both addresses'"):$(( $(sent_count) - n ))" "1:2" \
	"... one ticket, one acknowledgment (and one staff notification)"

tg_done
