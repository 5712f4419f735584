"""Reading the pixels of a PNG screenshot without an imaging library: zlib and the five
PNG row filters (8-bit RGB or RGBA, not interlaced: what Chromium writes)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind: int, row: bytearray, prev: bytes, bpp: int) -> bytearray:
    n = len(row)
    if kind == 1:
        for i in range(bpp, n):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 2:
        row = bytearray((x + y) & 0xFF for x, y in zip(row, prev, strict=True))
    elif kind == 3:
        for i in range(n):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            left = row[i - bpp] if i >= bpp else 0
            upleft = prev[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + _paeth(left, prev[i], upleft)) & 0xFF
    elif kind != 0:
        raise ValueError(f"unknown PNG filter {kind}")
    return row


class Image:
    """Pixels as rows of ``(r, g, b)`` tuples."""

    def __init__(self, width: int, height: int, rows: list[list[tuple[int, int, int]]]):
        self.width, self.height, self.rows = width, height, rows


def read_png(path: Path) -> Image:
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, header = len(SIGNATURE), b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA, non-interlaced PNGs are read here")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytes(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        prev = bytes(row)
        rows.append([(row[i], row[i + 1], row[i + 2]) for i in range(0, stride, bpp)])
    return Image(width, height, rows)


def components(image: Image, colour: tuple[int, int, int], min_area: int = 1) -> list[
    tuple[int, int, int, int, int]
]:  # fmt: skip
    """Connected regions of exactly ``colour``: (left, top, right, bottom, area), top first."""
    points = {
        (x, y) for y, row in enumerate(image.rows) for x, px in enumerate(row) if px == colour
    }
    found = []
    while points:
        stack = [points.pop()]
        xs, ys, area = [], [], 0
        while stack:
            x, y = stack.pop()
            xs.append(x)
            ys.append(y)
            area += 1
            for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if n in points:
                    points.remove(n)
                    stack.append(n)
        if area >= min_area:
            found.append((min(xs), min(ys), max(xs), max(ys), area))
    return sorted(found, key=lambda c: (c[1], c[0]))


def hex_colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
