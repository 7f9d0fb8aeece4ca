#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ticketgate under a real Postfix, wired the local(8) way: the aliases of
# contrib/postfix/aliases in a table of their own, owned by the filter's
# user, so that local(8) runs "ticketgate deliver" as that user with
# SENDER, RECIPIENT and MAIL_CONFIG set. Mail goes in over SMTP on
# 127.0.0.1; what Postfix delivers is read from the Maildirs. The scenario
# is in tests/data/postfix/e2e.sh; tests/lib/postfix-instance runs Postfix.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
. "$DATA/postfix/e2e.sh"
e2e_require
e2e_setup

# The wiring, as doc/postfix.md has it: contrib/postfix/aliases with our
# paths, in a folder owned by the filter's user (postalias, run as root,
# writes the .db as the owner of the source file).
tgal="$TEST_DIR/ticketgate-aliases"
mkdir -p "$tgal"
sed "s|/usr/sbin/ticketgate|$PUB/sbin/ticketgate -c $PUB/ticketgate.conf|" \
	"$TG_TOP_SRCDIR/contrib/postfix/aliases" >"$tgal/aliases"
chown -R "$FILTER_USER" "$tgal"
"$PF_SBIN"/postalias -c "$PF/etc" "$tgal/aliases"
"$PF_SBIN"/postconf -c "$PF/etc" -e \
	"alias_maps = hash:$PF/etc/aliases, hash:$tgal/aliases" \
	"alias_database = hash:$PF/etc/aliases, hash:$tgal/aliases" \
	"recipient_delimiter = +"
"$PF_LIB" settle "$PF"
e2e_start

E2E_WIRING="local(8) alias"
E2E_ROUTE='QID: to=<support@desk\.example>, relay=local, .* status=sent \(delivered to command: [^)]*/ticketgate '

tap_plan $((E2E_TESTS + 1))

is "$(ls -n "$tgal/aliases.db" | awk '{ print $3 }')" "$(id -u "$FILTER_USER")" \
	"the alias table is owned by the filter's user, so local(8) runs it as that user"
e2e_new_ticket
e2e_duplicate
e2e_staff
e2e_staff_dkim
e2e_bounce
e2e_database_down

tg_done
