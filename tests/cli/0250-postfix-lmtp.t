#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ticketgate lmtpd under a real Postfix: lmtp(8) delivers the support
# addresses to its socket in the instance's private/ folder, wired with
# the table and the main.cf lines of contrib/postfix/lmtp*. Mail goes in
# over SMTP; what Postfix delivers is read from the Maildirs, what it
# keeps from its queue (postqueue -j). Besides deliver's scenario
# (tests/data/postfix/e2e.sh): the database stopped in the middle of a
# burst, lmtpd killed while mail flows, each followed by a flush that
# stores every mail once; and a mail over the size limit, refused at
# MAIL FROM and bounced.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
. "$DATA/postfix/e2e.sh"
e2e_require
e2e_setup

# lmtpd as doc/postfix.md runs it: started as root, it binds in
# Postfix's private/ folder and its workers become the filter's user.
cat >>"$PUB/ticketgate.conf" <<CONF

[lmtpd]
user = $FILTER_USER
processes = 4
timeout = 60s
CONF
sed -i 's/^\[limits\]$/[limits]\nmax_message_size = 1M/' "$PUB/ticketgate.conf"

# The wiring: the instance's master.cf has no lmtp line (Debian's has
# one, chrooted; chroot is off in the test instance), then the contrib
# files with our paths and the desk's domain.
contrib="$TG_TOP_SRCDIR/contrib/postfix"
printf 'lmtp      unix  -       -       n       -       -       lmtp\n' \
	>>"$PF/etc/master.cf"
# contrib's local_recipient_maps adds the table to Debian's list; the
# instance's own setting goes first, as a reader's would be merged.
"$PF_SBIN"/postconf -c "$PF/etc" -X local_recipient_maps
sed "s|/etc/postfix/|$PF/etc/|g" "$contrib/lmtp-main.cf" >>"$PF/etc/main.cf"
sed "s|@example\.com|@desk.example|" "$contrib/lmtp" >"$PF/etc/ticketgate-lmtp"
"$PF_SBIN"/postmap -c "$PF/etc" "$PF/etc/ticketgate-lmtp"
# The burst senders' Maildir (below).
OTHERS="$PF/mail/acme.example/others"
printf '@acme.example acme.example/others/\n' >>"$PF/etc/vmailbox"
"$PF_SBIN"/postmap -c "$PF/etc" "$PF/etc/vmailbox"
"$PF_LIB" settle "$PF"
"$PF_LIB" start "$PF" >/dev/null || bail "cannot start Postfix"

SOCK="$PF/spool/private/ticketgate-lmtp"
LOG="$TEST_DIR/lmtpd.log"
LPID=
# start_lmtpd: the daemon in the background; returns once it has
# started (its "started" line), since a socket file left by a killed one
# is there before the new one listens.
start_lmtpd() {
	n=$(grep -c 'lmtpd: started' "$LOG" 2>/dev/null || true)
	MAIL_CONFIG="$PF/etc" TICKETGATE_LOG=stderr \
		"$PUB/sbin/ticketgate" -c "$PUB/ticketgate.conf" lmtpd \
		--listen "unix:$SOCK" 2>>"$LOG" &
	LPID=$!
	started() { [ "$(grep -c 'lmtpd: started' "$LOG")" -gt "${n:-0}" ]; }
	poll $WAIT started || bail "lmtpd did not start: $(tail -n 3 "$LOG")"
}
stop_lmtpd() {
	[ -n "$LPID" ] || return 0
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
}
trap 'stop_lmtpd; e2e_cleanup' EXIT
start_lmtpd

E2E_WIRING="lmtp(8) to ticketgate lmtpd"
E2E_ROUTE='QID: to=<support@desk\.example>, relay=[^ ]*ticketgate-lmtp[^ ]*, .* status=sent \(250 2\.0\.0 <support@desk\.example> '

tap_plan 56

# What Postfix makes of the fragment: no warning, and the route.
got=$("$PF_SBIN"/postconf -c "$PF/etc" -n 2>&1 >/dev/null
	"$PF_SBIN"/postmap -c "$PF/etc" -q 'support-comment@desk.example' \
		"hash:$PF/etc/ticketgate-lmtp" 2>&1)
is "$got" "lmtp:unix:private/ticketgate-lmtp" \
	"postconf reads the main.cf fragment without a warning; the table routes the comment address"

# ---- a. A customer mail: ticket, acknowledgment, the queue id ------------
e2e_new_ticket
like "$(cat "$LOG")" "queue_id=$new_qid .*action=new-ticket ticket=1000" \
	"lmtpd's log line carries Postfix's queue id (XFORWARD IDENT)"
e2e_duplicate
e2e_staff
e2e_bounce

# ---- bursts ----------------------------------------------------------------
# burst TAG N: N mails, from TAG.I@acme.example with Message-ID
# <TAG.I@acme.example>, over one SMTP session; their queue ids, one a
# line, in $TEST_DIR/TAG.qids. One sender each: the rolling caps per
# address would rightly hold jane's acknowledgments after ten. Their
# acknowledgments land in the Maildir $OTHERS (vmailbox's catch-all,
# set up before the start).
burst() {
	python3 -c '
import email.utils, re, smtplib, sys
port, tag, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("client.test")
    for i in range(n):
        sender = "%s.%d@acme.example" % (tag, i)
        msg = ("From: %s\r\n"
               "To: support@desk.example\r\n"
               "Subject: %s number %d\r\n"
               "Date: %s\r\n"
               "Message-ID: <%s.%d@acme.example>\r\n\r\n"
               "Printer %d of the burst is on fire.\r\n"
               % (sender, tag, i, email.utils.formatdate(), tag, i, i))
        s.mail(sender)
        s.rcpt("support@desk.example")
        code, text = s.data(msg.encode())
        m = re.search(rb"queued as ([0-9A-Za-z]+)", text)
        if code != 250 or not m:
            sys.exit("DATA: %d %s" % (code, text.decode()))
        print(m.group(1).decode(), flush=True)
' "$(cat "$PF/port")" "$1" "$2" >"$TEST_DIR/$1.qids"
}

# stored TAG: how many mails of the burst the database holds.
stored() { sql "SELECT count(*) FROM messages WHERE message_id LIKE '$1.%'"; }
stored_at_least() { [ "$(stored "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

# settled TAG: each mail of the burst has left the queue (delivered) or
# waits in the deferred queue; none is being delivered. Prints how many
# wait.
settled() {
	q=$("$PF_LIB" queue "$PF")
	waiting=0
	while read -r id; do
		line=$(printf '%s\n' "$q" | grep "\"queue_id\": *\"$id\"") || continue
		printf '%s' "$line" | grep -q '"queue_name": *"deferred"' || return 1
		waiting=$((waiting + 1))
	done <"$TEST_DIR/$1.qids"
	echo "$waiting" >"$TEST_DIR/$1.waiting"
}
# reasons TAG: the delay_reason of each waiting mail of the burst.
reasons() {
	"$PF_LIB" queue "$PF" | grep -Ff "$TEST_DIR/$1.qids" |
		sed 's/.*"delay_reason": *"\([^"]*\)".*/\1/'
}
# acks TAG: "COUNT MSGID" for each mail of the burst that $OTHERS holds
# answers to (In-Reply-To), read in one pass: a Maildir of a hundred
# mails would otherwise cost a process per file and mail.
acks() {
	tag=$1
	set --
	for f in "$OTHERS"/new/* "$OTHERS"/cur/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	[ $# -gt 0 ] || return 0
	awk -v tag="$tag" '
		FNR == 1 { head = 1 }
		/^\r?$/ { head = 0 }
		head && tolower($1) == "in-reply-to:" {
			id = $2; gsub(/[<>\r]/, "", id)
			if (index(id, tag ".") == 1) n[id]++
		}
		END { for (id in n) print n[id], id }
	' "$@" 2>/dev/null
}
all_acks() { [ "$(acks "$1" | grep -c .)" -ge "$2" ]; }
# copies TAG: the Message-IDs of the acknowledgments $OTHERS holds for
# the burst, one a line (a resend has the stored answer's).
copies() {
	for f in "$OTHERS"/new/* "$OTHERS"/cur/*; do
		[ -f "$f" ] || continue
		case $(header "$f" In-Reply-To) in "<$1."*) header "$f" Message-ID ;; esac
	done
}
# once TAG N WHAT [RESENDS]: the burst's N mails are stored once each,
# on N tickets, each with one acknowledgment in the outbox; each sender
# has exactly one, or, with RESENDS, up to RESENDS mails have a second
# copy of the same stored answer (see below).
once() {
	got=$(sql "SELECT count(*) || '|' || count(DISTINCT m.message_id) || '|' ||
			count(DISTINCT m.ticket_id)
		FROM messages m WHERE m.message_id LIKE '$1.%'")
	is "$got" "$2|$2|$2" "$3: all $2 mails stored, each once, on a ticket of its own"
	if [ -z "${4:-}" ]; then
		got="$(acks "$1" | grep -c .):$(acks "$1" | grep -v '^1 ' | tr '\n' ' ')"
		is "$got" "$2:" "$3: exactly one acknowledgment of each, in its sender's Maildir"
	else
		extra=$(acks "$1" | awk '$1 > 1 { n += $1 - 1 } END { print n + 0 }')
		ids=$(copies "$1" | sort -u | grep -c .)
		is "$(acks "$1" | grep -c .):$ids:$([ "$extra" -le "$4" ] && echo within)" "$2:$2:within" \
			"$3: one acknowledgment of each; $extra resent, the same answer, by the $4 workers killed"
	fi
	got=$(sql "SELECT count(*) || '|' || count(o.sent_at)
		FROM outbox o JOIN messages a ON a.id = o.message_id
		JOIN messages m ON m.ticket_id = a.ticket_id
		WHERE a.kind = 'ack' AND m.message_id LIKE '$1.%'")
	is "$got" "$2|$2" "$3: one acknowledgment per ticket in the outbox, each sent"
}

# ---- b. The database stops in the middle of a burst -----------------------
N=20
burst down $N &
BURST=$!
poll $WAIT stored_at_least down 3
ok $? "a burst of $N mails flows: the first are stored"
# Stopped as "service postgresql stop" does (fast: sessions ended,
# committed work kept). The test cluster runs with synchronous_commit
# off, so an immediate stop could lose a commit that lmtpd had answered
# 250 for, which a server with the default setting never does.
PG_STOP_MODE=fast "$LIB/pg-cluster" stop "$PG_DIR"
wait "$BURST"
ok $? "... smtpd took all $N"
poll 60 settled down
ok $? "with the database stopped, each mail is delivered or deferred"
waiting=$(cat "$TEST_DIR/down.waiting" 2>/dev/null || echo 0)
ok $([ "$waiting" -ge 1 ] && echo 0 || echo 1) \
	"... and the rest ($waiting) wait in Postfix's deferred queue"
got=$(reasons down | grep -vc '4\.3\.0' || true)
like "$(reasons down | head -n 1)" ' 4\.3\.0 ' "postqueue -j gives lmtpd's 4.3.0 as the reason"
is "$got" "0" "... for every one of them"
pg_up || bail "cannot restart PostgreSQL"
"$PF_LIB" flush "$PF"
poll 60 all_acks down $N
ok $? "database back, postqueue -f: every acknowledgment arrives"
poll $WAIT queue_empty
ok $? "the queue is empty again"
once down $N "database down"

# ---- c. lmtpd killed (master and workers) while mail flows -----------------
burst kill $N &
BURST=$!
poll $WAIT stored_at_least kill 3
ok $? "another burst flows"
workers=$(ps -o pid= --ppid "$LPID" | tr '\n' ' ')
victims="$LPID $workers"
# shellcheck disable=SC2086
kill -KILL $victims
wait "$LPID" 2>/dev/null
LPID=
wait "$BURST"
ok $? "... smtpd took all $N while lmtpd was killed"
poll 60 settled kill
ok $? "with lmtpd gone, each mail is delivered or deferred"
waiting=$(cat "$TEST_DIR/kill.waiting" 2>/dev/null || echo 0)
ok $([ "$waiting" -ge 1 ] && echo 0 || echo 1) \
	"... and the rest ($waiting) wait in the deferred queue"
start_lmtpd
"$PF_LIB" flush "$PF"
poll 60 all_acks kill $N
ok $? "lmtpd restarted on the stale socket, postqueue -f: every acknowledgment arrives"
poll $WAIT queue_empty
ok $? "the queue is empty again"
# A worker killed after sendmail queued an answer and before its journal
# line (postdrop, sendmail's child, finishes a mail it has whole) leaves
# that answer unrecorded, and the retry that takes the mail over sends
# it again: the one window doc/RELIABILITY.md names. The mail, the
# ticket and the answer are stored once; a second copy in the Maildir is
# that same answer (its Message-ID), at most one per killed worker.
once kill $N "lmtpd killed" "$(echo $workers | wc -w)"

# ---- d. Over [limits] max_message_size: refused, bounced, not stored ------
# lmtpd announces its limit in LHLO (SIZE 1048576); Postfix's lmtp(8)
# compares it with the mail's size and bounces the mail itself, before
# MAIL FROM. (A client that sends MAIL FROM ... SIZE= anyway hears 552
# 5.3.4 there, and one that announces nothing after the data: 0240.)
big_id="e2e-big.$$@acme.example"
{
	e2e_mail "$big_id" "A big scan"
	head -c 1100000 /dev/zero | tr '\0' 'x' | fold -w 76
} >"$TEST_DIR/big.eml"
send jane@acme.example support@desk.example "$TEST_DIR/big.eml"
like "$qid" '^[0-9A-Za-z]+$' "smtpd accepts a mail over ticketgate's limit (1M, under its own)"
big_qid=$qid
bounced() { maillog | grep -Eq "$big_qid: to=<support@desk\.example>, relay=[^ ]*ticketgate-lmtp.* dsn=5\.3\.4, status=bounced \(message size [0-9]+ exceeds size limit 1048576 of server"; }
poll $WAIT bounced
ok $? "lmtp(8) bounces it with 5.3.4 on the SIZE lmtpd announced"
dsn() { grep -l "X-Postfix-Queue-ID: $big_qid" "$JANE"/new/* 2>/dev/null; }
poll $WAIT dsn >/dev/null
ok $? "jane gets the delivery status notification"
poll $WAIT queue_empty
ok $? "the mail has left the queue"
is "$(sql "SELECT count(*) FROM messages WHERE message_id = '$big_id'"):$(grep -c "$big_id" "$LOG")" "0:0" \
	"nothing of it is stored; lmtpd never saw it"

tg_done
