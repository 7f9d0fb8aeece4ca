#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mailinfo: what the shell tests need to know about a mail file.

  mailinfo.py header FILE NAME   the decoded value of header NAME ('' if none)
  mailinfo.py count FILE NAME    how many NAME headers there are
  mailinfo.py text FILE          every inline text/plain part, decoded
  mailinfo.py html FILE          every inline text/html part, decoded
  mailinfo.py parts FILE         one line per leaf: type;filename
  mailinfo.py digests FILE       one line per named leaf: filename SHA-256
                                 of its decoded content
"""
import hashlib
import sys
from email import policy
from email.parser import BytesParser


def load(path):
    with open(path, 'rb') as f:
        return BytesParser(policy=policy.default).parse(f)


def leaves(msg):
    for part in msg.walk():
        if not part.is_multipart():
            yield part


def texts(msg, subtype):
    for part in leaves(msg):
        if (part.get_content_type() == 'text/' + subtype and
                part.get_content_disposition() != 'attachment'):
            yield part.get_content()


def main(argv):
    cmd, path = argv[1], argv[2]
    msg = load(path)
    if cmd == 'header':
        value = msg.get(argv[3])
        print('' if value is None else str(value))
    elif cmd == 'count':
        print(len(msg.get_all(argv[3]) or []))
    elif cmd in ('text', 'html'):
        print('\n'.join(texts(msg, 'plain' if cmd == 'text' else 'html')))
    elif cmd == 'parts':
        for part in leaves(msg):
            print('%s;%s' % (part.get_content_type(), part.get_filename() or ''))
    elif cmd == 'digests':
        for part in leaves(msg):
            if part.get_filename():
                data = part.get_payload(decode=True) or b''
                print(part.get_filename(), hashlib.sha256(data).hexdigest())
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
