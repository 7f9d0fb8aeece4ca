#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Module boundaries (STYLE.md 2): libpq and SQL only in the store's files,
# GMime only in the parsing and composing modules, no string-built SQL,
# nothing on stdout from library modules.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
cd "$TG_TOP_SRCDIR/src" || bail "no src"

# The store's files: store*.c and store-private.h, the one header that
# includes libpq (store.h, the store's public face, does not). Each check
# below lists the files outside them that break its rule.
store_files='^(store(-[a-z]+)?\.c|store-private\.h)$'
# GMime's: the message module (message*.c, mime-source.c and their private
# headers) and compose.c.
gmime_files='^(message(-[a-z]+)?\.c|message-private\.h|mime-source\.[ch]|compose\.c|compose-gmime\.h|gmime-autocleanups\.h)$'

tap_plan 9

got=$(grep -l 'libpq-fe.h' *.c *.h | tr '\n' ' ')
is "$got" "store-private.h " "libpq-fe.h is included by store-private.h only"

got=$(grep -l 'libpq-fe\.h\|store-private\.h\|\bPQ[a-zA-Z]* *(' *.c *.h |
	grep -vE "$store_files" | tr '\n' ' ')
is "$got" "" "libpq is used by the store's files only"

got=$(grep -lE '"[^"]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+|DELETE FROM|COPY [a-z_]+)\b' \
	*.c *.h | grep -vE "$store_files" | tr '\n' ' ')
is "$got" "" "SQL is written in the store's files only"

got=$(grep -l 'gmime/gmime.h\|gmime-autocleanups.h\|mime-source.h\|message-private.h\|compose-gmime.h' *.c *.h |
	grep -vE "$gmime_files" | tr '\n' ' ')
is "$got" "" "GMime is used by the message module and compose.c only"

got=$(grep -n 'PQexec *(' *.c | grep -v '^store-migrate\.c:.*PQexec (store->conn, sql)' | wc -l)
is "$got" "0" "PQexec appears once, in the migration runner"

got=$(grep -nE 'g_strdup_printf *\([^)]*(SELECT|INSERT|UPDATE|DELETE)' *.c | wc -l)
is "$got" "0" "no SQL is built with printf"

got=$(grep -lE '\b(printf|puts|fputs) *\(' *.c | grep -v -e '^admin.c$' -e '^main.c$' -e '^sweep.c$' -e '^report.c$' | tr '\n' ' ')
is "$got" "" "only the commands that print for people (main, admin, sweep --dry-run, report) write to stdout"

got=$(grep -nE '\b(exit|abort|g_error) *\(' *.c | grep -v '^main.c' | wc -l)
is "$got" "0" "no module but main exits or aborts"

# doc/design.md's module map names every file of src/: a module by its
# name in backquotes, any other file by its own name.
got=
for f in *.c *.h; do
	m=${f%.*}
	grep -qF -e "\`$m\`" -e "$f" "$TG_TOP_SRCDIR/doc/design.md" || got="$got$f "
done
is "$got" "" "doc/design.md's module map accounts for every file of src/"

tg_done
