#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One side-by-side run: starts RT's PostgreSQL (../rt), ticketgate's
# (tg.sh: port 5432 on a socket of its own, whatever PGPORT says) and a
# fresh private Postfix (pf-setup.sh), runs sbs.py with the arguments given
# (default: 3 rounds of rtpf, lmtpd, tgpf, tgsmtp with 4 sessions, the
# first round also with 1), prints the medians (summarize.py), and stops
# everything it started, by pid, whatever happens. Needs ../rt/setup.sh and
# tg.sh setup first (README.md). Results in $SBS_DIR/results/<stamp>/.
#
#   bash run.sh                              # the default run
#   bash run.sh --rounds 5 --modes par       # sbs.py's options
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../rt/common.sh"
SBS=${SBS_DIR:-/var/tmp/sbs}
export SBS_DIR=$SBS RTBENCH_STATE=$STATE
OUT=$SBS/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -s "$PGDATA/PG_VERSION" ] && [ -f "$RT_SITECONF" ] || { echo "run ../rt/setup.sh first" >&2; exit 1; }
[ -f "$SBS/tg.conf" ] || { echo "run tg.sh setup first" >&2; exit 1; }

started_pg=0
cleanup() {
    rt_stop
    [ "$started_pg" = 1 ] && pg_stop
    bash "$HERE/pf-setup.sh" stop || true
    bash "$HERE/tg.sh" stop || true
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_running || started_pg=1
pg_start
bash "$HERE/tg.sh" start
bash "$HERE/pf-setup.sh" create
port=$(bash "$HERE/pf-setup.sh" start)

{
    echo "# side by side, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), sbs.py $*"
    echo "# ticketgate: $(cat "$SBS/version"), commit $(cat "$SBS/commit")"
    echo "# RT: request-tracker5 $(dpkg-query -W -f='${Version}' request-tracker5)," \
        "$RT_WORKERS Starlet workers; PostgreSQL $($PGBIN/postgres --version | awk '{print $3}');" \
        "Postfix $(/usr/sbin/postconf -dh mail_version), private instance, discard(8), smtpd on 127.0.0.1:$port"
    echo "# machine: $(nproc) CPUs; uptime before:$(uptime)"
} | tee "$OUT/output.txt"
# A failed or stopped run still gets its summary (all.json holds every
# run that finished) and its clean-up; common.sh set -e and pipefail.
set +e
/usr/bin/python3 "$HERE/sbs.py" --out "$OUT" "$@" 2>&1 | tee -a "$OUT/output.txt"
rc=${PIPESTATUS[0]}
set -e
echo "# uptime after:$(uptime)" | tee -a "$OUT/output.txt"
echo | tee -a "$OUT/output.txt"
/usr/bin/python3 "$HERE/summarize.py" "$OUT/all.json" 2>&1 | tee -a "$OUT/output.txt"
log "results in $OUT"
exit "$rc"
