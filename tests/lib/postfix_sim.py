#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_sim: feed mail to "ticketgate deliver" the way Postfix does,
under faults, and report what happened as JSON on stdout.

One process per mail, the mail on stdin, SENDER and RECIPIENT in the
environment. Exit 0 is delivered; 75, 71 or death by a signal is deferred
and retried later; any other exit is a bounce, which the tests count as a
failure. Mail is generated from a seed, so a run can be repeated.

  postfix_sim.py load --workers 8 --mails 5000 --seed 1 --out DIR
  postfix_sim.py kill --trials 200 --seed 1 --out DIR
  postfix_sim.py robot --rounds 60 --out DIR

With --gate DIR, "load" lets the test choose the moment of a fault by
what it observes instead of by a clock: it keeps DIR/deferred holding the
number of deferrals so far, and with --hold-after N, once N deliveries
have started it writes DIR/held and starts no more until DIR/go exists
(the deliveries already running go on).

"kill" reports, for each killed delivery, a moment by which it had died
(dead_by: CLOCK_MONOTONIC nanoseconds, read once it was reaped).
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

TICKETGATE = os.environ['TICKETGATE']
DOMAINS = ['platinum.example', 'gold.example', 'silver.example',
           'bronze.example']


def mail(mid, sender, subject, body, extra=()):
    head = ['From: %s' % sender, 'To: support@desk.example',
            'Subject: %s' % subject,
            'Date: Wed, 25 Nov 2026 10:00:00 +0200',
            'Message-ID: <%s>' % mid]
    head += list(extra)
    head += ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8']
    return ('\n'.join(head) + '\n\n' + body + '\n').encode()


def dsn(mid, sender_domain, original_id, failed):
    boundary = 'dsn-' + mid
    return ('From: MAILER-DAEMON@%s\nTo: support@desk.example\n'
            'Subject: Undelivered Mail Returned to Sender\n'
            'Message-ID: <%s>\nMIME-Version: 1.0\n'
            'Content-Type: multipart/report; report-type=delivery-status; '
            'boundary="%s"\n\n--%s\nContent-Type: text/plain\n\n'
            'Your mail could not be delivered.\n--%s\n'
            'Content-Type: message/delivery-status\n\n'
            'Reporting-MTA: dns; mx.%s\n\nFinal-Recipient: rfc822; %s\n'
            'Action: failed\nStatus: 5.1.1\n\n--%s\n'
            'Content-Type: text/rfc822-headers\n\nMessage-ID: <%s>\n'
            'Subject: whatever\n\n--%s--\n' % (
                sender_domain, mid, boundary, boundary, boundary,
                sender_domain, failed, boundary, original_id,
                boundary)).encode()


def make_load(n, seed):
    """A realistic mix: new tickets, replies to earlier mail of the same
    customer, exact duplicates (Postfix retries), machine mail."""
    rnd = random.Random(seed)
    mails = []      # (key, bytes, sender, kind)
    sent_by = {}    # sender -> [message ids]
    for i in range(n):
        roll = rnd.random()
        if roll < 0.08 and mails:
            mails.append(rnd.choice(mails))       # a duplicate delivery
            continue
        user = 'u%d@%s' % (rnd.randrange(200), rnd.choice(DOMAINS))
        mid = 'load-%d-%d@test' % (seed, i)
        if roll < 0.12:
            mails.append((mid, mail(mid, user, 'Out of office',
                                    'I am away.',
                                    ['Auto-Submitted: auto-replied']),
                          user, 'machine'))
            continue
        earlier = sent_by.get(user)
        if roll < 0.40 and earlier:
            parent = rnd.choice(earlier)
            raw = mail(mid, user, 'Re: my problem', 'More details.',
                       ['In-Reply-To: <%s>' % parent,
                        'References: <%s>' % parent])
            mails.append((mid, raw, user, 'reply'))
        else:
            raw = mail(mid, user, 'Problem %d' % i, 'Something broke.')
            mails.append((mid, raw, user, 'new'))
        sent_by.setdefault(user, []).append(mid)
    return mails


def deliver_once(raw, sender, kill_after=None, env_extra=None, dead_by=None):
    env = dict(os.environ, SENDER=sender, RECIPIENT='support@desk.example',
               TICKETGATE_LOG='syslog')
    if env_extra:
        env.update(env_extra)
    p = subprocess.Popen([TICKETGATE, 'deliver'], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env)
    if kill_after is not None:
        def killer():
            time.sleep(kill_after)
            try:
                p.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        t = threading.Thread(target=killer)
        t.start()
    try:
        _, err = p.communicate(raw)
    except BrokenPipeError:
        err = b''
        p.wait()
    if kill_after is not None:
        t.join()
    # Reaped: the killed process, and the sendmail that dies with it,
    # ended before this moment.
    if dead_by is not None and p.returncode == -signal.SIGKILL:
        dead_by.append(time.monotonic_ns())
    return p.returncode, err.decode(errors='replace').strip()


def postfix_outcome(code):
    if code == 0:
        return 'delivered'
    if code in (75, 71) or code < 0:
        return 'deferred'
    return 'bounced'


def run_load(args):
    mails = make_load(args.mails, args.seed)
    queue = list(range(len(mails)))
    lock = threading.Lock()
    stats = {'mails': len(mails), 'attempts': 0, 'deferred': 0,
             'bounced': 0, 'bounces': [], 'unique': len(set(m[0] for m in mails)),
             'kinds': {}}
    for m in mails:
        stats['kinds'][m[3]] = stats['kinds'].get(m[3], 0) + 1
    started = [0]
    go = threading.Event()
    if not args.gate:
        go.set()

    def note(name, value):
        tmp = os.path.join(args.gate, name + '.tmp')
        with open(tmp, 'w') as f:
            f.write('%d\n' % value)
        os.rename(tmp, os.path.join(args.gate, name))

    def wait_for_go():
        while not go.is_set():
            if os.path.exists(os.path.join(args.gate, 'go')):
                go.set()
            else:
                time.sleep(0.01)

    def worker():
        while True:
            with lock:
                if args.hold_after and started[0] >= args.hold_after \
                        and not go.is_set():
                    hold = True
                else:
                    hold = False
                    if not queue:
                        return
                    i = queue.pop(0)
                    started[0] += 1
                    if args.hold_after and started[0] == args.hold_after:
                        note('held', started[0])
            if hold:
                wait_for_go()
                continue
            mid, raw, sender, kind = mails[i]
            code, err = deliver_once(raw, sender)
            outcome = postfix_outcome(code)
            if outcome == 'deferred':
                time.sleep(0.2)       # Postfix waits longer; enough here
            with lock:
                stats['attempts'] += 1
                if outcome == 'deferred':
                    stats['deferred'] += 1
                    queue.append(i)       # Postfix tries again later
                    if args.gate:
                        note('deferred', stats['deferred'])
                elif outcome == 'bounced':
                    stats['bounced'] += 1
                    stats['bounces'].append('%s: %d %s' % (mid, code, err))

    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats['seconds'] = round(time.time() - start, 1)
    stats['new_ids'] = sorted(set(m[0] for m in mails if m[3] == 'new'))
    stats['reply_ids'] = sorted(set(m[0] for m in mails if m[3] == 'reply'))
    stats['machine_ids'] = sorted(set(m[0] for m in mails
                                      if m[3] == 'machine'))
    json.dump(stats, sys.stdout)


def run_kill(args):
    """Kill deliver at a random point of its run, then redeliver as
    Postfix would, until it is delivered."""
    rnd = random.Random(args.seed)
    # How long one deliver takes here, to spread the kills over it: the
    # median of the last 9 runs that were not killed (probes first, then
    # every delivery that finished), so that the spread follows the
    # machine's load as it changes during the test.
    recent = []

    def timed(raw, user, **kw):
        t0 = time.monotonic()
        code, err = deliver_once(raw, user, **kw)
        if code != -signal.SIGKILL:
            recent.append(time.monotonic() - t0)
            del recent[:-9]
        return code, err

    for i in range(9):
        mid = 'probe-%d@test' % i
        timed(mail(mid, 'probe@gold.example', 'probe', 'x'),
              'probe@gold.example')
    spans = []
    stats = {'trials': args.trials, 'killed': 0,
             'finished_before_kill': 0, 'retries': 0,
             'bounced': 0, 'ids': [], 'dead_by': {}}
    for i in range(args.trials):
        mid = 'kill-%d-%d@test' % (args.seed, i)
        user = 'k%d@%s' % (i, rnd.choice(DOMAINS))
        raw = mail(mid, user, 'Kill trial %d' % i, 'Body %d' % i)
        stats['ids'].append(mid)
        at = []
        span = sorted(recent)[len(recent) // 2]
        spans.append(span)
        code, _ = timed(raw, user, kill_after=rnd.uniform(0, span),
                        dead_by=at)
        if code == -signal.SIGKILL:
            stats['killed'] += 1
            stats['dead_by'][mid] = at[0]
        elif code == 0:
            stats['finished_before_kill'] += 1
        while postfix_outcome(code) != 'delivered':
            if postfix_outcome(code) == 'bounced':
                stats['bounced'] += 1
                break
            stats['retries'] += 1
            code, _ = timed(raw, user)
    stats['span_ms'] = round(sorted(spans)[len(spans) // 2] * 1000, 1)
    json.dump(stats, sys.stdout)


def run_robot(args):
    """Another ticket system that answers every mail it gets, with a new
    Message-ID and no robot headers; its answers come back to us."""
    outbox = os.environ['TG_SENDMAIL_DIR']
    seen = set()
    robot = 'helpdesk@robot.example'
    first = mail('robot-0@robot.example', robot, 'Ticket opened',
                 'We received your request.')
    code, _ = deliver_once(first, robot)
    exchanged = 1
    for rnd in range(args.rounds):
        fresh = []
        for name in sorted(os.listdir(outbox)):
            if not name.endswith('.args') or name in seen:
                continue
            seen.add(name)
            with open(os.path.join(outbox, name)) as f:
                if robot in f.read().split('\n'):
                    fresh.append(name)
        if not fresh:
            break
        for name in fresh:
            exchanged += 1
            mid = 'robot-%d@robot.example' % exchanged
            deliver_once(mail(mid, robot, 'Re: your ticket %d' % exchanged,
                              'Thank you, we received your request.'),
                         robot)
    json.dump({'robot_mails': exchanged, 'rounds': rnd + 1}, sys.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['load', 'kill', 'robot'])
    ap.add_argument('--workers', type=int, default=8)
    ap.add_argument('--mails', type=int, default=5000)
    ap.add_argument('--trials', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=60)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--gate', default=None)
    ap.add_argument('--hold-after', type=int, default=0)
    args = ap.parse_args()
    {'load': run_load, 'kill': run_kill, 'robot': run_robot}[args.mode](args)


if __name__ == '__main__':
    main()
