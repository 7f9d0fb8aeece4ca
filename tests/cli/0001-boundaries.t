#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Module boundaries (STYLE.md 2): libpq only in store, GMime only in the
# parsing and composing modules, no string-built SQL, nothing on stdout
# from library modules.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
cd "$TG_TOP_SRCDIR/src" || bail "no src"

tap_plan 6

got=$(grep -l 'libpq-fe.h' *.c *.h | tr '\n' ' ')
is "$got" "store.c " "libpq-fe.h is included by store.c only"

got=$(grep -l 'gmime/gmime.h\|gmime-autocleanups.h\|mime-source.h\|compose-gmime.h' *.c *.h | sort | tr '\n' ' ')
is "$got" "compose-gmime.h compose.c gmime-autocleanups.h message.c mime-source.h " \
	"GMime is used by message.c and compose.c (and their private headers) only"

got=$(grep -n 'PQexec *(' store.c | grep -v 'PQexec (store->conn, sql)' | wc -l)
is "$got" "0" "PQexec appears once, in the migration runner"

got=$(grep -nE 'g_strdup_printf *\([^)]*(SELECT|INSERT|UPDATE|DELETE)' store.c | wc -l)
is "$got" "0" "no SQL is built with printf"

got=$(grep -lE '\b(printf|puts|fputs) *\(' *.c | grep -v -e '^admin.c$' -e '^main.c$' -e '^sweep.c$' -e '^report.c$' | tr '\n' ' ')
is "$got" "" "only the commands that print for people (main, admin, sweep --dry-run, report) write to stdout"

got=$(grep -nE '\b(exit|abort|g_error) *\(' *.c | grep -v '^main.c' | wc -l)
is "$got" "0" "no module but main exits or aborts"

tg_done
