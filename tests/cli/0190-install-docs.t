#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's Install section and doc/postfix.md agree: every command of
# the one is a command of the other; they use only what a minimal Debian
# 12 has (runuser, not sudo; postfix reload, not systemctl) and run the
# database commands as the ticketgate user; the README's alias does not
# run deliver as nobody; the build dependencies are listed. And what a
# walk through them on a fresh Debian (tests/install/fresh-debian) found
# wrong once: a block left unclosed, a cd that later relative paths
# depended on, a placeholder written into a table, an example file taken
# from where make install does not put it, a daemon that nothing starts.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"

tap_plan 14

readme="$TG_TOP_SRCDIR/README.md"
postfix="$TG_TOP_SRCDIR/doc/postfix.md"
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tgtest.XXXXXX")
trap 'rm -rf "$TEST_DIR"' EXIT

# The shell lines of the README's Install section and of doc/postfix.md,
# comments and continuation marks gone, blanks squeezed.
# A line ending in a backslash goes on with the next.
commands() {
	awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on' |
		sed 's/[[:space:]]*#.*$//' |
		awk '{ if (sub(/\\$/, "")) { cont = cont $0 " "; next } print cont $0; cont = "" }' |
		sed 's/^[[:space:]]*//; s/[[:space:]][[:space:]]*/ /g; s/ $//' |
		grep -v '^$'
}
sed -n '/^## Install$/,/^## Running a desk$/p' "$readme" | commands >"$TEST_DIR/readme"
commands <"$postfix" >"$TEST_DIR/postfix"

missing=$(grep -vxF -f "$TEST_DIR/postfix" "$TEST_DIR/readme" || true)
is "$missing" "" "every command of the README's Install section is one of doc/postfix.md"
like "$(grep -c . "$TEST_DIR/readme")" "^([1-9][0-9])$" "... and there are some (at least ten)"

is "$(cat "$readme" "$postfix" | grep -n 'sudo \|systemctl reload' | grep -v 'need not be\|stands in for' || true)" "" \
	"neither uses sudo or systemctl reload"
like "$(cat "$TEST_DIR/readme")" "runuser -u ticketgate -- ticketgate db migrate" "the README migrates as the ticketgate user"
like "$(cat "$TEST_DIR/readme")" "runuser -u ticketgate -- ticketgate check-config" "... and checks the configuration as that user"
is "$(grep -c '/etc/aliases$\|>> */etc/aliases' "$TEST_DIR/readme")" "0" "the README's alias goes into ticketgate's own table, not /etc/aliases"
like "$(tr '\n' ' ' <"$TEST_DIR/readme")" "apt-get install build-essential .*libglib2.0-dev libgmime-3.0-dev libpq-dev" \
	"the README lists the build dependencies"

# Every fence is ```sh, ```ini or a bare ``` that closes it: text after
# a closing fence leaves the block open to the end of the page.
is "$(cat "$readme" "$postfix" | grep '^```' | grep -v '^```\(sh\|ini\)\{0,1\}$' || true)" "" \
	"every code block is closed by a bare fence"
all=$(cat "$TEST_DIR/readme" "$TEST_DIR/postfix")
is "$(echo "$all" | grep '^cd \|[;&|] *cd ' || true)" "" \
	"no command changes folder (the next block would run elsewhere)"
is "$(echo "$all" | grep 'YOUR\|DOMAIN' || true)" "" \
	"no placeholder: the commands are those of the example desk, support@example.com"
is "$(echo "$all" | grep '^ticketgate ' || true)" "" \
	"ticketgate's own commands run as the ticketgate user (runuser)"
# The example files come from where make install puts them.
bad=""
for f in $(echo "$all" | grep -o '/usr/share/doc/ticketgate/examples/[^ ]*' | sort -u); do
	rel=${f#/usr/share/doc/ticketgate/examples/}
	grep -q "contrib/$rel\b" "$TG_TOP_SRCDIR/Makefile.am" || bad="$bad $rel"
done
is "$bad" "" "every example file named is one that make install installs"
# Without systemd nothing starts the daemons; the README says how, and
# before the first command that needs PostgreSQL. rsyslog has no init
# script in Debian 12: "service rsyslog start" fails there.
order=$(grep -n '^service postgresql start$\|^service postfix start$\|^rsyslogd$\|^apt-get install rsyslog$\|createuser ticketgate$' \
	"$TEST_DIR/readme" | cut -d: -f2 | tr '\n' ,)
like "$order" "^apt-get install rsyslog,service postgresql start,service postfix start,rsyslogd,.*createuser ticketgate,$" \
	"the README installs rsyslog and starts the daemons before the database commands"
is "$(echo "$all" | grep 'service rsyslog' || true)" "" "... rsyslog with rsyslogd, which needs no init script"

tg_done
