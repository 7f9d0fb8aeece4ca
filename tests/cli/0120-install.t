#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make install into a DESTDIR: every part where it belongs, an existing
# configuration never overwritten; and the installed program runs.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tginst.XXXXXX")
trap 'rm -rf "$TEST_DIR"' EXIT
root="$TEST_DIR/root"
# A make of its own, not a part of the make that runs the tests.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"; }

tap_plan 13

printf 'print-dirs:\n\t@echo "$(sbindir)|$(sysconfdir)|$(pkgdatadir)|$(mandir)|$(docdir)|$(localstatedir)"\n' >"$TEST_DIR/dirs.mk"
vars=$(mk -s -C "$TG_TOP_BUILDDIR" -f Makefile -f "$TEST_DIR/dirs.mk" print-dirs)
IFS='|' read -r sbindir sysconfdir pkgdatadir mandir docdir localstatedir <<EOF_VARS
$vars
EOF_VARS

# The state directory goes to the user deliver runs as; only root can
# give it away, so as another user the install says what to do instead.
if [ "$(id -u)" = 0 ]; then owner=nobody; else owner=$(id -un); fi
mk -s -C "$TG_TOP_BUILDDIR" install DESTDIR="$root" TG_USER=nobody >"$TEST_DIR/install.out" 2>&1 && rc=0 || rc=$?
is "$rc" "0" "make install DESTDIR=... succeeds"
ok $([ -x "$root$sbindir/ticketgate" ] && echo 0 || echo 1) "the program is in sbindir"
ok $([ -f "$root$mandir/man8/ticketgate.8" ] && [ -f "$root$mandir/man8/ticketgate-lmtpd.8" ] && [ -f "$root$mandir/man8/ticketgate-sender.8" ] && [ -f "$root$mandir/man5/ticketgate.conf.5" ] && echo 0 || echo 1) "the four manual pages are installed"
got=$(cd "$root$pkgdatadir" && ls templates/*.txt schema/*.sql | wc -l)
want=$(cd "$TG_TOP_SRCDIR" && ls templates/*.txt schema/*.sql | wc -l)
is "$got" "$want" "every template and schema file is in pkgdatadir"
conf="$root$sysconfdir/ticketgate/ticketgate.conf"
like "$(grep '^#directory' "$conf")" "^#directory = $pkgdatadir/templates$" "an example configuration pointing at the installed templates"
state="$root$localstatedir/lib/ticketgate"
is "$(stat -c '%F %a %U' "$state" 2>&1)" "directory 700 $owner" "the state directory, mode 700, for the user deliver runs as ($owner)"
like "$(grep '^#state_directory' "$conf")" "^#state_directory = $localstatedir/lib/ticketgate$" "... named in the example configuration"
ok $([ -f "$root$docdir/examples/postfix/master.cf" ] && [ -f "$root$docdir/examples/systemd/ticketgate-sweep.timer" ] && echo 0 || echo 1) \
	"the Postfix and systemd examples are installed"

echo "# changed by the admin" >>"$conf"
mk -s -C "$TG_TOP_BUILDDIR" install DESTDIR="$root" >/dev/null 2>&1
is "$(tail -n 1 "$conf")" "# changed by the admin" "a second install keeps the admin's configuration"

got=$("$root$sbindir/ticketgate" --version | head -n 1)
like "$got" "^ticketgate [0-9]+\.[0-9]+\.[0-9]+$" "the installed program runs: $got"

mk -s -C "$TG_TOP_BUILDDIR" uninstall DESTDIR="$root" >/dev/null 2>&1
ok $([ ! -e "$root$sbindir/ticketgate" ] && echo 0 || echo 1) "make uninstall removes the program"
ok $([ -f "$conf" ] && echo 0 || echo 1) "... but not a configuration the admin changed"
ok $([ ! -e "$state" ] && echo 0 || echo 1) "... and the state directory, empty"

tg_done
