"""The live feed over real HTTP on loopback: what calendar apps get, revalidate and are
refused, and /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import aiohttp
import icalendar
import pytest

from bot.calendar.server import FeedServer
from bot.services import calendar as calendar_service
from bot.services.releases import ReleaseDraft
from bot.storage import settings
from tests.calendar.conftest import GUILD, OTHER_GUILD, World


class Feed:
    """The server under test, and a client that sends exactly what it is told."""

    def __init__(self, server: FeedServer, world: World, connected: list[bool]) -> None:
        self.server = server
        self.world = world
        self.connected = connected
        self.base = f"http://127.0.0.1:{server.port}"

    async def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with this raw path (nothing normalised) and no default headers."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        lines = [f"{method} {path} HTTP/1.1", "Host: calendar.test", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await reader.read()
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")
        found = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            found[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), found, body

    async def token(self, guild_id: int = GUILD) -> str:
        return (await self.world.calendar.feed(guild_id)).token


@pytest.fixture
async def feed(world: World) -> AsyncIterator[Feed]:
    server = FeedServer(world.calendar, world.feeds, "127.0.0.1", 0)
    connected = [True]
    server.watch_connection(lambda: connected[0])
    await server.start()
    yield Feed(server, world, connected)
    await server.stop()


async def add(world: World, title: str, when: str, guild_id: int = GUILD) -> None:
    await world.releases.add(guild_id, ReleaseDraft(title=title, when=when, label="Episode 1"))


async def test_a_feed_is_served_with_its_validators(feed: Feed, world: World) -> None:
    await add(world, "推しの子", "2024-07-03T14:00Z")
    token = await feed.token()
    # Google sends no Accept header at all.
    status, headers, body = await feed.get(f"/c/{token}.ics")
    assert status == 200
    assert headers["content-type"] == "text/calendar; charset=utf-8"
    assert headers["cache-control"] == "max-age=300"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert parsedate_to_datetime(headers["last-modified"]) <= world.now
    calendar = icalendar.Calendar.from_ical(body)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["推しの子 — Episode 1"]
    # A calendar app's query string (a cache buster) changes nothing.
    again = await feed.get(f"/c/{token}.ics?nocache=1")
    assert again[0] == 200 and again[2] == body and again[1]["etag"] == headers["etag"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{feed.base}/c/{token}.ics") as response,
    ):
        assert response.status == 200 and await response.read() == body
    head = await feed.get(f"/c/{token}.ics", method="HEAD")
    assert head[0] == 200 and head[2] == b"" and head[1]["etag"] == headers["etag"]


async def test_revalidation_by_etag_and_by_date(feed: Feed, world: World) -> None:
    await add(world, "Frieren", "2024-07-03T14:00Z")
    path = f"/c/{await feed.token()}.ics"
    _, first, _ = await feed.get(path)
    etag, modified = first["etag"], first["last-modified"]

    status, headers, body = await feed.get(path, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag and headers["cache-control"] == "max-age=300"
    assert headers["last-modified"] == modified
    assert (await feed.get(path, {"If-None-Match": f'"x", W/{etag}'}))[0] == 304
    assert (await feed.get(path, {"If-None-Match": '"something-else"'}))[0] == 200
    assert (await feed.get(path, {"If-Modified-Since": modified}))[0] == 304
    later = format_datetime(parsedate_to_datetime(modified) + timedelta(hours=1), usegmt=True)
    assert (await feed.get(path, {"If-Modified-Since": later}))[0] == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert (await feed.get(path, {"If-Modified-Since": earlier}))[0] == 200
    # If-None-Match decides when present: a stale ETag is a 200 whatever the date says.
    stale = {"If-None-Match": '"old"', "If-Modified-Since": later}
    assert (await feed.get(path, stale))[0] == 200

    # A change: a new ETag and a later Last-Modified, so neither validator says 304.
    world.advance(timedelta(minutes=3))
    await add(world, "Dandadan", "2024-07-04T15:00Z")
    status, changed, body = await feed.get(path, {"If-None-Match": etag})
    assert status == 200 and changed["etag"] != etag
    assert parsedate_to_datetime(changed["last-modified"]) > parsedate_to_datetime(modified)
    assert (await feed.get(path, {"If-Modified-Since": modified}))[0] == 200
    assert b"Dandadan" in body
    assert (await feed.get(path, {"If-None-Match": changed["etag"]}))[0] == 304


async def test_tokens_open_only_their_own_guild(feed: Feed, world: World) -> None:
    await add(world, "Ours", "2024-07-03T14:00Z")
    await add(world, "Theirs", "2024-07-03T14:00Z", guild_id=OTHER_GUILD)
    ours, theirs = await feed.token(GUILD), await feed.token(OTHER_GUILD)
    assert ours != theirs and len(ours) >= 22  # at least 128 random bits
    _, _, mine = await feed.get(f"/c/{ours}.ics")
    _, _, other = await feed.get(f"/c/{theirs}.ics")
    assert b"Ours" in mine and b"Theirs" not in mine and b"X-WR-CALNAME:Anime Hub" in mine
    assert b"Theirs" in other and b"Ours" not in other
    assert b"X-WR-CALNAME:Second Server" in other

    _, _, unknown_body = await feed.get("/c/" + "A" * 32 + ".ics")
    regenerated = (await world.calendar.regenerate(GUILD)).token
    status, headers, body = await feed.get(f"/c/{ours}.ics")
    assert (status, body) == (404, unknown_body)
    assert "etag" not in headers
    assert (await feed.get(f"/c/{regenerated}.ics"))[2] == mine
    assert (await feed.get(f"/c/{theirs}.ics"))[0] == 200  # another guild's link still works

    # A guild that removed the bot: its feed closes.
    async with world.db.transaction() as tx:
        removed = await settings.guild_settings(tx, OTHER_GUILD)
        await tx.execute(
            "UPDATE guild_settings SET removed_at = 1 WHERE guild_id = ?", (removed.guild_id,)
        )
    assert (await feed.get(f"/c/{theirs}.ics"))[0] == 404


async def test_every_other_path_gets_the_same_plain_404(feed: Feed) -> None:
    token = await feed.token()
    assert (await feed.get(f"/c/{token}.ics"))[0] == 200  # the control
    tricks = [
        "/",
        "/c/",
        "/c",
        "/c/.ics",
        f"/c/{token}.ics/",
        f"/c/{token}.ics.ics",
        f"/c/{token}.ICS",
        f"/C/{token}.ics",
        f"//c/{token}.ics",
        f"/c//{token}.ics",
        f"/./c/{token}.ics",
        f"/c/../c/{token}.ics",
        f"/c/%2e%2e/c/{token}.ics",
        f"/c/{token}%2eics",
        f"/c/{token}.ics%00",
        f"/c/{token[:-1]}.ics",
        f"/c/{token}x.ics",
        f"/c/{token.swapcase()}.ics",
        f"/x/../c/{token}.ics",
        "/c/" + "A" * 32 + ".ics",
        "/healthz/",
        "/index.html",
        "/guilds",
    ]
    answers = {path: await feed.get(path) for path in tricks}
    plain = answers["/"]
    assert plain[0] == 404 and plain[2] == b"Not found\n"
    for path, (status, headers, body) in answers.items():
        assert (status, body) == (404, plain[2]), path
        assert "etag" not in headers and "last-modified" not in headers, path
    # Other methods change nothing, and say nothing about which paths exist.
    for path in (f"/c/{token}.ics", "/", "/c/" + "A" * 32 + ".ics"):
        status, headers, _ = await feed.get(path, method="POST")
        assert status == 405 and headers["allow"] == "GET, HEAD"
    assert (await feed.get(f"/c/{token}.ics", method="DELETE"))[0] == 405
    assert (await feed.get(f"/c/{token}.ics"))[0] == 200


async def test_healthz_says_whether_the_bot_and_database_answer(
    feed: Feed, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await feed.get("/healthz"))[0::2] == (200, b"ok\n")
    feed.connected[0] = False
    assert (await feed.get("/healthz"))[0] == 503
    feed.connected[0] = True
    monkeypatch.setattr(calendar_service, "HEALTH_TIMEOUT_SECONDS", 0.2)
    async with world.db.snapshot():  # holds the only reader: the database does not answer
        status, _, body = await feed.get("/healthz")
    assert (status, body) == (503, b"unavailable\n")
    assert (await feed.get("/healthz"))[0] == 200
