#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ticketgate under a real Postfix, wired the pipe(8) way: the ticketgate
# service of contrib/postfix/master.cf, the settings of main.cf, and the
# virtual and transport tables that send support@ and support-comment@ to
# it. Mail goes in over SMTP on 127.0.0.1; what Postfix delivers is read
# from the Maildirs. The scenario is in tests/data/postfix/e2e.sh;
# tests/lib/postfix-instance runs Postfix.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
. "$DATA/postfix/e2e.sh"
e2e_require
e2e_setup

# The wiring, as doc/postfix.md has it: the contrib/postfix files with
# our paths, the filter's user and the desk's domain.
contrib="$TG_TOP_SRCDIR/contrib/postfix"
sed -e "s|/usr/sbin/ticketgate|$PUB/sbin/ticketgate -c $PUB/ticketgate.conf|" \
	-e "s|user=ticketgate|user=$FILTER_USER|" \
	"$contrib/master.cf" >>"$PF/etc/master.cf"
sed "s|/etc/postfix/|$PF/etc/|g" "$contrib/main.cf" >>"$PF/etc/main.cf"
"$PF_LIB" settle "$PF"
sed "s|@example\.com|@desk.example|" "$contrib/virtual" >"$PF/etc/virtual"
cp "$contrib/transport" "$PF/etc/transport"
"$PF_SBIN"/postmap -c "$PF/etc" "$PF/etc/virtual"
"$PF_SBIN"/postmap -c "$PF/etc" "$PF/etc/transport"
e2e_start

E2E_WIRING="pipe(8) transport"
E2E_ROUTE='QID: to=<support@ticketgate\.invalid>, orig_to=<support@desk\.example>, relay=ticketgate, .* status=sent \(delivered via ticketgate service'

tap_plan $((E2E_TESTS + 1))

# What Postfix makes of the fragments: no warning, and the argv intact.
got=$("$PF_SBIN"/postconf -c "$PF/etc" -n 2>&1 >/dev/null
	"$PF_SBIN"/postconf -c "$PF/etc" -M ticketgate/unix 2>&1)
like "$got" '^ticketgate +unix +- +n +n +- +10 +pipe flags=DRXhqu user='"$FILTER_USER"' null_sender= argv=[^ ]*/ticketgate -c [^ ]* deliver --sender=\$\{sender\} --recipient=\$\{original_recipient\} --queue-id=\$\{queue_id\}$' \
	"postconf reads the main.cf and master.cf fragments without a warning"
e2e_new_ticket
e2e_duplicate
e2e_staff
e2e_staff_dkim
e2e_bounce
e2e_database_down

tg_done
