"""`/calendar` and `/settings calendar` through the real client and the simulated Discord:
the file a member gets, read back by two parsers, and the feed links moderators share."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from bot.clock import utcnow
from tests.conftest import Server
from tests.simulator.models import InteractionReply
from tests.support.harness import RunningBot, start_bot, wait_until

LINK = re.compile(r"<(http://127\.0\.0\.1:[0-9]+/c/[A-Za-z0-9_-]+\.ics)>")


def summaries(reply: InteractionReply) -> list[str]:
    """The events of the .ics attached to a reply, as both parsers read them."""
    [attachment] = reply.attachments
    assert attachment["filename"] == "airdate.ics"
    [body] = reply.files
    events: list[Any] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    first = sorted(str(event["SUMMARY"]) for event in events)
    second = sorted(
        e.summary or "" for e in IcsCalendarStream.calendar_from_ics(body.decode()).events
    )
    assert first == second
    return first


async def add_releases(server: Server) -> None:
    a_day = (utcnow() + timedelta(days=10)).date().isoformat()
    for title, when in (("Frieren", "in 3d"), ("推しの子", a_day)):
        reply = await server.mod("release add", {"title": title, "when": when, "label": "Ep 1"})
        assert reply.ephemeral and "Added" in (reply.content or ""), reply.content
    await server.mod("release add", {"title": "Someday", "when": str(utcnow().year + 1)})


async def test_calendar_attaches_the_releases_in_the_channel(
    server: Server, airdate: RunningBot
) -> None:
    await add_releases(server)
    reply = await server.user("calendar")
    assert not reply.ephemeral
    assert summaries(reply) == ["Frieren — Ep 1", "推しの子 — Ep 1"]  # not the vague one
    assert "2 releases" in (reply.content or "") and "http" not in (reply.content or "")

    choices = await server.sim.autocomplete(
        server.guild, server.general, server.member, "calendar", {"show": "推し"}, "show"
    )
    assert [choice["name"] for choice in choices] == ["推しの子"]
    picked = await server.user("calendar", {"show": choices[0]["value"]})
    assert summaries(picked) == ["推しの子 — Ep 1"]
    one = await server.user("calendar", {"show": "推しの子"})
    assert summaries(one) == ["推しの子 — Ep 1"] and "推しの子" in (one.content or "")
    unknown = await server.user("calendar", {"show": "Nope"})
    assert unknown.ephemeral and not unknown.attachments and "Pick one" in (unknown.content or "")

    nothing = await server.user("calendar", {"mine": True})
    assert nothing.ephemeral and not nothing.attachments
    assert "/subscribe" in (nothing.content or "")
    await server.user("subscribe", {"show": "Frieren", "via": "dm"})
    mine = await server.user("calendar", {"mine": True})
    assert mine.ephemeral and summaries(mine) == ["Frieren — Ep 1"]
    both = await server.user("calendar", {"mine": True, "show": "推しの子"})
    assert both.ephemeral and summaries(both) == []

    off = await server.mod("settings calendar")
    assert off.ephemeral and "CALENDAR_HTTP_PORT" in (off.content or "")


@pytest.fixture
async def with_feed(server: Server, db_path: Path) -> AsyncIterator[RunningBot]:
    running = await start_bot(server.sim, db_path, calendar_port=0)
    feed = running.bot.calendar.server
    assert feed is not None
    await wait_until(lambda: feed.running, 5, "the feed started once READY")
    yield running
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_the_feed_links_are_shared_and_regenerated(
    server: Server, with_feed: RunningBot
) -> None:
    await add_releases(server)
    shown = await server.mod("settings calendar")
    assert shown.ephemeral
    [link] = LINK.findall(shown.content or "")
    assert f"webcal://{link.removeprefix('http://')}" in (shown.content or "")
    status, body = await fetch(link)
    assert status == 200 and b"X-WR-CALNAME:Anime Hub" in body
    assert len(icalendar.Calendar.from_ical(body).walk("VEVENT")) == 2
    # Members get the same link with their file; asking again does not change it.
    reply = await server.user("calendar")
    assert LINK.findall(reply.content or "") == [link]
    assert len(summaries(reply)) == 2
    # A member cannot regenerate it.
    refused = await server.user("settings calendar", {"regenerate": True})
    assert refused.ephemeral and "Manage Server" in (refused.content or "")
    assert (await fetch(link))[0] == 200

    renewed = await server.mod("settings calendar", {"regenerate": True})
    [new_link] = LINK.findall(renewed.content or "")
    assert new_link != link and "stopped working" in (renewed.content or "")
    assert (await fetch(link))[0] == 404
    assert (await fetch(new_link)) == (200, body)
    health = await fetch(link.split("/c/")[0] + "/healthz")
    assert health == (200, b"ok\n")


async def test_a_port_in_use_leaves_the_bot_working_without_links(
    server: Server, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        running = await start_bot(server.sim, db_path, calendar_port=port)
        try:
            await wait_until(
                lambda: any("could not listen" in r.getMessage() for r in caplog.records),
                5,
                "the feed's start to fail",
            )
            await add_releases(server)
            reply = await server.user("calendar")
            assert len(summaries(reply)) == 2 and "http" not in (reply.content or "")
            off = await server.mod("settings calendar")
            assert "CALENDAR_HTTP_PORT" in (off.content or "")
            assert any("could not listen" in r.getMessage() for r in caplog.records)
        finally:
            await running.stop()
    finally:
        taken.close()
    assert not running.unexpected_errors


async def test_the_feed_stops_with_the_bot(server: Server, db_path: Path) -> None:
    running = await start_bot(server.sim, db_path, calendar_port=0)
    feed = running.bot.calendar.server
    assert feed is not None
    await wait_until(lambda: feed.running, 5, "the feed started once READY")
    [link] = LINK.findall((await server.mod("settings calendar")).content or "")
    assert (await fetch(link))[0] == 200
    await running.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(link)
