#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The man pages name every option the program takes: each option that a
# command's --help lists (and the global ones) is in that command's page,
# ticketgate-lmtpd(8), ticketgate-sender(8) or ticketgate(8), with its
# short form beside the long one where it has one. --help prints what
# the parser takes, so an option added without its page fails here.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
tap_plan 4
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tgtest.XXXXXX")
trap 'rm -rf "$TEST_DIR"' EXIT

# The commands, one a line ("customer add"), from the global --help.
"$TICKETGATE" --help >"$TEST_DIR/help"
sed -n '/^Commands:$/,$p' "$TEST_DIR/help" | sed -n 's/^  \([a-z-]*\( [a-z-]*\)\{0,1\}\)  .*/\1/p' |
	sed 's/ *$//' >"$TEST_DIR/commands"

page() {
	case "$1" in
	lmtpd) echo "$TG_TOP_SRCDIR/doc/ticketgate-lmtpd.8" ;;
	sender) echo "$TG_TOP_SRCDIR/doc/ticketgate-sender.8" ;;
	*) echo "$TG_TOP_SRCDIR/doc/ticketgate.8" ;;
	esac
}

# options HELP-FILE: "SHORT LONG" a line ("- dump" without a short
# form), --help itself left out.
options() {
	sed -n 's/^  *\(-\([a-zA-Z]\), \)\{0,1\}--\([a-z][a-z-]*\).*/\2 \3/p' "$1" |
		sed 's/^ /- /' | grep -v ' help$' || true
}

# missing PAGE: the options read on standard input that PAGE lacks, as
# "page: -s, --long"; troff writes every dash as \-.
missing() {
	while read -r short long; do
		pat=$(printf '%s' "$long" | sed 's/-/\\\\-/g')
		if [ "$short" = - ]; then
			grep -q -e "\\\\-\\\\-$pat\\b" "$1" ||
				echo "$(basename "$1"): --$long"
		else
			grep -e "\\\\-\\\\-$pat\\b" "$1" | grep -q -e "\\\\-$short\\b" ||
				echo "$(basename "$1"): -$short, --$long"
		fi
	done
}

like "$(wc -l <"$TEST_DIR/commands")" "^ *(2[0-9]|[3-9][0-9])$" \
	"the global --help lists the commands (at least 20)"
options "$TEST_DIR/help" >"$TEST_DIR/global"
is "$(missing "$TG_TOP_SRCDIR/doc/ticketgate.8" <"$TEST_DIR/global")" "" \
	"ticketgate(8) names every global option, short and long"

: >"$TEST_DIR/all"
: >"$TEST_DIR/counted"
while read -r command; do
	# shellcheck disable=SC2086 # the command's words are two arguments
	"$TICKETGATE" $command --help >"$TEST_DIR/one" 2>&1 || true
	options "$TEST_DIR/one" >>"$TEST_DIR/counted"
	options "$TEST_DIR/one" | missing "$(page "$command")" |
		sed "s/^/$command: /" >>"$TEST_DIR/all"
done <"$TEST_DIR/commands"
like "$(wc -l <"$TEST_DIR/counted")" "^ *([3-9][0-9])$" \
	"the commands' --help list their options (at least 30 in all)"
is "$(cat "$TEST_DIR/all")" "" "each command's man page names every option of its --help"

tg_done
