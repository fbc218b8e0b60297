"""Covers as Discord takes them: the type read from the bytes, and the data URI."""

from __future__ import annotations

import base64

import pytest

from bot.domain.image_data import data_uri, downloadable, image_type, loggable
from tests.support.images import png

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 8, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"GIF87a\x01\x00\x01\x00", "image/gif"),
        (WEBP, "image/webp"),
        # Not images Discord takes, whatever a server calls them:
        (b"<!doctype html><title>404</title>", None),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a RIFF that is a sound
        (b"RIFF", None),
        (b"\x89PNG", None),  # a PNG's signature cut short
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind


def test_the_data_uri_holds_the_bytes_with_their_type() -> None:
    cover = png()
    uri = data_uri(cover)
    assert uri is not None
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :], validate=True) == cover
    assert data_uri(WEBP) == "data:image/webp;base64," + base64.b64encode(WEBP).decode()
    assert data_uri(b"<html></html>") is None


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("https://s4.anilist.co/file/cover.png", True),
        ("http://127.0.0.1:8080/cover.png", True),
        ("HTTPS://example.com/a.jpg", True),
        ("ftp://example.com/a.png", False),
        ("file:///etc/passwd", False),
        ("data:image/png;base64,AAAA", False),
        ("https://", False),
        ("not a url", False),
    ],
)
def test_only_http_addresses_are_fetched(url: str, fetched: bool) -> None:
    assert downloadable(url) is fetched


def test_a_logged_address_keeps_no_query_user_or_fragment() -> None:
    url = "https://user:secret@cdn.example.com:8443/c/cover.png?token=abc&sig=xyz#top"
    assert loggable(url) == "https://cdn.example.com:8443/c/cover.png"
    assert loggable("http://example.com/a.png") == "http://example.com/a.png"
    assert loggable("https://a.io:99999/x") == "(an unreadable address)"
