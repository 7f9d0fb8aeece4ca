#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What customers and staff read comes from templates/ (doc/templates.md):
# no string literal of src/*.c holds an English sentence, but for the
# logs, errors, usage and terminal output that tests/lib/english.py
# ignores (its header says exactly what). The scan is first run on a
# sample that holds a sentence in every shape it must find, beside every
# case it ignores, so that this test fails when the scan finds nothing.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"

tap_plan 4

scan="python3 $LIB/english.py"
sample="$DATA/english/sample.c"

want=$(grep -n '"[^"]*FOUND[^"]*"' "$sample" | cut -d: -f1 | tr '\n' ' ')
got=$($scan "$sample" | sed 's/^[^:]*:\([0-9]*\):.*/\1/' | tr '\n' ' ')
is "$got" "$want" "the scan reports each sentence of the sample, on its line, and nothing it must ignore"
$scan "$sample" >/dev/null 2>&1
is "$?" "1" "... and fails on it"

got=$(cd "$TG_TOP_SRCDIR/src" && $scan *.c 2>&1)
rc=$?
is "$got" "" "no English sentence in src/*.c outside logs, errors, usage and terminal output"
is "$rc" "0" "... and the scan says so"

tg_done
