#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""answers: what tests/fake-sendmail was given, counted per mail answered
and per recipient, for the fault tests.

  answers.py count DIR >COUNTS
      one line "COUNT IN-REPLY-TO RECIPIENT" for every answer (a mail
      with an In-Reply-To header) and each of its recipients
  answers.py check COUNTS REPORT KEY --acks N [--at-most] [--staff ADDR]...
      for every Message-ID in REPORT[KEY] (a simulator report): the
      customer got N answers (with --at-most: no more than N), and each
      staff address exactly one; prints how many ids are wrong, and names
      them on stderr
  answers.py tally COUNTS REPORT KEY --acks N [--staff ADDR]...
      the same, split: prints "LOST TWICE", the ids with an answer that
      never went out, and those with an answer sent more than once
"""
import argparse
import collections
import json
import os
import sys


def in_reply_to(path):
    """The In-Reply-To of a mail's own header (not of a mail it forwards)."""
    with open(path, errors='replace') as m:
        for line in m:
            if not line.strip():
                return None
            if line.startswith('In-Reply-To: <'):
                return line.strip()[len('In-Reply-To: <'):-1]
    return None


def count(args):
    got = collections.Counter()
    for name in os.listdir(args.dir):
        if not name.endswith('.eml'):
            continue
        irt = in_reply_to(os.path.join(args.dir, name))
        if irt is None:
            continue
        with open(os.path.join(args.dir, name[:-4] + '.args')) as a:
            # -i -f FROM -- RECIPIENT...
            for rcpt in a.read().split('\n')[4:]:
                if rcpt:
                    got[(irt, rcpt)] += 1
    for (irt, rcpt), n in sorted(got.items()):
        print(n, irt, rcpt)


def read_counts(args):
    staff = set(args.staff)
    customer = collections.Counter()
    per_staff = collections.Counter()
    with open(args.counts) as f:
        for line in f:
            n, irt, rcpt = line.split()
            if rcpt in staff:
                per_staff[(irt, rcpt)] += int(n)
            else:
                customer[irt] += int(n)
    return staff, customer, per_staff


def tally(args):
    staff, customer, per_staff = read_counts(args)
    lost = twice = 0
    for mid in json.load(open(args.report))[args.key]:
        got = [customer[mid]] + [per_staff[(mid, s)] for s in staff]
        want = [args.acks] + [1 for s in staff]
        lost += any(g < w for g, w in zip(got, want))
        twice += any(g > w for g, w in zip(got, want))
    print(lost, twice)


def check(args):
    staff, customer, per_staff = read_counts(args)
    bad = 0
    for mid in json.load(open(args.report))[args.key]:
        wrong = []
        if customer[mid] != args.acks and not (
                args.at_most and customer[mid] < args.acks):
            wrong.append('%d to the customer' % customer[mid])
        wrong += ['%d to %s' % (per_staff[(mid, s)], s) for s in sorted(staff)
                  if per_staff[(mid, s)] != 1]
        if wrong:
            bad += 1
            print('# %s: %s' % (mid, ', '.join(wrong)), file=sys.stderr)
    print(bad)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('count')
    c.add_argument('dir')
    k = sub.add_parser('check')
    k.add_argument('counts')
    k.add_argument('report')
    k.add_argument('key')
    k.add_argument('--acks', type=int, required=True)
    k.add_argument('--at-most', action='store_true')
    k.add_argument('--staff', action='append', default=[])
    t = sub.add_parser('tally')
    t.add_argument('counts')
    t.add_argument('report')
    t.add_argument('key')
    t.add_argument('--acks', type=int, required=True)
    t.add_argument('--staff', action='append', default=[])
    args = ap.parse_args()
    {'count': count, 'check': check, 'tally': tally}[args.cmd](args)


if __name__ == '__main__':
    main()
