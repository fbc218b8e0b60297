"""Real image files, made here: a test's cover is a genuine PNG, not a byte prefix."""

from __future__ import annotations

import struct
import zlib


def png(
    width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 40, 90), *, padding: int = 0
) -> bytes:
    """A valid RGB PNG of one colour (any PNG reader opens it), made `padding` bytes larger
    by a private ancillary chunk readers skip."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width  # filter "none", then the pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + (chunk(b"prVt", bytes(range(256)) * (padding // 256)) if padding else b"")
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
