#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""png: the pixels of a PNG file, for tests that check what a page looks
like (tests/cli/0150-report.t). 8-bit RGB or RGBA, not interlaced: what
Chromium's --screenshot writes. Standard library only.

  png.py runs FILE COLOUR Y     the runs of COLOUR (#rrggbb) on row Y,
                                as "x0-x1" per run
  png.py rows FILE COLOUR       the rows where COLOUR appears, as "y0-y1"
"""
import struct
import sys
import zlib


def read(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG file'
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = \
                struct.unpack('>IIBBBBB', body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return rows


def runs(row, rgb):
    out, start = [], None
    for x, px in enumerate(row + [None]):
        if px == rgb and start is None:
            start = x
        elif px != rgb and start is not None:
            out.append('%d-%d' % (start, x - 1))
            start = None
    return out


def main():
    mode, path, colour = sys.argv[1:4]
    rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    rows = read(path)
    if mode == 'runs':
        print(' '.join(runs(rows[int(sys.argv[4])], rgb)))
    else:
        ys = [y for y, row in enumerate(rows) if rgb in row]
        print(' '.join(runs([('y' if y in set(ys) else None)
                             for y in range(len(rows))], 'y')))


if __name__ == '__main__':
    main()
