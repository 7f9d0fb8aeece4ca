#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""smtp_sink: a recording SMTP server for the tests.

Each mail it takes is written as DIR/NNNN.eml (the data with the dots
unstuffed and CRLF turned into LF, as a mail host delivers it) and
DIR/NNNN.args (the envelope as tests/fake-sendmail.c records it: -i,
-f, the sender, --, one recipient a line), and DIR/NNNN.raw (the data
as it came over the wire, CRLF and dots included). The .eml appears
last, by rename, so a mail is there whole or not at all. DIR/log gets
one line per connection and per command ("3 MAIL FROM:<a@b>").

    smtp_sink.py --dir DIR [--port-file F | --unix PATH] [--lifetime S]

It listens on 127.0.0.1, on a free port, or with --unix on that
socket; once it accepts, it writes the port (or "unix") to the
--port-file, else "ready" to its output. It stops
after --lifetime seconds (default 600) at the latest, so that a test
that dies leaves no server behind. With --discard it records no mail
(the benchmark's null server, bench/submit.c).

Its behaviour is switched by files in DIR, read at every step, so a
test changes it between mails as with fake-sendmail's "fail":

    refuse-rcpt   addresses (one a line) answered 550 at RCPT
    fail-data     a reply line ("451 4.3.0 try later") for the end of
                  the data: the mail is not recorded
    drop-data     drop the connection at the end of the data, without
                  a reply; the mail is recorded (it may have been queued)
    stall         a step ("greeting", "rcpt", "data-end") at which the
                  server stops answering, until the client goes
    close-idle    close the connection right after a mail is taken
    no-ehlo       answer EHLO with 502, so the client falls back to HELO
    ehlo-reply    the reply to EHLO, verbatim; after a 421 it hangs up
    greeting      the greeting, verbatim (lines end in CRLF added here)
"""
import argparse
import os
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
STATE = {"conn": 0, "seq": 0}


def flag(name):
    return os.path.exists(os.path.join(ARGS.dir, name))


def read_flag(name):
    try:
        with open(os.path.join(ARGS.dir, name)) as f:
            return f.read()
    except OSError:
        return None


def log(conn, text):
    with LOCK, open(os.path.join(ARGS.dir, "log"), "a") as f:
        f.write("%d %s\n" % (conn, text))


def record(sender, rcpts, raw):
    if ARGS.discard:
        return
    with LOCK:
        STATE["seq"] += 1
        n = STATE["seq"]
    base = os.path.join(ARGS.dir, "%04d" % n)
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    body = b"".join((l[1:] if l.startswith(b".") else l) + b"\n"
                    for l in lines)
    for ext, data in ((".raw", raw),
                      (".args", "".join("%s\n" % a for a in
                                        ["-i", "-f", sender, "--"] + rcpts)
                       .encode()),
                      (".eml", body)):
        with open(base + ext + ".tmp", "wb") as f:
            f.write(data)
    for ext in (".raw", ".args", ".eml"):
        os.rename(base + ext + ".tmp", base + ext)


def stall(step):
    return (read_flag("stall") or "").strip() == step


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def hang(self):
        # Wait for the client to give up; what it sends is ignored.
        self.request.settimeout(ARGS.lifetime)
        try:
            while self.request.recv(4096):
                pass
        except OSError:
            pass

    def handle(self):
        with LOCK:
            STATE["conn"] += 1
            conn = STATE["conn"]
        log(conn, "connect")
        if stall("greeting"):
            return self.hang()
        greeting = read_flag("greeting")
        self.reply(greeting.rstrip("\n").replace("\n", "\r\n")
                   if greeting else "220 sink.test ESMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                log(conn, "eof")
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            log(conn, cmd)
            verb = cmd[:4].upper()
            if verb == "EHLO":
                custom = read_flag("ehlo-reply")
                if custom:
                    self.reply(custom.strip())
                    if custom.startswith("421"):
                        return
                elif flag("no-ehlo"):
                    self.reply("502 5.5.2 no EHLO here")
                else:
                    self.reply("250-sink.test\r\n250-PIPELINING\r\n"
                               "250-SIZE 10240000\r\n250-8BITMIME\r\n"
                               "250 ENHANCEDSTATUSCODES")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "MAIL":
                sender = cmd[cmd.index("<") + 1:cmd.index(">")]
                rcpts = []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                if stall("rcpt"):
                    return self.hang()
                rcpt = cmd[cmd.index("<") + 1:cmd.index(">")]
                refused = (read_flag("refuse-rcpt") or "").split()
                if rcpt in refused:
                    self.reply("550 5.1.1 <%s>: Recipient address "
                               "rejected" % rcpt)
                else:
                    rcpts.append(rcpt)
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if sender is None or not rcpts:
                    self.reply("503 5.5.1 no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                raw = b""
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l:
                        log(conn, "eof in data")
                        return
                    if l == b".\r\n":
                        break
                    raw += l
                log(conn, "end of data")
                if stall("data-end"):
                    return self.hang()
                if flag("drop-data"):
                    record(sender, rcpts, raw)
                    return
                fail = read_flag("fail-data")
                if fail:
                    self.reply(fail.strip())
                else:
                    record(sender, rcpts, raw)
                    self.reply("250 2.0.0 Ok: queued")
                    if flag("close-idle"):
                        return
                sender, rcpts = None, []
            elif verb == "RSET":
                sender, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingMixIn,
                 socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file")
    p.add_argument("--unix")
    p.add_argument("--lifetime", type=float, default=600)
    p.add_argument("--discard", action="store_true")
    ARGS = p.parse_args()
    os.makedirs(ARGS.dir, exist_ok=True)
    if ARGS.unix:
        server = UnixServer(ARGS.unix, Handler)
    else:
        server = TCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%s\n" % ("unix" if ARGS.unix
                               else server.server_address[1]))
        os.rename(tmp, ARGS.port_file)
    else:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
    time.sleep(ARGS.lifetime)


if __name__ == "__main__":
    main()
