#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The threat model of doc/SECURITY.md, attack by attack, on a desk with
# one PLATINUM customer, one staff member and a staff list: an attacker
# who can only send mail to the support address. Each attack asserts what
# reaches which mailbox and what changes on which ticket; the genuine
# ways (a signed reply address, our MTA's Authentication-Results) are
# checked next to them.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 63

printf '[security]\nauthserv_id = mx.desk.example\n' >>"$TICKETGATE_CONFIG"
tg customer add "ACME Corp" --plan PLATINUM --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
tg staff add alice@desk.example "Alice Smith" >/dev/null

# msg FROM SUBJECT MESSAGE-ID [HEADERS...]: a plain mail.
msg() {
	from=$1 subject=$2 id=$3
	shift 3
	printf 'From: %s\nTo: support@desk.example\nSubject: %s\n' "$from" "$subject"
	printf 'Date: Mon, 30 Nov 2026 10:00:00 +0200\nMessage-ID: <%s>\n' "$id"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf '#status resolved\n#priority low\n\nHello, about %s.\n' "$subject"
}
# ticket N: status|priority|assignee|first response set?
ticket() { sql "SELECT status || '|' || priority || '|' || coalesce(assignee, '-') || '|' || (first_response_at IS NOT NULL) FROM tickets WHERE number = $1"; }
kinds() { sql "SELECT string_agg(m.kind, ',' ORDER BY m.id) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = $1 AND m.direction = 'in'"; }
to_eve() { count_to eve@evil.example; }

# The customer's first mail: ticket 1000, and the mail staff answer to.
msg "Jane Doe <jane@acme.example>" "Calls fail" "c1@acme.example" >"$TEST_DIR/c1.eml"
deliver "$TEST_DIR/c1.eml" --received-at 2026-11-30T10:00:00+02:00
is "$rc:$(ticket 1000)" "0:new|2|-|false" "the customer's mail opens ticket 1000"
ack=$(last_to jane@acme.example)
like "$(hdr "$ack" Reply-To)" '^support\+1000\.p[a-z2-7]{16}@desk\.example$' \
	"the acknowledgment's Reply-To is an address signed for ticket 1000 and jane"
STAFF_RCPT=$(signed_for 1000)
like "$STAFF_RCPT" '^support\+1000\.s[a-z2-7]{16}@desk\.example$' \
	"the staff notification's Reply-To is signed for ticket 1000 and the staff list"

# ---- staff impersonation -------------------------------------------------
cat >"$TEST_DIR/forged.eml" <<'MAIL'
From: Alice Smith <alice@desk.example>
To: support@desk.example
Subject: Re: [Support #1000] Calls fail
Message-ID: <forged-1@evil.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/html; charset=utf-8

<p>#status resolved</p><p>#assign alice@desk.example</p><p>Please pay the attached invoice.</p>
--m
Content-Type: application/octet-stream; name="invoice.pdf.exe"
Content-Disposition: attachment; filename="invoice.pdf.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--m--
MAIL
jane_before=$(count_to jane@acme.example)
staff_before=$(count_to staff@desk.example)
SENDER=eve@evil.example deliver "$TEST_DIR/forged.eml"
like "$err" "action=staff-held ticket=1000" "staff impersonation: From a staff address, proving nothing, is held"
is "$(count_to jane@acme.example):$(to_eve)" "$jane_before:0" "... nothing reaches the customer or the attacker"
is "$(ticket 1000)" "new|2|-|false" "... no command applied, no first response recorded"
is "$(kinds 1000)" "customer,held" "... the mail is kept on the ticket as held"
is "$(count_to staff@desk.example)" "$((staff_before + 1))" "... and staff get one notice"
n=$(last_to staff@desk.example)
like "$(hdr "$n" Subject)" '^Held: .*\[Support #1000\]' "... whose subject says it was held"
like "$(text_of "$n")" "was HELD: it was not sent to the customer" "... saying what happened"
like "$(text_of "$n")" "Envelope sender: eve@evil.example" "... naming the envelope sender"
is "$(hdr "$n" Reply-To)" "support@desk.example" "... and not signed: a reply to it proves nothing"
is "$(parts_of "$n" | grep -c 'invoice')" "0" "... without the attachment"

sed 's/^From: .*/From: "Trusted CEO" <staff@desk.example>/' "$TEST_DIR/forged.eml" |
	sed 's/forged-1@/forged-2@/' >"$TEST_DIR/forged2.eml"
SENDER=eve@evil.example deliver "$TEST_DIR/forged2.eml"
like "$err" "action=staff-held ticket=1000" "From the staff list address: held as well"
is "$(count_to jane@acme.example)" "$jane_before" "... and no display name of the attacker's reaches the customer"

# A forged Authentication-Results below our MTA's Received header, or
# from another authserv-id, proves nothing.
{ printf 'Received: from evil.example by mx.desk.example; Mon, 30 Nov 2026 10:00:00 +0200\n'
  printf 'Authentication-Results: mx.desk.example; dmarc=pass header.from=desk.example\n'
  sed 's/forged-1@/forged-3@/' "$TEST_DIR/forged.eml"; } >"$TEST_DIR/forged3.eml"
SENDER=eve@evil.example deliver "$TEST_DIR/forged3.eml"
like "$err" "action=staff-held" "an Authentication-Results the sender wrote below our Received is ignored"
{ printf 'Authentication-Results: other.example; dmarc=pass header.from=desk.example\n'
  sed 's/forged-1@/forged-4@/' "$TEST_DIR/forged.eml"; } >"$TEST_DIR/forged4.eml"
SENDER=eve@evil.example deliver "$TEST_DIR/forged4.eml"
like "$err" "action=staff-held" "... and so is one of another authserv-id"

# A token that is not signed, or was issued to jane, is no staff proof.
bad=$(echo "$STAFF_RCPT" | sed 's/\.s[a-z2-7]*@/.saaaaaaaaaaaaaaaa@/')
sed 's/forged-1@/forged-5@/' "$TEST_DIR/forged.eml" >"$TEST_DIR/forged5.eml"
SENDER=eve@evil.example deliver_to "$bad" "$TEST_DIR/forged5.eml"
like "$err" "action=staff-held" "a reply address with a forged signature is no proof"
sed 's/forged-1@/forged-6@/' "$TEST_DIR/forged.eml" >"$TEST_DIR/forged6.eml"
SENDER=eve@evil.example deliver_to "$(hdr "$ack" Reply-To)" "$TEST_DIR/forged6.eml"
like "$err" "action=staff-held" "... nor is the customer's signed address"
is "$(ticket 1000):$(count_to jane@acme.example)" "new|2|-|false:$jane_before" "after six forged staff mails ticket 1000 is untouched"

# ---- the genuine ways --------------------------------------------------
msg "Alice Smith <alice@desk.example>" "Re: [Support #1000] Calls fail" "s1@desk.example" \
	"In-Reply-To: <$(hdr "$(last_to staff@desk.example)" Message-ID | tr -d '<>')>" >"$TEST_DIR/s1.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s1.eml" --received-at 2026-11-30T10:30:00+02:00
like "$err" "action=staff-reply ticket=1000 threaded_by=token" "a reply to the notification's signed address is staff's"
is "$(ticket 1000):$(count_to jane@acme.example)" "resolved|3|-|true:$((jane_before + 1))" \
	"... relayed, commands applied, first response recorded"
relay=$(last_to jane@acme.example)
is "$(hdr "$relay" From)" '"Alice Smith (Example Support)" <support@desk.example>' "... under the name the desk keeps"
like "$(hdr "$relay" Reply-To)" '^support\+1000\.p[a-z2-7]{16}@desk\.example$' "... with a Reply-To signed for jane"
msg "Alice <alice@desk.example>" "[Support #1000] one more thing" "s2@desk.example" \
	"Authentication-Results: mx.desk.example; dkim=pass header.d=desk.example header.s=mail" >"$TEST_DIR/s2.eml"
{ printf 'Authentication-Results: mx.desk.example;\n\tdkim=pass (2048-bit key) header.d=desk.example header.i=@desk.example\n'
  sed '/^Authentication-Results/d' "$TEST_DIR/s2.eml"; } >"$TEST_DIR/s2v.eml"
deliver "$TEST_DIR/s2v.eml"
like "$err" "action=staff-reply ticket=1000 threaded_by=tag" "a DKIM pass aligned with From, from our MTA, is staff's too"
sed 's/header.d=desk.example header.i=@desk.example/header.d=evil.example/; s/s2@/s3@/' "$TEST_DIR/s2v.eml" >"$TEST_DIR/s3.eml"
deliver "$TEST_DIR/s3.eml"
like "$err" "action=staff-held" "... but not a DKIM pass of another domain"

# ---- thread hijack by Message-ID ----------------------------------------
sql "UPDATE tickets SET status = 'resolved' WHERE number = 1000" >/dev/null
msg "Eve <eve@evil.example>" "Re: Calls fail" "x1@evil.example" "In-Reply-To: <c1@acme.example>" >"$TEST_DIR/x1.eml"
staff_before=$(count_to staff@desk.example)
deliver "$TEST_DIR/x1.eml"
like "$err" "action=new-ticket ticket=1001 threaded_by=refused" "thread hijack: a stranger's In-Reply-To one of jane's ids opens a ticket of its own"
is "$(sql "SELECT status FROM tickets WHERE number = 1000")|$(kinds 1000)" "resolved|customer,held,held,held,held,held,held,staff,staff,held" \
	"... ticket 1000 is not reopened and gets nothing"
is "$(sql "SELECT r.number FROM tickets t JOIN tickets r ON r.id = t.refers_id WHERE t.number = 1001")" "1000" "... the new ticket names the one referred to"
like "$(text_of "$(last_to staff@desk.example)" | tr '\n' ' ')" "wrote about ticket #1000 but is not one of its people" "... and staff are told"
is "$(count_to staff@desk.example)" "$((staff_before + 1))" "... in the new ticket's one notification"

# Planting: a stranger reuses jane's next Message-ID first.
msg "Eve <eve@evil.example>" "Totally new" "c2@acme.example" >"$TEST_DIR/x2.eml"
deliver "$TEST_DIR/x2.eml"
like "$err" "action=new-ticket ticket=1002" "a stranger's mail with jane's Message-ID opens the stranger's ticket"
msg "Jane Doe <jane@acme.example>" "Something else" "c2@acme.example" >"$TEST_DIR/c2.eml"
deliver "$TEST_DIR/c2.eml"
like "$err" "action=new-ticket ticket=1003" "jane's own mail with that id is hers: ticket 1003"
msg "Jane Doe <jane@acme.example>" "Re: Something else" "c3@acme.example" "In-Reply-To: <c2@acme.example>" >"$TEST_DIR/c3.eml"
deliver "$TEST_DIR/c3.eml"
like "$err" "action=follow-up ticket=1003 threaded_by=message-id" "jane's follow-up to that id lands in her ticket, not the stranger's"
eve_before=$(to_eve)
msg "Alice Smith <alice@desk.example>" "Re: [Support #1003] Something else" "s4@desk.example" >"$TEST_DIR/s4.eml"
deliver_to "$(signed_for 1003)" "$TEST_DIR/s4.eml"
like "$err" "action=staff-reply ticket=1003" "the staff answer goes to ticket 1003"
is "$(to_eve)" "$eve_before" "... and is not relayed to the stranger"

# ---- plan spoofing and redirection --------------------------------------
msg "Jane Doe <jane@acme.example>" "Send my answers elsewhere" "c4@acme.example" "Reply-To: eve@evil.example" >"$TEST_DIR/c4.eml"
eve_before=$(to_eve)
deliver "$TEST_DIR/c4.eml"
got=$(sql "SELECT requester || '|' || reply_address || '|' || plan_name FROM tickets WHERE subject = 'Send my answers elsewhere'")
is "$got" "jane@acme.example|jane@acme.example|PLATINUM" "redirection: a Reply-To in another domain is not where answers go"
is "$(to_eve)" "$eve_before" "... the acknowledgment does not reach the attacker"
like "$(text_of "$(last_to staff@desk.example)" | tr '\n' ' ')" "answers to go to eve@evil.example \(Reply-To\)" "... and staff see the Reply-To that was not taken"
n=$(sql "SELECT number FROM tickets WHERE subject = 'Send my answers elsewhere'")
msg "Alice Smith <alice@desk.example>" "Re: [Support #$n] answer" "s5@desk.example" >"$TEST_DIR/s5.eml"
deliver_to "$(signed_for "$n")" "$TEST_DIR/s5.eml"
is "$(to_eve):$(tail -n 1 "$(sent_args "$(sent_count)")")" "$eve_before:jane@acme.example" "... nor does the staff answer"
msg "Jane Doe <jane@acme.example>" "Colleague" "c5@acme.example" "Reply-To: Carl <carl@acme.example>" >"$TEST_DIR/c5.eml"
deliver "$TEST_DIR/c5.eml"
is "$(sql "SELECT reply_address FROM tickets WHERE subject = 'Colleague'")" "carl@acme.example" "a Reply-To in the sender's own domain is honoured"

{ printf 'Authentication-Results: mx.desk.example; dkim=none; spf=fail smtp.mailfrom=acme.example;\n\tdmarc=fail (p=reject) header.from=acme.example\n'
  msg "Boss <boss@acme.example>" "Urgent PLATINUM work" "sp1@evil.example"; } >"$TEST_DIR/sp1.eml"
deliver "$TEST_DIR/sp1.eml"
got=$(sql "SELECT coalesce(customer_id::text, '-') || '|' || plan_name || '|' || billable FROM tickets WHERE subject = 'Urgent PLATINUM work'")
is "$got" "-|NONE|true" "plan spoofing: a From domain that fails DMARC at our MTA gets no plan"
like "$(text_of "$(last_to boss@acme.example)" | tr "\n" " ")" "50 EUR per +hour" "... only the paid-support answer"
like "$(text_of "$(last_to staff@desk.example)" | tr '\n' ' ')" "could not be verified: our mail server reports .*dmarc=fail" "... and staff are told it could not be verified"
msg "Boss <boss@acme.example>" "Ordinary PLATINUM work" "sp2@evil.example" >"$TEST_DIR/sp2.eml"
deliver "$TEST_DIR/sp2.eml"
is "$(sql "SELECT plan_name FROM tickets WHERE subject = 'Ordinary PLATINUM work'")" "PLATINUM" \
	"without a trusted header the domain still names the customer (doc/SECURITY.md says so)"

# ---- amplification ------------------------------------------------------
{ printf 'From: Eve <eve@evil.example>\nTo: support@desk.example\nCc: '
  i=1; while [ $i -le 1500 ]; do printf 'victim%d@spam.example, ' $i; i=$((i + 1)); done
  printf 'last@spam.example\nSubject: Fan out\nMessage-ID: <fan@evil.example>\n\nHi.\n'; } >"$TEST_DIR/fan.eml"
deliver "$TEST_DIR/fan.eml"
n=$(sql "SELECT number FROM tickets WHERE subject = 'Fan out'")
is "$(sql "SELECT count(*) FROM ticket_cc c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = $n")" "10" \
	"amplification: a ticket keeps at most max_ccs (10) CCs"
like "$(text_of "$(last_to staff@desk.example)" | tr '\n' ' ')" "990 CC addresses were not added" "... staff are told how many were dropped"
msg "Alice Smith <alice@desk.example>" "Re: [Support #$n] ok" "s6@desk.example" >"$TEST_DIR/s6.eml"
deliver_to "$(signed_for "$n")" "$TEST_DIR/s6.eml"
is "$(tail -n +5 "$(sent_args "$(sent_count)")" | wc -l)" "11" "... and a staff answer goes to the requester and those 10 only"

# Relays count against the caps: the CCs are held at the cap, the
# requester still gets every answer, and staff are told.
sed -i '/^\[security\]/i cap_per_hour = 3' "$TICKETGATE_CONFIG"
eve_before=$(to_eve)
victim_before=$(count_to victim1@spam.example)
i=7; while [ $i -le 10 ]; do
	msg "Alice Smith <alice@desk.example>" "Re: [Support #$n] more" "s$i@desk.example" >"$TEST_DIR/s$i.eml"
	deliver_to "$(signed_for "$n")" "$TEST_DIR/s$i.eml"
	i=$((i + 1))
done
is "$(($(to_eve) - eve_before)):$(($(count_to victim1@spam.example) - victim_before))" "4:2" \
	"relays count against each CC's hourly cap; the requester gets every one"
like "$(text_of "$(last_to alice@desk.example)" | tr '\n' ' ')" "relay:over-cap-sent:eve@evil.example" "... and the staff member is told"

# ---- caps key on the canonical address ----------------------------------
for i in 1 2 3; do
	msg "victim@example.org" "Forged $i" "v$i@example.org" >"$TEST_DIR/v$i.eml"
	deliver "$TEST_DIR/v$i.eml"
done
is "$(count_to victim@example.org)" "3" "three tickets from one address: the cap (3) is reached"
for spelling in '"victim"@example.org' '"victim "@Example.ORG' 'victim+1@example.org'; do
	msg "$spelling" "Forged as $spelling" "w$(date +%s%N)@example.org" >"$TEST_DIR/w.eml"
	deliver "$TEST_DIR/w.eml"
	like "$err" 'held="?ack:cap:' "spellings of one address share its cap: $spelling"
done
is "$(count_to victim@example.org):$(count_to victim+1@example.org)" "3:0" "... and get no further acknowledgment"

# ---- who wrote, when From is no use --------------------------------------
printf 'To: support@desk.example\nSubject: No From at all\nMessage-ID: <nofrom@example.org>\n\nHi.\n' >"$TEST_DIR/nofrom.eml"
SENDER=bob@example.org deliver "$TEST_DIR/nofrom.eml"
is "$(sql "SELECT requester FROM tickets WHERE subject = 'No From at all'"):$(count_to bob@example.org)" "bob@example.org:1" \
	"a mail without From takes the envelope sender, and is answered there"
printf 'From: undisclosed\nTo: support@desk.example\nSubject: Bare name\nMessage-ID: <bare@example.org>\n\nHi.\n' >"$TEST_DIR/bare.eml"
SENDER=carol@example.org deliver "$TEST_DIR/bare.eml"
is "$(sql "SELECT requester FROM tickets WHERE subject = 'Bare name'")" "carol@example.org" "... so does one whose From has no domain"
before=$(sent_count)
printf 'From: nobody\nTo: support@desk.example\nSubject: Nowhere\nMessage-ID: <nowhere@example.org>\n\nHi.\n' >"$TEST_DIR/nowhere.eml"
SENDER= deliver "$TEST_DIR/nowhere.eml"
is "$rc:$(sql "SELECT kind FROM messages WHERE message_id = 'nowhere@example.org'"):$(($(sent_count) - before))" "0:machine:0" \
	"no usable From and the null sender: stored, answered nowhere"
msg "Jane Doe <jane@acme.example>" "IDN reply" "idn@acme.example" "Reply-To: x@xn--zz.acme.example" >"$TEST_DIR/idn.eml"
deliver "$TEST_DIR/idn.eml"
is "$(sql "SELECT reply_address FROM tickets WHERE subject = 'IDN reply'")" "jane@acme.example" "a Reply-To that is not valid after IDNA conversion is never used"

# ---- tokens: who may write through one, and for how long ------------------
token=$(hdr "$ack" Reply-To)
msg "Dave <dave@other.example>" "About the calls" "d1@other.example" >"$TEST_DIR/d1.eml"
deliver_to "$token" "$TEST_DIR/d1.eml"
like "$err" "action=follow-up ticket=1000 threaded_by=token" "whoever replies to jane's signed address writes to her ticket (she passed the mail on)"
msg "Alice Smith <alice@desk.example>" "Re: [Support #1000] later" "s20@desk.example" >"$TEST_DIR/s20.eml"
tg secret rotate >/dev/null
deliver_to "$STAFF_RCPT" "$TEST_DIR/s20.eml" --received-at "$(date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ)"
like "$err" "action=staff-reply ticket=1000 threaded_by=token" "after secret rotate, the old secret still verifies within secret_grace"
sed 's/s20@/s21@/' "$TEST_DIR/s20.eml" >"$TEST_DIR/s21.eml"
deliver_to "$STAFF_RCPT" "$TEST_DIR/s21.eml" --received-at "$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)"
like "$err" "action=staff-held" "... and not after it (30 days)"
like "$(hdr "$(last_to jane@acme.example)" Reply-To)" '^support\+1000\.p' "new mail is signed with the new secret"

tg_done
