"""Draw the web app icons once (issue #18 point 5); the PNG files are committed.

Usage: .venv/bin/python deploy/pwa_icons.py [caducee/static/caducee/icons]

A white cross on the platform's blue (#1d4f91), in a ring: `icon-192.png` and
`icon-512.png` with rounded corners on a transparent background; `icon-maskable-512.png`
and `apple-touch-icon.png` (180 px) full-bleed with the drawing inside the central 80 %
safe zone (Android launchers and iOS crop them to their own shape). Pure Python (zlib):
no image library.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

BLUE = (0x1D, 0x4F, 0x91)
WHITE = (0xFF, 0xFF, 0xFF)


def _png(size: int, pixels: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in pixels)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _coverage(inside: object, x: int, y: int) -> float:
    """Share of the pixel inside the shape (4x4 samples: smooth edges)."""
    hits = sum(
        1
        for i in range(4)
        for j in range(4)
        if inside(x + (i + 0.5) / 4, y + (j + 0.5) / 4)  # type: ignore[operator]
    )
    return hits / 16


def draw(size: int, *, maskable: bool) -> bytes:
    c = size / 2
    scale = size * (0.8 if maskable else 1.0) / 2  # the drawing's half width
    corner = 0 if maskable else size * 0.18

    def in_tile(x: float, y: float) -> bool:
        if maskable:
            return True
        dx = max(corner - x, x - (size - corner), 0.0)
        dy = max(corner - y, y - (size - corner), 0.0)
        return dx * dx + dy * dy <= corner * corner

    arm, length = scale * 0.17, scale * 0.62
    ring_out, ring_in = scale * 0.86, scale * 0.74

    def in_white(x: float, y: float) -> bool:
        dx, dy = abs(x - c), abs(y - c)
        cross = (dx <= arm and dy <= length) or (dy <= arm and dx <= length)
        r2 = dx * dx + dy * dy
        return cross or ring_in * ring_in <= r2 <= ring_out * ring_out

    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            tile = _coverage(in_tile, x, y)
            white = _coverage(in_white, x, y) if tile else 0.0
            rgb = [round(b * (1 - white) + w * white) for b, w in zip(BLUE, WHITE, strict=True)]
            row += bytes([*rgb, round(255 * tile)])
        rows.append(bytes(row))
    return _png(size, rows)


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "caducee/static/caducee/icons")
    target.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ):
        (target / name).write_bytes(draw(size, maskable=maskable))
        print(f"{target / name} ({size} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
