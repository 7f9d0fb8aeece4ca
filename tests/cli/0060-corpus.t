#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Real-world mail written by other projects (../shared/corpus): every file
# goes through deliver without a crash or a tempfail, and is stored. GLib
# warnings are fatal as well as criticals: nothing on a mail's way may
# warn about its content.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
corpus=${TG_CORPUS_DIR:-$TG_TOP_SRCDIR/../shared/corpus}
[ -d "$corpus" ] || skip_all "no corpus at $corpus"
tg_setup
sed -i 's|^max_message_size = .*|max_message_size = 20M|' "$TICKETGATE_CONFIG"
tg customer add "Corpus Customer" --plan SILVER --from 2000-01-01 --domain example.com >/dev/null

files=$(find "$corpus" -type f ! -name INDEX.tsv ! -name README.md | sort)
total=$(printf '%s\n' "$files" | wc -l)
tap_plan 4

crashed=0 tempfailed=0 other=0 stored=0
printf '%s\n' "$files" | {
	while IFS= read -r f; do
		G_DEBUG=fatal-warnings,fatal-criticals TICKETGATE_LOG=syslog SENDER=sender@example.org \
			"$TICKETGATE" deliver <"$f" 2>"$TEST_DIR/err" && rc=0 || rc=$?
		case $rc in
		0) stored=$((stored + 1)) ;;
		75) tempfailed=$((tempfailed + 1)); echo "# tempfail: $f: $(cat "$TEST_DIR/err")" ;;
		1[2-9][0-9]) crashed=$((crashed + 1)); echo "# crash ($rc): $f" ;;
		*) other=$((other + 1)); echo "# exit $rc: $f: $(cat "$TEST_DIR/err")" ;;
		esac
	done
	echo "$stored $crashed $tempfailed $other" >"$TEST_DIR/tally"
}
read stored crashed tempfailed other <"$TEST_DIR/tally"
is "$crashed" "0" "no corpus mail crashes deliver ($total files)"
is "$tempfailed" "0" "no corpus mail is tempfailed"
is "$stored:$other" "$total:0" "every corpus mail is stored (exit 0)"
# Identical files in the corpus (bare-CR and CRLF copies aside) are one mail.
got=$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")
ok $([ "$got" -ge $((total * 9 / 10)) ] && [ "$got" -le "$total" ] && echo 0 || echo 1) \
	"the stored messages number $got of $total files (duplicates stored once)"
echo "# machine mail: $(sql "SELECT count(*) FROM messages WHERE kind = 'machine'"), tickets: $(sql "SELECT count(*) FROM tickets"), answers: $(sent_count)"

tg_done
