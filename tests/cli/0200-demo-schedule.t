#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The quick-start demo's mails arrive relative to now
# (contrib/quickstart/schedule): never in the future, each at its stated
# kind of moment (before closing, on a Saturday, the day before a
# holiday), and at the same distance from now in any week, so that the
# demo's deadlines do not drift further into the past every week.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"

tap_plan 5

schedule="$TG_TOP_SRCDIR/contrib/quickstart/schedule"
out=$(python3 - "$schedule" <<'PY'
import datetime as dt
import subprocess
import sys

def run(now):
    out = subprocess.run([sys.argv[1], '--now', now.isoformat()],
                         capture_output=True, text=True, check=True).stdout
    mails, other = [], {}
    for line in out.splitlines():
        f = line.split(' ')
        if f[0] == 'mail':
            mails.append((f[1], None if f[2] == 'now' else dt.datetime.fromisoformat(f[2])))
        else:
            other[f[0]] = f[1:]
    return mails, other

tz = dt.timezone(dt.timedelta(hours=2))
nows = [dt.datetime(2026, 12, 7, 8, 0, tzinfo=tz),     # Monday, before opening
        dt.datetime(2026, 12, 9, 15, 30, tzinfo=tz),   # Wednesday afternoon
        dt.datetime(2026, 12, 12, 12, 0, tzinfo=tz),   # Saturday
        dt.datetime(2027, 6, 4, 18, 30, tzinfo=tz)]    # Friday evening
future = kinds = near = 0
for now in nows:
    mails, other = run(now)
    holiday = dt.date.fromisoformat(other['holiday'][0])
    at = {name: when for name, when in mails}
    future += sum(1 for _, w in mails if w is not None and w > now)
    first, sat, bronze = (at['01-platinum-friday.eml'], at['02-gold-saturday.eml'],
                          at['03-bronze-holiday.eml'])
    nxt = bronze.date() + dt.timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += dt.timedelta(days=1)
    kinds += not (first.weekday() < 5 and first.strftime('%H:%M') == '17:30' and
                  sat.weekday() == 5 and nxt == holiday and holiday.weekday() < 5)
    near += not (dt.timedelta(0) < now - first <= dt.timedelta(days=4))
# The same moment of the week, a year of weeks apart: the same distances.
a, _ = run(nows[1])
b, _ = run(nows[1] + dt.timedelta(weeks=52))
drift = sum(1 for (_, x), (_, y) in zip(a, b)
            if x is not None and (nows[1] - x) != (nows[1] + dt.timedelta(weeks=52) - y))
print(future, kinds, near, drift, len(a))
PY
)
set -- $out
is "$1" "0" "no mail arrives in the future"
is "$2" "0" "each arrives at its kind of moment: 17:30 of a weekday, a Saturday, the day before the holiday"
is "$3" "0" "ticket 1000's mail arrived within four days before now, whatever the day"
is "$4" "0" "a year of weeks later, every mail is as far from now as before"
is "$5" "10" "ten deliveries, the redelivery included"

tg_done
