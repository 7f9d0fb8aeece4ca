#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The ticketgate side of the side-by-side run, all of it under $SBS_DIR
# (default /var/tmp/sbs), nothing in the source tree:
#
#   tg.sh setup   copy ticketgate, tg-lmtp-client, tg-lmtp-floor, tg-null-sendmail and the
#                 templates out of the build, make the corpus (../rt's
#                 gen_corpus.py, the anchor's seed: 300 new + 90 follow-ups),
#                 a private PostgreSQL with default durability (unix socket
#                 only), the template database tg_tpl (schema + the desk of
#                 gen_desk.py) and tg.conf; leaves the cluster stopped
#   tg.sh start   start that PostgreSQL
#   tg.sh stop    stop it (pg_ctl, by its data directory)
#
# TG_BUILD: the build tree (default: the source tree, an in-tree build).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
BUILD=${TG_BUILD:-$SRC}
SBS=${SBS_DIR:-/var/tmp/sbs}
RT_STATE=${RTBENCH_STATE:-/var/tmp/rtbench}
CORPUS=$RT_STATE/corpus-sbs
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGDIR=$SBS/tgpg
PY=/usr/bin/python3

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
as_pg() { runuser -u postgres -- "$@"; }
psql_tg() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p 5432 -U postgres "$@"; }
running() { [ -f "$PGDIR/data/postmaster.pid" ] && kill -0 "$(head -1 "$PGDIR/data/postmaster.pid")" 2>/dev/null; }

start() {
    running && return 0
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses='' -k $PGDIR -p 5432 -c max_connections=100" start >/dev/null
    log "ticketgate's PostgreSQL: pid $(head -1 "$PGDIR/data/postmaster.pid"), socket in $PGDIR"
}

stop() {
    running || return 0
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 60 stop >/dev/null
    log "ticketgate's PostgreSQL stopped"
}

setup() {
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
    [ -x "$BUILD/src/ticketgate" ] || { echo "no $BUILD/src/ticketgate: build first" >&2; exit 1; }
    make -s -C "$BUILD/bench" tg-lmtp-client tg-lmtp-floor tg-null-sendmail >/dev/null
    mkdir -p "$SBS/bin" "$SBS/home" "$SBS/state" "$SBS/tg-outbox"
    chmod 755 "$SBS"
    # Copies: a rebuild in the tree during a run changes nothing.
    cp "$BUILD/src/ticketgate" "$BUILD/bench/tg-lmtp-client" "$BUILD/bench/tg-lmtp-floor" \
        "$BUILD/bench/tg-null-sendmail" "$SBS/bin/"
    rm -rf "$SBS/templates"; cp -r "$SRC/templates" "$SBS/templates"
    git -C "$SRC" rev-parse HEAD >"$SBS/commit" 2>/dev/null || echo unknown >"$SBS/commit"
    "$SBS/bin/ticketgate" --version | head -1 >"$SBS/version"

    mkdir -p "$RT_STATE"
    "$PY" "$HERE/../rt/gen_corpus.py" --out "$CORPUS" -n 300 --seed 20261126 \
        --rtname bench.example --to support@bench.example >&2

    cat >"$SBS/tg.conf" <<CONF
[database]
conninfo = host=$PGDIR port=5432 user=postgres dbname=tgbench
connect_timeout = 10s

[mail]
support_address = support@bench.example
from_name = Support
sendmail = $SBS/bin/tg-null-sendmail
subject_tag = bench.example
staff_address = alice@bench.example

[templates]
directory = $SBS/templates

[limits]
state_directory = $SBS/state

[policy]
# 390 mails from 300 senders into an emptied database each run: the
# caps are checked on every answer, never reached.
cap_per_hour = 1000000
cap_per_day = 1000000
CONF

    stop
    rm -rf "$PGDIR"; mkdir -p "$PGDIR"; chown postgres "$PGDIR"; chmod 755 "$PGDIR"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        >"$SBS/initdb.log"
    start
    psql_tg -d postgres -c "CREATE DATABASE tg_tpl"
    sed "s/dbname=tgbench/dbname=tg_tpl/" "$SBS/tg.conf" >"$SBS/tg-tpl.conf"
    "$SBS/bin/ticketgate" -c "$SBS/tg-tpl.conf" db migrate --schema "$SRC/schema" >&2
    "$PY" "$HERE/gen_desk.py" "$CORPUS/index.json" "$SBS/desk.sql" >&2
    psql_tg -d tg_tpl -f "$SBS/desk.sql" >/dev/null
    psql_tg -d tg_tpl -c "VACUUM ANALYZE"
    stop
    log "ticketgate side ready in $SBS ($(cat "$SBS/version"), commit $(cut -c1-12 "$SBS/commit"))"
}

case ${1:-} in
setup) setup ;;
start) start ;;
stop) stop ;;
*) echo "usage: $0 setup|start|stop" >&2; exit 2 ;;
esac
