#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Staff work the desk from their own mail client: notifications, replies
# relayed to the customer in the shapes real clients send, first response,
# comments, commands, follow-ups, reopening, who may write to a ticket.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 72

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
tg staff add alice@desk.example "Alice Smith" >/dev/null
tg staff add bob@desk.example "Bob Jones" >/dev/null
# Our MTA's Authentication-Results, as OpenDKIM writes them above its
# Received header (doc/staff.md).
printf '[security]\nauthserv_id = mx.desk.example\n' >>"$TICKETGATE_CONFIG"
AR_PASS="Authentication-Results: mx.desk.example; dkim=pass header.d=desk.example header.s=mail"
# verified FILE: FILE with our MTA's DKIM pass on top.
verified() { { printf '%s\n' "$AR_PASS"; cat "$1"; } >"$1.v" && mv "$1.v" "$1"; }

# staff_mail FROM SUBJECT BODY [HEADERS...]: a reply from a mail client.
staff_mail() {
	from=$1 subject=$2 body=$3
	shift 3
	printf 'From: %s\nTo: support@desk.example\nSubject: %s\n' "$from" "$subject"
	printf 'Date: Mon, 30 Nov 2026 10:00:00 +0200\nMessage-ID: <%s.%s@desk.example>\n' "$(date +%s%N)" "$$"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b' "$body"
}
id_of() { hdr "$1" Message-ID | tr -d '<>'; }

# 1. The customer writes, with an attachment and a colleague in Cc.
cat >"$TEST_DIR/c1.eml" <<'MAIL'
From: Jane Doe <jane@acme.example>
To: support@desk.example
Cc: Carl <carl@acme.example>
Subject: Calls to +44 fail
Date: Fri, 27 Nov 2026 10:00:00 +0200
Message-ID: <c1@acme.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Every call to +44 fails with 503.
--b
Content-Type: text/plain; name="trace.txt"
Content-Disposition: attachment; filename="trace.txt"

SIP/2.0 503 Service Unavailable
--b--
MAIL
deliver "$TEST_DIR/c1.eml" --received-at 2026-11-27T10:00:00+02:00
is "$rc:$(count_to staff@desk.example):$(count_to jane@acme.example)" "0:1:1" \
	"a new ticket: one acknowledgment to the customer, one notification to staff"
n=$(last_to staff@desk.example)
is "$(hdr "$n" From)" "Jane Doe via Example Support <support@desk.example>" "the notification comes from the desk, naming the customer"
like "$(hdr "$n" Reply-To)" '^support\+1000\.s[a-z2-7]{16}@desk\.example$' "... a plain Reply goes back to the desk, to an address signed for the ticket's staff"
is "$(hdr "$n" Subject)" "[Support #1000] Calls to +44 fail" "... its subject carries the tag"
is "$(hdr "$n" In-Reply-To)" "<c1@acme.example>" "... and it threads to the customer's mail"
text=$(text_of "$n")
like "$text" "New ticket: \[Support #1000\]" "the header block names the ticket"
like "$text" "Plan: +GOLD \(reaction time: 3 working hours\)" "... the plan"
like "$text" "Priority: +Medium" "... the priority"
like "$text" "Due: +Friday, 27 November 2026, 13:00" "... and the deadline"
like "$text" "Every call to \+44 fails with 503" "the customer's text follows"
like "$(parts_of "$n")" "text/plain;trace.txt" "the customer's attachment is forwarded"
is "$(hdr "$n" Auto-Submitted)" "auto-generated" "a notification is marked auto-generated"
notify1=$(id_of "$n")

# 2. Alice answers from Thunderbird, with a command on top.
staff_mail "Alice Smith <alice@desk.example>" "Re: [Support #1000] Calls to +44 fail" \
	"#status pending\n\nHello Jane,\n\nplease restart the trunk and tell us.\n\n> Every call to +44 fails with 503.\n" \
	"In-Reply-To: <$notify1>" "References: <c1@acme.example> <$notify1>" >"$TEST_DIR/s1.eml"
STAFF_RCPT=$(signed_for 1000)
deliver_to "$STAFF_RCPT" "$TEST_DIR/s1.eml" --received-at 2026-11-27T11:30:00+02:00
like "$err" "action=staff-reply ticket=1000 threaded_by=token" "a staff reply to the notification's signed address joins the ticket"
r=$(last_to jane@acme.example)
is "$(hdr "$r" From)" '"Alice Smith (Example Support)" <support@desk.example>' "the relay comes from the desk with the staff member's name"
is "$(hdr "$r" Subject)" "[Support #1000] Re: Calls to +44 fail" "... the subject has the tag"
is "$(hdr "$r" In-Reply-To)" "<c1@acme.example>" "... it answers the customer's last mail"
like "$(hdr "$r" References)" "<c1@acme.example>" "... References hold the thread"
is "$(hdr_count "$r" Auto-Submitted)" "0" "a relay is not an auto-reply: no Auto-Submitted"
is "$(tail -n +5 "${r%.eml}.args" | tr '\n' ' ')" "jane@acme.example carl@acme.example " "it goes to the requester and the ticket's CCs"
like "$(text_of "$r")" "please restart the trunk" "the staff text reaches the customer"
ok $(text_of "$r" | grep -q '#status' && echo 1 || echo 0) "... without the command line"
got=$(sql "SELECT status || '|' || to_char(first_response_at AT TIME ZONE '+02:00'::interval, 'HH24:MI') || '|' || deadline_met FROM tickets WHERE number = 1000")
is "$got" "pending|11:30|true" "the first relayed reply is the first response, within the deadline; #status applied"
got=$(tg ticket show 1000 --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["deadline_met"], t["first_response_at"] is not None)')
is "$got" "True True" "ticket show --json reports the first response and that the deadline was met"
like "$(tg ticket show 1000)" "first response: 2026-11-27 11:30 \+02:00 \(deadline met\)" "ticket show says it in words"

# 3. Jane answers the relay from Gmail: threaded, reopened, staff see it.
relay1=$(id_of "$r")
before_ack=$(count_to jane@acme.example)
mail "Jane Doe <jane@acme.example>" "Re: [Support #1000] Re: Calls to +44 fail" \
	"In-Reply-To: <$relay1>" "References: <c1@acme.example> <$relay1>" >"$TEST_DIR/c2.eml"
deliver "$TEST_DIR/c2.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=message-id" "the customer's reply to the relay joins the ticket"
is "$(count_to jane@acme.example)" "$before_ack" "... with no new acknowledgment"
is "$(sql "SELECT status FROM tickets WHERE number = 1000")" "open" "... and a pending ticket is open again"
n=$(last_to staff@desk.example)
like "$(text_of "$n")" "Customer follow-up, ticket reopened: \[Support #1000\]" "staff are told of the follow-up"
is "$(hdr "$n" In-Reply-To)" "<$(hdr "$TEST_DIR/c2.eml" Message-ID | tr -d '<>')>" "... threaded to the customer's new mail"

# 4. Bob answers from Outlook: "RE:", Thread-Index, no References, sent
# to the plain support address; our MTA vouches for it (DKIM pass).
staff_mail "Bob Jones <bob@desk.example>" "RE: [Support #1000] Re: Calls to +44 fail" \
	"Done, the trunk is back.\n" "Thread-Index: AdnT0a1b2c3d4e5f6g7h8i9j0k==" >"$TEST_DIR/s2.eml"
verified "$TEST_DIR/s2.eml"
deliver "$TEST_DIR/s2.eml" --received-at 2026-11-27T15:00:00+02:00
like "$err" "action=staff-reply ticket=1000 threaded_by=tag" "an Outlook reply without References, vouched for by our MTA, threads by the tag"
r=$(last_to jane@acme.example)
is "$(hdr "$r" From)" '"Bob Jones (Example Support)" <support@desk.example>' "... and is relayed under Bob's name"
is "$(hdr "$r" In-Reply-To)" "<$(hdr "$TEST_DIR/c2.eml" Message-ID | tr -d '<>')>" "... answering the customer's latest mail"
got=$(sql "SELECT to_char(first_response_at AT TIME ZONE '+02:00'::interval, 'HH24:MI') FROM tickets WHERE number = 1000")
is "$got" "11:30" "a second reply does not move the first response"

# German and Scandinavian Outlook: "AW:" and "SV:".
staff_mail "Bob Jones <bob@desk.example>" "AW: [Support #1000] Re: Calls to +44 fail" \
	"Noch ein Hinweis.\n" "Thread-Index: AdnT0a1b2c3d4e5f6g7h8i9j0l==" >"$TEST_DIR/s2b.eml"
verified "$TEST_DIR/s2b.eml"
deliver "$TEST_DIR/s2b.eml"
like "$err" "action=staff-reply ticket=1000 threaded_by=tag" "an Outlook \"AW:\" reply threads by the tag"
mail "Jane Doe <jane@acme.example>" "SV: SV: [Support #1000] Re: Calls to +44 fail" >"$TEST_DIR/c2b.eml"
deliver "$TEST_DIR/c2b.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=tag" "a customer's \"SV: SV:\" reply threads by the tag"

# 5. Other client shapes: Apple Mail (References only), mutt (In-Reply-To
# only), Gmail's "Re:" to the acknowledgment, a forwarded ticket mail.
ack=$(id_of "$(sent_mail 1)")
mail "Jane Doe <jane@acme.example>" "Re: Calls to +44 fail" "References: <c1@acme.example> <$ack>" >"$TEST_DIR/c3.eml"
deliver "$TEST_DIR/c3.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=message-id" "Apple Mail shape (References only, tag dropped) threads"
staff_mail "alice@desk.example" "Re: Calls to +44 fail" "Thanks.\n" "In-Reply-To: <$(hdr "$TEST_DIR/c3.eml" Message-ID | tr -d '<>')>" >"$TEST_DIR/s3.eml"
verified "$TEST_DIR/s3.eml"
deliver "$TEST_DIR/s3.eml"
like "$err" "action=staff-reply ticket=1000 threaded_by=message-id" "mutt shape (In-Reply-To only) threads"
mail "carl@acme.example" "Fwd: [Support #1000] Re: Calls to +44 fail" >"$TEST_DIR/c4.eml"
deliver "$TEST_DIR/c4.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=tag" "a forwarded ticket mail from a CC threads by the tag"
mail "Jane <jane@acme.example>" "Question about [Support #1000]" >"$TEST_DIR/c5.eml"
deliver "$TEST_DIR/c5.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=tag" "a client that dropped References but kept the tag threads"

# 6. Who may write: a stranger's copied tag starts a ticket of its own.
mail "Eve <eve@elsewhere.example>" "Re: [Support #1000] Calls to +44 fail" >"$TEST_DIR/x1.eml"
deliver "$TEST_DIR/x1.eml"
like "$err" "action=new-ticket ticket=1001 threaded_by=refused" "a stranger with the tag gets a new ticket"
like "$(text_of "$(last_to staff@desk.example)")" "New ticket: \[Support #1001\]" "... which staff see as well"
is "$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = 1000 AND m.sender = 'eve@elsewhere.example'")" "0" \
	"... and nothing of it is filed on ticket 1000"
mail "Eve <eve@elsewhere.example>" "Hello" "Reply-To: jane@acme.example" "In-Reply-To: <nothing@x>" >"$TEST_DIR/x2.eml"
sed -i 's/^Subject: Hello/Subject: [Support #1000] Hello/' "$TEST_DIR/x2.eml"
deliver "$TEST_DIR/x2.eml"
like "$err" "action=new-ticket ticket=1002 threaded_by=refused" "identity comes from From, not from Reply-To"

# 7. Internal comments: to the comment address, or with #internal.
jane_before=$(count_to jane@acme.example)
staff_mail "alice@desk.example" "[Support #1000] note" "Customer is on an old firmware.\n" >"$TEST_DIR/s4.eml"
RECIPIENT=$(echo "$STAFF_RCPT" | sed 's/^support+/support-comment+/') SENDER=alice@desk.example \
	"$TICKETGATE" deliver <"$TEST_DIR/s4.eml" 2>"$TEST_DIR/err" >/dev/null
like "$(cat "$TEST_DIR/err")" "action=comment ticket=1000" "mail to the comment address is an internal comment"
is "$(count_to jane@acme.example)" "$jane_before" "... never sent to the customer"
n=$(last_to staff@desk.example)
like "$(text_of "$n")" "Internal comment by alice@desk.example: \[Support #1000\]" "... forwarded to the other staff"
like "$(text_of "$n")" "old firmware" "... with its text"
staff_mail "bob@desk.example" "Re: [Support #1000] Calls" "#internal\nSee the trace, line 3.\n" >"$TEST_DIR/s5.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s5.eml"
like "$err" "action=comment ticket=1000" "#internal makes a reply a comment"
is "$(count_to jane@acme.example)" "$jane_before" "... that does not reach the customer"
is "$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE number = 1000 AND kind = 'comment'")" "2" "both comments are stored on the ticket"
staff_mail "bob@desk.example" "[Support #1000]" "Checked.\n" >"$TEST_DIR/s6.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s6.eml" --action comment
like "$err" "action=comment ticket=1000" "deliver --action comment does the same"

# 8. Commands: priority and assignment; a bad command relays nothing.
staff_mail "alice@desk.example" "Re: [Support #1000]" "#priority high\n#assign Bob@desk.example\nWe are on it.\n" >"$TEST_DIR/s7.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s7.eml"
is "$(sql "SELECT priority || '|' || assignee FROM tickets WHERE number = 1000")" "1|bob@desk.example" "#priority and #assign change the ticket"
ok $(text_of "$(last_to jane@acme.example)" | grep -q '#priority\|#assign' && echo 1 || echo 0) "... and are removed from what the customer sees"
jane_before=$(count_to jane@acme.example)
alice_before=$(count_to alice@desk.example)
staff_mail "alice@desk.example" "Re: [Support #1000]" "#stauts resolved\nAll fixed.\n" >"$TEST_DIR/s8.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s8.eml"
is "$rc" "0" "a reply with a bad command is stored (exit 0)"
is "$(count_to jane@acme.example)" "$jane_before" "... nothing of it reaches the customer"
is "$(sql "SELECT status || '|' || priority FROM tickets WHERE number = 1000")" "open|1" "... nothing on the ticket changes"
is "$(count_to alice@desk.example)" "$((alice_before + 1))" "... and the staff member gets a notice"
like "$(text_of "$(last_to alice@desk.example)")" '"#stauts resolved"' "... naming the line"
staff_mail "alice@desk.example" "Re: [Support #1000]" "#assign eve@elsewhere.example\nHi\n" >"$TEST_DIR/s9.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s9.eml"
like "$err" "action=staff-refused" "#assign to someone who is not staff refuses the reply"
staff_mail "alice@desk.example" "A new thought" "Hello?\n" >"$TEST_DIR/s10.eml"
verified "$TEST_DIR/s10.eml"
deliver "$TEST_DIR/s10.eml"
like "$err" "action=staff-no-ticket" "staff mail that matches no ticket is stored alone"
like "$(text_of "$(last_to alice@desk.example)")" "did not match any ticket" "... and its writer is told"

# 9. HTML and attachments in a staff reply reach the customer; the command
# is removed from the HTML too.
cat >"$TEST_DIR/s11.eml" <<'MAIL'
From: Alice Smith <alice@desk.example>
To: support@desk.example
Subject: Re: [Support #1000] Calls to +44 fail
Message-ID: <s11@desk.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=utf-8

#status resolved

The fix is in the attached notes.
--a
Content-Type: text/html; charset=utf-8

<html><body><div>#status resolved</div><div><br></div><div>The fix is in the <b>attached</b> notes.</div></body></html>
--a--
--m
Content-Type: application/pdf; name="notes.pdf"
Content-Disposition: attachment; filename="notes.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK
--m--
MAIL
deliver_to "$STAFF_RCPT" "$TEST_DIR/s11.eml"
r=$(last_to jane@acme.example)
is "$(parts_of "$r" | tr '\n' ' ')" "text/plain; text/html; application/pdf;notes.pdf " "the relay keeps the text, the HTML and the attachment"
like "$(html_of "$r")" "<b>attached</b>" "... the HTML as written"
ok $( (text_of "$r"; html_of "$r") | grep -q '#status' && echo 1 || echo 0) "... with the command removed from both"
is "$(sql "SELECT status FROM tickets WHERE number = 1000")" "resolved" "... and applied"

# 10. Replies to resolved and long-closed tickets.
mail "jane@acme.example" "Re: [Support #1000] it is back" >"$TEST_DIR/c6.eml"
deliver "$TEST_DIR/c6.eml"
is "$(sql "SELECT status FROM tickets WHERE number = 1000")" "open" "a reply to a resolved ticket reopens it"
sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '30 days' WHERE number = 1000" >/dev/null
sql "UPDATE subscriptions SET plan = 'SILVER'" >/dev/null
mail "jane@acme.example" "Re: [Support #1000] again" >"$TEST_DIR/c7.eml"
deliver "$TEST_DIR/c7.eml"
like "$err" "action=new-ticket ticket=1003 .*follows=1000" "a reply to a ticket closed longer than reopen_days opens a new ticket"
is "$(sql "SELECT t.plan_name || '|' || f.number FROM tickets t JOIN tickets f ON f.id = t.follows_id WHERE t.number = 1003")" "SILVER|1000" \
	"... under the plan in force now, naming the old one"
like "$(text_of "$(last_to staff@desk.example)")" "Follows: +#1000" "... which the staff notification shows"
is "$(sql "SELECT status FROM tickets WHERE number = 1000")" "closed" "the old ticket stays closed"

# 11. Acknowledging follow-ups is a setting.
printf '[policy]\nack_followups = true\n' >>"$TICKETGATE_CONFIG"
n=$(count_to jane@acme.example)
mail "jane@acme.example" "Re: [Support #1003] one more thing" >"$TEST_DIR/c8.eml"
deliver "$TEST_DIR/c8.eml"
is "$(count_to jane@acme.example)" "$((n + 1))" "with ack_followups, a follow-up is acknowledged"
like "$(hdr "$(last_to jane@acme.example)" Subject)" '^\[Support #1003\]' "... under the ticket's tag"

tg_done
