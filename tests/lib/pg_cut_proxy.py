#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pg_cut_proxy: stands between libpq and a PostgreSQL unix socket and
can lose the answer to a COMMIT, the way a server crash or a network
failure does at the worst moment: the transaction is committed, and the
client never learns it.

  pg_cut_proxy.py LISTEN_DIR SERVER_DIR [PORT]

Clients connect with host=LISTEN_DIR; everything is passed on to the
server's socket in SERVER_DIR. While the file LISTEN_DIR/cut exists, the
first server answer "CommandComplete COMMIT" is not passed on: the proxy
closes both connections instead and removes the file (one cut per file).
It writes LISTEN_DIR/ready once it listens, LISTEN_DIR/cuts with the
number of cuts so far, and runs until killed.
"""
import os
import socket
import struct
import sys
import threading

listen_dir, server_dir = sys.argv[1], sys.argv[2]
port = sys.argv[3] if len(sys.argv) > 3 else '5432'
name = '.s.PGSQL.' + port
cut_file = os.path.join(listen_dir, 'cut')
lock = threading.Lock()
cuts = [0]


def note_cut():
    with lock:
        cuts[0] += 1
        tmp = os.path.join(listen_dir, 'cuts.tmp')
        with open(tmp, 'w') as f:
            f.write('%d\n' % cuts[0])
        os.rename(tmp, os.path.join(listen_dir, 'cuts'))


def take_cut():
    """Whether this COMMIT's answer is to be lost (once per cut file)."""
    with lock:
        try:
            os.unlink(cut_file)
            return True
        except FileNotFoundError:
            return False


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def pump_client(client, server):
    """Client to server: passed on as it comes."""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except OSError:
        pass
    close_both(server, client)


def pump_server(client, server):
    """Server to client, one message at a time: a type byte, then a
    length that counts itself (the server never sends the untyped
    startup packet, and a unix socket needs no SSL answer)."""
    buf = b''
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            buf += data
            out = b''
            while len(buf) >= 5:
                kind = buf[0:1]
                length = struct.unpack('!I', buf[1:5])[0]
                if len(buf) < 1 + length:
                    break
                msg, buf = buf[:1 + length], buf[1 + length:]
                if kind == b'C' and msg[5:] == b'COMMIT\0' and take_cut():
                    client.sendall(out)
                    note_cut()
                    raise ConnectionAbortedError
                out += msg
            client.sendall(out)
    except OSError:
        pass
    close_both(client, server)


def serve(client):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.connect(os.path.join(server_dir, name))
    except OSError:
        client.close()
        server.close()
        return
    t = threading.Thread(target=pump_client, args=(client, server),
                         daemon=True)
    t.start()
    pump_server(client, server)
    t.join()
    client.close()
    server.close()


def main():
    path = os.path.join(listen_dir, name)
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(64)
    open(os.path.join(listen_dir, 'ready'), 'w').close()
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == '__main__':
    main()
