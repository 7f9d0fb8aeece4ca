# SPDX-License-Identifier: GPL-3.0-or-later
#
# common.sh: helpers for the tests/cli/*.t TAP scripts. Source it, call
# tg_setup to get a private PostgreSQL with the schema, a configuration
# and a recording sendmail, then use deliver/sql/ok/is.
#
#   TEST_DIR        a private folder, removed at exit
#   TICKETGATE      the binary under test (from the build)
#   TICKETGATE_CONFIG  the test configuration
#   TG_SENDMAIL_DIR    where tests/fake-sendmail records outgoing mail

: "${TG_TOP_SRCDIR:?run through make check}"
: "${TICKETGATE:?run through make check}"
LIB="$TG_TOP_SRCDIR/tests/lib"
DATA="$TG_TOP_SRCDIR/tests/data"

tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; }
ok() { # ok CONDITION-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '# got:  %s\n# want: %s\n' "$1" "$2"
	fi
}
like() { # like GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '# got:  %s\n# want match of: %s\n' "$1" "$2"
	fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
bail() { echo "Bail out! $1"; exit 1; }

tg_cleanup() {
	if [ -n "${TG_KEEP:-}" ]; then
		echo "# kept $TEST_DIR and the cluster in $PG_DIR" >&2
		return
	fi
	if [ -n "${PG_DIR:-}" ]; then
		"$LIB/pg-cluster" stop "$PG_DIR" || true
	fi
	if [ -n "${TEST_DIR:-}" ] && [ -z "${TG_KEEP:-}" ]; then
		rm -rf "$TEST_DIR"
	fi
	if [ -n "${PG_DIR:-}" ] && [ -z "${TG_KEEP:-}" ]; then
		rm -rf "$PG_DIR"
	fi
}

# tg_config_body: the test configuration; override keys by appending
# to $TICKETGATE_CONFIG, or write a new one with tg_write_config.
tg_write_config() {
	cat >"$TICKETGATE_CONFIG" <<CONF
[database]
conninfo = host=$PG_DIR user=postgres dbname=ticketgate
connect_timeout = 5s

[mail]
support_address = support@desk.example
from_name = Example Support
sendmail = $TG_TOP_BUILDDIR/tests/fake-sendmail
subject_tag = Support
staff_address = ${TG_STAFF_ADDRESS:-}
comment_address = support-comment@desk.example

[hours]
timezone = +02:00
days = Mon-Fri
start = 09:00
end = 18:00

[templates]
directory = $TG_TOP_SRCDIR/templates

[limits]
max_message_size = 1M
spool_memory = 64k
time_limit = 60s
state_directory = $TEST_DIR/state

[lmtpd]
# The tests run as root and read files only root may.
user = root

[policy]
unknown_sender = ${TG_UNKNOWN_SENDER:-ticket}
CONF
}

tg_setup() {
	TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tgtest.XXXXXX")
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tgpg.XXXXXX")
	trap tg_cleanup EXIT
	trap 'exit 1' INT TERM
	"$LIB/pg-cluster" start "$PG_DIR" >/dev/null || bail "cannot start PostgreSQL"
	export PGHOST="$PG_DIR" PGUSER=postgres PGDATABASE=ticketgate
	createdb -h "$PG_DIR" -U postgres ticketgate || bail "createdb failed"
	TICKETGATE_CONFIG="$TEST_DIR/ticketgate.conf"
	TG_SENDMAIL_DIR="$TEST_DIR/sent"
	export TICKETGATE_CONFIG TG_SENDMAIL_DIR
	mkdir -p "$TG_SENDMAIL_DIR" "$TEST_DIR/state"
	tg_write_config
	"$TICKETGATE" db migrate --schema "$TG_TOP_SRCDIR/schema" >/dev/null ||
		bail "db migrate failed"
}

tg() { "$TICKETGATE" "$@"; }

# deliver FILE [deliver options...]: sets $rc and $err (stderr). The
# envelope recipient is $RCPT, else support@desk.example. With
# TG_ENTRY=lmtp the mail goes through "ticketgate lmtpd" instead
# (tests/lib/lmtp-deliver), with the same exit code and line: the tests
# hold both entries to the same decisions.
deliver() {
	f=$1
	shift
	err=$(SENDER=${SENDER-customer@example.net} \
		RECIPIENT=${RCPT:-support@desk.example} \
		tg_entry deliver "$@" <"$f" 2>&1 >/dev/null) && rc=0 || rc=$?
}

# tg_entry [global options] deliver [options]: ticketgate, through the
# entry TG_ENTRY names (pipe, the default, or lmtp).
tg_entry() {
	case ${TG_ENTRY:-pipe} in
	lmtp) TICKETGATE=$TICKETGATE "$LIB/lmtp-deliver" "$@" ;;
	*) "$TICKETGATE" "$@" ;;
	esac
}

# sql QUERY: one value per line, columns separated by |.
sql() { psql -X -q -At -h "$PG_DIR" -U postgres -d ticketgate -c "$1"; }

# sent_count: how many mails fake-sendmail recorded.
sent_count() { ls "$TG_SENDMAIL_DIR" 2>/dev/null | grep -c '\.eml$' || true; }
# sent_mail N: the file of the Nth recorded mail.
sent_mail() { printf '%s/%04d.eml' "$TG_SENDMAIL_DIR" "$1"; }
sent_args() { printf '%s/%04d.args' "$TG_SENDMAIL_DIR" "$1"; }

# mail FROM SUBJECT [HEADERS...]: writes a simple mail to stdout.
mail() {
	from=$1
	subject=$2
	shift 2
	printf 'From: %s\nTo: support@desk.example\nSubject: %s\n' "$from" "$subject"
	printf 'Date: Fri, 27 Nov 2026 17:30:00 +0200\n'
	printf 'Message-ID: <%s.%s@example.net>\n' "$(date +%s%N)" "$$"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello support,\n\nsomething is wrong.\n'
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds; fails
# after SECONDS. Tests wait for what they observe (a file written, a
# count reached), never for a fixed time: the bound only keeps a broken
# run from hanging.
wait_for() {
	limit=$(( $1 * 20 ))
	shift
	n=0
	until "$@"; do
		n=$((n + 1))
		[ "$n" -le "$limit" ] || return 1
		sleep 0.05
	done
}
# at_least FILE N: FILE holds a number of at least N.
at_least() { [ -f "$1" ] && [ "$(cat "$1")" -ge "$2" ]; }

tg_done() {
	[ "$tap_failed" -eq 0 ]
}

# deliver_to RCPT FILE [deliver options...]: deliver, to RCPT.
deliver_to() {
	RCPT=$1
	shift
	deliver "$@"
	RCPT=
}

# signed_for N [ADDR]: the reply address (Reply-To) that the desk signed
# for ticket N in the last mail it sent to ADDR (default: the staff
# list, staff@desk.example); empty when there is none.
signed_for() {
	for f in $(ls -r "$TG_SENDMAIL_DIR"/*.eml 2>/dev/null); do
		tail -n +5 "${f%.eml}.args" | grep -qx "${2:-staff@desk.example}" || continue
		r=$(hdr "$f" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
		case $r in *"+$1."*) echo "$r"; return ;; esac
	done
}

# Headers and parts of a recorded mail (tests/lib/mailinfo.py).
hdr() { python3 "$LIB/mailinfo.py" header "$1" "$2"; }
hdr_count() { python3 "$LIB/mailinfo.py" count "$1" "$2"; }
text_of() { python3 "$LIB/mailinfo.py" text "$1"; }
html_of() { python3 "$LIB/mailinfo.py" html "$1"; }
parts_of() { python3 "$LIB/mailinfo.py" parts "$1"; }
# The last recorded mail sent to ADDR.
last_to() {
	for f in $(ls -r "$TG_SENDMAIL_DIR"/*.args 2>/dev/null); do
		if tail -n +5 "$f" | grep -qx "$1"; then
			echo "${f%.args}.eml"
			return
		fi
	done
}
# How many recorded mails went to ADDR (queued: the .eml is there).
count_to() {
	n=0
	for f in "$TG_SENDMAIL_DIR"/*.args; do
		[ -f "$f" ] && [ -f "${f%.args}.eml" ] || continue
		tail -n +5 "$f" | grep -qx "$1" && n=$((n + 1))
	done
	echo "$n"
}
