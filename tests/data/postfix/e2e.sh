# SPDX-License-Identifier: GPL-3.0-or-later
#
# e2e.sh: the end-to-end scenario of ticketgate under a real Postfix,
# shared by cli/0100-postfix-alias.t (local(8) alias wiring) and
# cli/0110-postfix-pipe.t (pipe(8) transport wiring). Source it after
# tests/lib/common.sh. The .t file calls, in order:
#
#   e2e_require        skip the whole test unless Postfix can run here
#   e2e_setup          database, ticketgate installed for the filter user,
#                      a private Postfix with the desk's domains and
#                      mailboxes (not started, not wired)
#   ... its own wiring, from contrib/postfix/ ...
#   e2e_start          start Postfix
#   tap_plan $((E2E_TESTS + its own))
#   e2e_new_ticket     customer mail over SMTP -> ticket -> acknowledgment
#   e2e_duplicate      the same mail sent again -> nothing new
#   e2e_staff          notification in the staff Maildir; a staff reply
#                      to its signed Reply-To over SMTP relayed into the
#                      customer's Maildir
#   e2e_staff_dkim     a staff mail to the plain support address, DKIM
#                      signed: OpenDKIM (a milter of this Postfix) writes
#                      Authentication-Results, and the reply is relayed;
#                      unsigned, the same mail is held
#   e2e_bounce         a null-sender mail -> stored, unanswered
#   e2e_database_down  deferred while the database is down, then once
#
# Mail: the desk is desk.example (mydestination): support@ and
# support-comment@ go to ticketgate, staff@ to the local(8) Maildir
# $PF/mail/staff/. The customer jane@acme.example has the virtual(8)
# Maildir $PF/mail/acme.example/jane/. The filter runs as $FILTER_USER
# (nobody): ticketgate, its configuration and templates are copied into
# $PUB, readable by everyone, because the checkout may not be.
#
# E2E_ROUTE is set by the .t file: an extended regex that the maillog
# line of a mail's delivery to ticketgate must match, with QID standing
# for the Postfix queue id.

E2E_TESTS=47
FILTER_USER=nobody
PF_LIB="$LIB/postfix-instance"
PF_SBIN=${POSTFIX_SBIN:-/usr/sbin}
WAIT=30 # seconds to wait for any one delivery

e2e_require() {
	why=$(PF_MAIL_USER=$FILTER_USER "$PF_LIB" available) || skip_all "$why"
}

e2e_cleanup() {
	if [ -n "${PF:-}" ]; then
		"$PF_LIB" stop "$PF" || true
	fi
	if [ -n "${DKIM_PID:-}" ]; then
		kill "$DKIM_PID" 2>/dev/null || true
		wait "$DKIM_PID" 2>/dev/null || true
	fi
	tg_cleanup
}

# poll SECONDS COMMAND...: runs COMMAND until it succeeds; 1 on timeout.
# After one timeout, later waits are short: when one delivery never came,
# the rest will not either, and the test should fail in seconds.
poll() {
	end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		if [ "$(date +%s)" -ge "$end" ]; then
			WAIT=3
			return 1
		fi
		sleep 0.2
	done
}

# header FILE NAME: the unfolded value of the first NAME header of FILE.
header() {
	awk -v want="$2" '
		BEGIN { want = tolower(want) }
		/^\r?$/ { exit }
		/^[ \t]/ { if (cur != "") cur = cur " " substr($0, match($0, /[^ \t]/)); next }
		{ if (cur != "") exit; }
		{
			i = index($0, ":")
			name = tolower(substr($0, 1, i - 1))
			if (name == want) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); cur = v }
		}
		END { if (cur != "") { sub(/\r$/, "", cur); print cur } }
	' "$1" | tr -d '\r'
}

# answers MAILDIR MSGID: the files of MAILDIR whose In-Reply-To is <MSGID>.
answers() {
	for f in "$1"/new/* "$1"/cur/*; do
		[ -f "$f" ] || continue
		[ "$(header "$f" In-Reply-To)" = "<$2>" ] && printf '%s\n' "$f"
	done
	return 0
}
answer_count() { answers "$1" "$2" | grep -c . || true; }
has_answer() { [ "$(answer_count "$1" "$2")" -ge 1 ]; }

# queue_size: mails in the instance's queue (any of its queues).
queue_size() { "$PF_LIB" queue "$PF" | grep -c . || true; }
queue_empty() { [ "$(queue_size)" = 0 ]; }
# queued_as QID QUEUE: whether QID sits in QUEUE (deferred, active, ...).
queued_as() {
	"$PF_LIB" queue "$PF" | grep "\"queue_id\": *\"$1\"" |
		grep -q "\"queue_name\": *\"$2\""
}

maillog() { cat "$PF/maillog"; }
# delivered QID: the maillog says QID went to ticketgate (E2E_ROUTE).
delivered() {
	maillog | grep -Eq "$(printf '%s' "$E2E_ROUTE" | sed "s/QID/$1/g")"
}

# deferred_logged QID: the maillog says QID was deferred with 4.3.0.
deferred_logged() {
	maillog | grep -q "$1: to=<.* dsn=4\.3\.0, status=deferred"
}

# e2e_mail MSGID SUBJECT: a customer mail from jane to the desk.
e2e_mail() {
	printf 'From: Jane Doe <jane@acme.example>\n'
	printf 'To: Support <support@desk.example>\n'
	printf 'Subject: %s\n' "$2"
	printf 'Date: %s\n' "$(LC_ALL=C date -R)"
	printf 'Message-ID: <%s>\n' "$1"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello support,\n\nthe printer on the second floor is on fire.\n'
}

e2e_write_config() {
	cat >"$PUB/ticketgate.conf" <<CONF
[database]
conninfo = host=$PG_DIR user=postgres dbname=ticketgate
connect_timeout = 5s

[mail]
support_address = support@desk.example
comment_address = support-comment@desk.example
from_name = Example Support
sendmail = /usr/sbin/sendmail
subject_tag = Support
staff_address = staff@desk.example

[hours]
timezone = +02:00
days = Mon-Fri
start = 09:00
end = 18:00

[templates]
directory = $PUB/templates

[limits]
time_limit = 60s
state_directory = $PUB/state

[security]
authserv_id = mx.desk.example
CONF
	chmod 644 "$PUB/ticketgate.conf"
}

e2e_setup() {
	tg_setup
	trap e2e_cleanup EXIT
	# The filter user walks through TEST_DIR to PUB and to the mail folders.
	chmod 755 "$TEST_DIR"
	PUB="$TEST_DIR/pub"
	mkdir -p "$PUB/sbin" "$PUB/templates" "$PUB/schema"
	cp "$TICKETGATE" "$PUB/sbin/ticketgate"
	cp "$TG_TOP_SRCDIR"/templates/*.txt "$PUB/templates/"
	cp "$TG_TOP_SRCDIR"/schema/*.sql "$PUB/schema/"
	chmod 755 "$PUB" "$PUB/sbin" "$PUB/templates" "$PUB/schema" \
		"$PUB/sbin/ticketgate"
	chmod 644 "$PUB"/templates/*.txt "$PUB"/schema/*.sql
	# Like "make install": the journal's folder belongs to the filter user.
	mkdir -p "$PUB/state"
	chown "$FILTER_USER" "$PUB/state"
	chmod 700 "$PUB/state"
	e2e_write_config
	TICKETGATE_CONFIG="$PUB/ticketgate.conf"
	export TICKETGATE_CONFIG
	runuser -u "$FILTER_USER" -- "$PUB/sbin/ticketgate" check-config \
		--schema "$PUB/schema" >"$TEST_DIR/check-config.out" 2>&1 ||
		bail "ticketgate check-config fails as $FILTER_USER: $(tail -n 3 "$TEST_DIR/check-config.out")"

	tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
		--contact jane@acme.example --domain acme.example >/dev/null
	tg staff add alice@desk.example "Alice" >/dev/null

	PF="$TEST_DIR/postfix"
	PF_MAIL_USER=$FILTER_USER "$PF_LIB" create "$PF" ||
		bail "cannot create a Postfix instance"
	"$PF_SBIN"/postconf -c "$PF/etc" -e \
		"myhostname = mx.desk.example" \
		"mydomain = desk.example" \
		"myorigin = \$mydomain" \
		"mydestination = desk.example, localhost" \
		"virtual_mailbox_domains = acme.example"
	"$PF_LIB" settle "$PF"
	printf 'staff: %s/mail/staff/\n' "$PF" >>"$PF/etc/aliases"
	"$PF_SBIN"/postalias -c "$PF/etc" "$PF/etc/aliases"
	printf 'jane@acme.example acme.example/jane/\n' >"$PF/etc/vmailbox"
	"$PF_SBIN"/postmap -c "$PF/etc" "$PF/etc/vmailbox"
	JANE="$PF/mail/acme.example/jane"
	STAFF="$PF/mail/staff"
}

# OpenDKIM as a verifying milter of the instance, on a free loopback
# port, with the public key of a test selector read from a file instead
# of DNS (TestPublicKeys). It writes "Authentication-Results:
# mx.desk.example; dkim=..." above Postfix's Received header.
e2e_dkim() {
	dk="$TEST_DIR/dkim"
	mkdir -p "$dk"
	opendkim-genkey -D "$dk" -d desk.example -s e2e >/dev/null 2>&1 ||
		bail "opendkim-genkey failed"
	# The TXT record, unquoted, on one line (the key is rsa-sha1 and
	# rsa-sha256 alike, so no h= tag).
	printf 'e2e._domainkey.desk.example %s\n' "$(tr -d '\n\t' <"$dk/e2e.txt" |
		sed 's/.*( *//; s/ *) *;.*//; s/" *"//g; s/"//g; s/h=[^;]*; *//')" >"$dk/keys"
	DKIM_PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$dk/opendkim.conf" <<CONF
Mode v
AuthservID mx.desk.example
Socket inet:$DKIM_PORT@127.0.0.1
TestPublicKeys $dk/keys
Syslog no
CONF
	chmod -R go+rX "$dk"
	opendkim -f -x "$dk/opendkim.conf" 2>"$dk/opendkim.log" &
	DKIM_PID=$!
	dkim_up() { python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$DKIM_PORT" 2>/dev/null; }
	poll $WAIT dkim_up || bail "OpenDKIM does not listen: $(cat "$dk/opendkim.log")"
	"$PF_SBIN"/postconf -c "$PF/etc" -e \
		"smtpd_milters = inet:127.0.0.1:$DKIM_PORT" \
		"milter_default_action = tempfail"
}

e2e_start() {
	e2e_dkim
	"$PF_LIB" settle "$PF"
	"$PF_LIB" start "$PF" >/dev/null || bail "cannot start Postfix"
}

# send FROM TO FILE: over SMTP; sets $qid (empty if smtpd refused).
send() {
	qid=$("$PF_LIB" send "$PF" "$1" "$2" <"$3") || qid=""
}

# The database server of tg_setup, stopped and started again in place.
pg_down() { "$LIB/pg-cluster" stop "$PG_DIR"; }
pg_up() {
	postgres=$(awk '{ print $1; exit }' "$PG_DIR/data/postmaster.opts")
	# restart of a stopped server starts it with its last options
	runuser -u "${PG_TEST_USER:-postgres}" -- \
		"$(dirname "$postgres")/pg_ctl" -D "$PG_DIR/data" \
		-l "$PG_DIR/postgres.log" -w restart >/dev/null 2>&1
}

# ---- 1. A customer mail over SMTP: ticket, acknowledgment (11 tests) -----
e2e_new_ticket() {
	msgid="e2e-new.$$@acme.example"
	e2e_mail "$msgid" "Printer on fire" >"$TEST_DIR/new.eml"
	send jane@acme.example support@desk.example "$TEST_DIR/new.eml"
	like "$qid" '^[0-9A-Za-z]+$' "smtpd on 127.0.0.1 accepts jane's mail for support@"
	new_qid=$qid

	poll $WAIT has_answer "$JANE" "$msgid"
	ok $? "an acknowledgment arrives in jane's Maildir"
	poll 5 delivered "$new_qid" # postlogd may write a moment later
	ok $? "Postfix handed the mail to ticketgate ($E2E_WIRING)"

	got=$(sql "SELECT t.number || '|' || t.requester || '|' || t.plan_name || '|' || c.name
		FROM tickets t JOIN customers c ON c.id = t.customer_id
		JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = '$msgid'")
	is "$got" "1000|jane@acme.example|GOLD|ACME Corp" "ticket 1000 for ACME Corp on GOLD"
	got=$(sql "SELECT kind || '|' || envelope_sender || '|' || envelope_recipient
		FROM messages WHERE message_id = '$msgid'")
	is "$got" "customer|jane@acme.example|support@desk.example" \
		"the envelope Postfix passed is stored (sender, original recipient)"
	got=$(sql "SELECT count(*) FROM messages WHERE message_id = '$msgid'
		AND position(convert_to(' id $new_qid', 'UTF8') in raw) > 0")
	is "$got" "1" "the stored raw mail has the Received header of that queue id"
	got=$(sql "SELECT count(*) || '|' || count(o.sent_at) || '|' || count(o.last_error)
		FROM outbox o JOIN messages m ON m.id = o.message_id
		JOIN tickets t ON t.id = m.ticket_id
		WHERE t.number = 1000 AND m.kind = 'ack'")
	is "$got" "1|1|0" "Postfix's sendmail took the acknowledgment: outbox row sent"

	ack=$(answers "$JANE" "$msgid")
	is "$(answer_count "$JANE" "$msgid")" "1" "exactly one acknowledgment"
	is "$(header "$ack" Subject)" "[Support #1000] Re: Printer on fire" \
		"its subject carries the tag"
	got="$(header "$ack" To)|$(header "$ack" Auto-Submitted)|$(header "$ack" Return-Path)"
	like "$got" '^([^|]*<)?jane@acme\.example>?\|auto-replied\|<support@desk\.example>$' \
		"To jane, Auto-Submitted: auto-replied, envelope from support@"
	stored=$(sql "SELECT m.message_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE t.number = 1000 AND m.kind = 'ack'")
	like "$(header "$ack" Message-ID)|$(header "$ack" Received)" \
		"^<$stored>\\|by mx\\.desk\\.example \\(Postfix, from userid $(id -u "$FILTER_USER")\\)" \
		"it is the stored answer, submitted by the filter's user through sendmail"
}

# ---- 2. The same mail again: nothing new (3 tests) ------------------------
# A sending MTA whose "250 Ok" got lost sends the mail a second time.
e2e_duplicate() {
	send jane@acme.example support@desk.example "$TEST_DIR/new.eml"
	like "$qid" '^[0-9A-Za-z]+$' "the same mail, sent again, is accepted"
	poll $WAIT delivered "$qid"
	ok $? "... and delivered to ticketgate"
	# An answer would be in the queue before Postfix logs the delivery.
	poll $WAIT queue_empty
	got=$(sql "SELECT count(*) FROM tickets")
	is "$got:$(answer_count "$JANE" "$msgid")" "1:1" \
		"... without a second ticket or acknowledgment"
}

# ---- 3. A bounce (null sender): stored, never answered (3 tests) --------
e2e_bounce() {
	bounce_id="e2e-bounce.$$@relay.example"
	{
		printf 'From: Mail Delivery System <MAILER-DAEMON@relay.example>\n'
		printf 'To: support@desk.example\n'
		printf 'Subject: Undelivered Mail Returned to Sender\n'
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s>\n' "$bounce_id"
		printf 'Auto-Submitted: auto-replied\n\n'
		printf 'This is the mail system at host relay.example.\n'
	} >"$TEST_DIR/bounce.eml"
	before=$(sql "SELECT count(*) FROM outbox")
	send "" support@desk.example "$TEST_DIR/bounce.eml"
	like "$qid" '^[0-9A-Za-z]+$' "a mail from the null sender is accepted"
	poll $WAIT delivered "$qid"
	poll $WAIT queue_empty
	got=$(sql "SELECT kind || '|' || coalesce(envelope_sender, 'NULL')
		FROM messages WHERE message_id = '$bounce_id'")
	is "$got" "machine|" "... stored as machine mail, with the empty envelope sender"
	is "$(sql "SELECT count(*) FROM outbox")" "$before" "... and not answered"
}

# ---- 4. The database is down: deferred, then exactly once (12 tests) -----
e2e_database_down() {
	down_id="e2e-down.$$@acme.example"
	e2e_mail "$down_id" "Scanner smokes too" >"$TEST_DIR/down.eml"
	pg_down
	send jane@acme.example support@desk.example "$TEST_DIR/down.eml"
	like "$qid" '^[0-9A-Za-z]+$' "with the database stopped, smtpd still accepts mail"
	down_qid=$qid
	poll $WAIT queued_as "$down_qid" deferred
	ok $? "ticketgate's exit 75 leaves the mail in Postfix's deferred queue"
	like "$("$PF_LIB" queue "$PF" | grep "\"$down_qid\"")" \
		'"delay_reason": *"ticketgate: database unavailable, will retry"' \
		"... with the reason from ticketgate's one line on stderr"
	poll 5 deferred_logged "$down_qid"
	ok $? "the maillog says deferred, dsn=4.3.0"
	is "$(answer_count "$JANE" "$down_id")" "0" "no acknowledgment while it is down"

	deferred_at=$(date +%s)
	# Two seconds: nothing retries on its own (queue_run_delay is
	# minutes), and the arrival time must differ from the retry's clock.
	sleep 2
	is "$(queued_as "$down_qid" deferred && echo yes)" "yes" \
		"... and the mail waits in the queue"
	pg_up || bail "cannot restart PostgreSQL"
	"$PF_LIB" flush "$PF"
	poll $WAIT has_answer "$JANE" "$down_id"
	ok $? "after the database is back and postqueue -f, the acknowledgment arrives"
	poll $WAIT queue_empty
	ok $? "the queue is empty again"

	got=$(sql "SELECT count(DISTINCT m.id) || '|' || count(DISTINCT t.id)
		FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE m.message_id = '$down_id'")
	is "$got" "1|1" "the mail is stored exactly once, on one ticket"
	# The number is not 1001: an immediate stop costs the sequence its
	# cached values, which the design allows (gaps, never duplicates).
	n=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id
		WHERE m.message_id = '$down_id'")
	got=$(sql "SELECT extract(epoch FROM received_at) <= $deferred_at
		FROM tickets WHERE number = '${n:-0}'")
	is "$got" "t" "the ticket keeps the time Postfix received the mail"
	ack=$(answers "$JANE" "$down_id")
	is "$(answer_count "$JANE" "$down_id"):$(header "$ack" Subject)" \
		"1:[Support #$n] Re: Scanner smokes too" \
		"exactly one acknowledgment, for ticket $n"
	poll 5 delivered "$down_qid"
	got="$(maillog | grep -c "$down_qid: to=<.* status=deferred"):$(maillog |
		grep -cE "$(printf '%s' "$E2E_ROUTE" | sed "s/QID/$down_qid/g")")"
	is "$got" "1:1" "the maillog has one deferral and exactly one delivery"
}

# ---- 5. Staff notification, and a staff reply relayed (9 tests) ---------
# notified MSGID: the staff Maildir has the notification of MSGID.
notified() { has_answer "$STAFF" "$1"; }

e2e_staff() {
	poll $WAIT notified "$msgid"
	ok $? "the staff notification arrives in the staff Maildir"
	note=$(answers "$STAFF" "$msgid")
	reply_to=$(header "$note" Reply-To)
	like "$(header "$note" Subject)|$reply_to" \
		'^\[Support #1000\] Printer on fire\|support\+1000\.s[a-z2-7]{16}@desk\.example$' \
		"... tagged, with Reply-To the desk's address signed for the ticket"
	ok $(grep -q "New ticket: \[Support #1000\]" "$note" && grep -q "second floor is on fire" "$note" &&
		echo 0 || echo 1) "... the ticket's facts on top, the customer's text below"
	note_id=$(header "$note" Message-ID | tr -d '<>')

	{
		printf 'From: Alice <alice@desk.example>\n'
		printf 'To: support@desk.example\n'
		printf 'Subject: Re: [Support #1000] Printer on fire\n'
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <e2e-staff.%s@desk.example>\n' "$$"
		printf 'In-Reply-To: <%s>\nReferences: <%s> <%s>\n' "$note_id" "$msgid" "$note_id"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
		printf '#status pending\n\nHello Jane,\n\nplease pull the plug first.\n'
	} >"$TEST_DIR/staff.eml"
	before=$(answer_count "$JANE" "$msgid")
	send alice@desk.example "$reply_to" "$TEST_DIR/staff.eml"
	like "$qid" '^[0-9A-Za-z]+$' "alice's reply to that address over SMTP is accepted"
	relayed() { [ "$(answer_count "$JANE" "$msgid")" -gt "$before" ]; }
	poll $WAIT relayed
	ok $? "the reply is relayed into jane's Maildir"
	relay=$(for f in $(answers "$JANE" "$msgid"); do
		grep -q "pull the plug" "$f" && echo "$f"; done | head -n 1)
	like "$(header "$relay" From)" '^"?Alice \(Example Support\)"? <support@desk\.example>$' \
		"... from the desk, with alice's name"
	is "$(header "$relay" Subject)|$(header "$relay" Auto-Submitted)" \
		"[Support #1000] Re: Printer on fire|" \
		"... tagged, and not marked as an auto-reply"
	ok $(grep -q '#status' "$relay" && echo 1 || echo 0) "... without the command line"
	got=$(sql "SELECT status || '|' || (first_response_at IS NOT NULL) FROM tickets WHERE number = 1000")
	is "$got" "pending|true" "the reply is ticket 1000's first response; #status applied"
	got=$(sql "SELECT envelope_recipient FROM messages WHERE message_id = 'e2e-staff.$$@desk.example'")
	is "$got" "$reply_to" "Postfix passed the whole signed address, extension and all"

	# Outlook's Reply: "RE:", Thread-Index, no References; Gmail's: the
	# address in angle brackets with the desk's display name, CRLF.
	{
		printf 'From: "Alice" <alice@desk.example>\nTo: %s\n' "$reply_to"
		printf 'Subject: RE: [Support #1000] Printer on fire\n'
		printf 'Thread-Topic: [Support #1000] Printer on fire\n'
		printf 'Thread-Index: AdnT0a1b2c3d4e5f6g7h8i9j0k==\n'
		printf 'Date: %s\nMessage-ID: <e2e-outlook.%s@desk.example>\n' "$(LC_ALL=C date -R)" "$$"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset="us-ascii"\n\n'
		printf 'Outlook says: the fire is out.\n'
	} >"$TEST_DIR/outlook.eml"
	{
		printf 'From: Alice <alice@desk.example>\r\nTo: Example Support <%s>\r\n' "$reply_to"
		printf 'Subject: Re: [Support #1000] Printer on fire\r\n'
		printf 'In-Reply-To: <%s>\r\nReferences: <%s>\r\n' "$note_id" "$note_id"
		printf 'Date: %s\r\nMessage-ID: <e2e-gmail.%s@desk.example>\r\n' "$(LC_ALL=C date -R)" "$$"
		printf 'Content-Type: multipart/alternative; boundary="000000000000a1b2"\r\n\r\n'
		printf -- '--000000000000a1b2\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\n'
		printf 'Gmail says: the smoke is gone.\r\n\r\n'
		printf -- '--000000000000a1b2\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n'
		printf '<div dir="ltr">Gmail says: the smoke is gone.</div>\r\n\r\n'
		printf -- '--000000000000a1b2--\r\n'
	} >"$TEST_DIR/gmail.eml"
	for shape in outlook gmail; do
		before=$(answer_count "$JANE" "$msgid")
		send alice@desk.example "$reply_to" "$TEST_DIR/$shape.eml"
		poll $WAIT relayed
		ok $? "a plain Reply from $shape to the signed address is relayed to jane"
	done
}

# ---- 6. The Authentication-Results path (6 tests) ------------------------
# staff_mail ID TEXT: a new mail from alice to the plain support address.
staff_mail() {
	printf 'From: Alice <alice@desk.example>\nTo: support@desk.example\n'
	printf 'Subject: Re: [Support #1000] Printer on fire\n'
	printf 'Date: %s\nMessage-ID: <%s>\n' "$(LC_ALL=C date -R)" "$1"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$2"
}
# stored_kind ID: the kind of the stored mail with Message-ID ID.
stored_kind() { sql "SELECT kind FROM messages WHERE message_id = '$1'"; }
has_kind() { [ -n "$(stored_kind "$1")" ]; }

e2e_staff_dkim() {
	signed_id="e2e-dkim.$$@desk.example"
	staff_mail "$signed_id" "The fire brigade is on its way." |
		opendkim-testmsg -d desk.example -s e2e -k "$TEST_DIR/dkim/e2e.private" \
		>"$TEST_DIR/dkim.eml"
	before=$(answer_count "$JANE" "$msgid")
	send alice@desk.example support@desk.example "$TEST_DIR/dkim.eml"
	like "$qid" '^[0-9A-Za-z]+$' "a DKIM-signed staff mail to the plain support address is accepted"
	relayed() { [ "$(answer_count "$JANE" "$msgid")" -gt "$before" ]; }
	poll $WAIT relayed
	ok $? "... and relayed to jane: OpenDKIM's dkim=pass vouched for alice"
	got=$(sql "SELECT position('dkim=pass' in convert_from(raw, 'UTF8')) > 0 FROM messages WHERE message_id = '$signed_id'")
	is "$(stored_kind "$signed_id")|$got" "staff|t" "... stored as staff mail, with OpenDKIM's header"

	unsigned_id="e2e-unsigned.$$@desk.example"
	staff_mail "$unsigned_id" "Pay the invoice now." >"$TEST_DIR/unsigned.eml"
	before=$(answer_count "$JANE" "$msgid")
	send alice@desk.example support@desk.example "$TEST_DIR/unsigned.eml"
	like "$qid" '^[0-9A-Za-z]+$' "the same mail without a signature is accepted"
	poll $WAIT has_kind "$unsigned_id"
	is "$(stored_kind "$unsigned_id")" "held" "... and held: nothing proves alice wrote it"
	poll $WAIT queue_empty
	is "$(answer_count "$JANE" "$msgid")" "$before" "... and nothing reaches jane"
}
