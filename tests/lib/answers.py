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
  answers.py kills DIR REPORT [--staff ADDR]...
      for a "postfix_sim.py kill" report and a fake-sendmail folder that
      noted when it queued each mail (TG_SENDMAIL_STAMPS): prints
      "LOST TWICE UNEXPLAINED". An answer sent twice is explained when its
      first copy was queued before its deliver had died (the window
      between sendmail taking it and the sender writing it down; a
      sendmail still queueing after that would have outlived its deliver);
      anything else, or a lost answer, is a fault. On stderr: the ids,
      and how long before the death the queueing of explained ones came.
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


def copies(directory):
    """(In-Reply-To, recipient) -> the numbers of the mails that carry
    it, in the order fake-sendmail took them."""
    got = collections.defaultdict(list)
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.eml'):
            continue
        irt = in_reply_to(os.path.join(directory, name))
        if irt is None:
            continue
        with open(os.path.join(directory, name[:-4] + '.args')) as a:
            for rcpt in a.read().split('\n')[4:]:
                if rcpt:
                    got[(irt, rcpt)].append(name[:-4])
    return got


def kills(args):
    staff = set(args.staff)
    got = copies(args.dir)
    stamps = {}
    path = os.path.join(args.dir, 'stamps')
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                n, ns = line.split()
                stamps[n] = int(ns)
    report = json.load(open(args.report))
    dead_by = report.get('dead_by', {})
    by_mid = collections.defaultdict(dict)
    for (irt, rcpt), numbers in got.items():
        by_mid[irt][rcpt] = numbers
    lost = twice = unexplained = 0
    after = []
    for mid in report['ids']:
        answers = by_mid.get(mid, {})
        customers = [r for r in answers if r not in staff]
        if len(customers) != 1 or any(s not in answers for s in staff):
            lost += 1
            print('# %s: an answer never went out' % mid, file=sys.stderr)
        doubled = [n for n in answers.values() if len(n) > 1]
        if not doubled:
            continue
        twice += 1
        for numbers in doubled:
            stamp = stamps.get(numbers[0])
            dead = dead_by.get(mid)
            # No stamp: killed between queueing and noting that.
            if dead is not None and (stamp is None or stamp <= dead):
                if stamp is not None:
                    after.append((dead - stamp) / 1000.0)
                continue
            unexplained += 1
            print('# %s: sent twice, first copy %s queued at %s, its '
                  'deliver dead by %s' % (mid, numbers[0], stamp, dead),
                  file=sys.stderr)
    if after:
        after.sort()
        print('# answers sent twice: queued %.0f to %.0f us (median %.0f) '
              'before their killed deliver was seen dead' % (
                  after[0], after[-1], after[len(after) // 2]),
              file=sys.stderr)
    print(lost, twice, unexplained)


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
    x = sub.add_parser('kills')
    x.add_argument('dir')
    x.add_argument('report')
    x.add_argument('--staff', action='append', default=[])
    args = ap.parse_args()
    {'count': count, 'check': check, 'tally': tally, 'kills': kills}[
        args.cmd](args)


if __name__ == '__main__':
    main()
