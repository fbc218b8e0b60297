"""Images as Discord takes them: the type read from the bytes, and the data URI sent.

Discord takes an event's cover as "image data": a data URI of a PNG, JPEG, GIF or WebP
(reference/calendar.md part B). What a server says a file is counts for nothing; the
first bytes say what it is, and anything else is no image.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit, urlunsplit

#: How each image type's bytes begin.
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_GIFS = (b"GIF87a", b"GIF89a")


def image_type(data: bytes) -> str | None:
    """The image's MIME type, read from its first bytes (None: not an image Discord takes)."""
    if data.startswith(_PNG):
        return "image/png"
    if data.startswith(_JPEG):
        return "image/jpeg"
    if data.startswith(_GIFS):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def data_uri(data: bytes) -> str | None:
    """The image as a data URI (`data:image/png;base64,...`), None if it is not an image."""
    kind = image_type(data)
    if kind is None:
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def downloadable(url: str) -> bool:
    """Whether the bot may fetch `url`: an http(s) address with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def loggable(url: str) -> str:
    """The address without what may be secret in it: no user, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an unreadable address)"
    if port is not None:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
