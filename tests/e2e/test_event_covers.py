"""Mirrored events carry their show's cover, downloaded from where the show says it is.

The covers are served by a small local web server: a real PNG, a 404, a page that is not
an image, one too big, and one that never answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.domain.scheduled_events import EventSpec
from bot.event_sender import EventSender
from tests.conftest import Server
from tests.e2e.test_scheduled_events import CHANGE_SECONDS, events, grant_create_events
from tests.simulator.events import SimEvent
from tests.support.harness import RunningBot, start_bot, wait_until
from tests.support.images import png

FRIEREN = png(rgb=(200, 40, 90))
OSHI = png(rgb=(10, 120, 240))
#: A real PNG under the download cap whose request is too large for the simulator (it
#: answers 413, as aiohttp does past 1 MiB), standing in for a cover Discord refuses.
HEAVY = png(padding=1024 * 1024)


@dataclass
class Covers:
    """The local cover server: its address and what was asked of it."""

    base: str
    hits: Counter[str] = field(default_factory=Counter)
    release_hang: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@pytest.fixture
async def covers() -> AsyncIterator[Covers]:
    app = web.Application()
    served = Covers("")

    async def cover(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        served.hits[name] = served.hits[name] + 1
        if name == "frieren.png":
            return web.Response(body=FRIEREN, content_type="image/png")
        if name == "oshi.png":
            return web.Response(body=OSHI, content_type="image/png")
        if name == "heavy.png":
            return web.Response(body=HEAVY, content_type="image/png")
        if name == "page.png":  # a server's error page, called a PNG
            return web.Response(
                text="<html><body>Not found</body></html>", content_type="image/png"
            )
        if name == "big.png":  # a PNG, streamed without a length, larger than allowed
            response = web.StreamResponse(headers={"Content-Type": "image/png"})
            await response.prepare(request)
            await response.write(FRIEREN)
            for _ in range(64):
                await response.write(b"\x00" * 1024)
            await response.write_eof()
            return response
        if name == "hang.png":
            await served.release_hang.wait()
            return web.Response(body=FRIEREN, content_type="image/png")
        return web.Response(status=404, text="no such cover")

    app.router.add_get("/{name}", cover)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    served.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield served
    finally:
        served.release_hang.set()
        await runner.cleanup()


@pytest.fixture
async def mirror(server: Server, db_path: Path) -> AsyncIterator[RunningBot]:
    """The bot, holding Create Events, with events turned on."""
    grant_create_events(server)
    running = await start_bot(server.sim, db_path)
    reply = await server.mod("settings events", {"enabled": True})
    assert "Scheduled events are on" in (reply.content or "")
    yield running
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


def by_name(server: Server) -> dict[str, SimEvent]:
    return {event.name: event for event in events(server)}


async def test_an_event_carries_its_shows_cover_and_a_missing_one_is_left_out(
    server: Server, mirror: RunningBot, covers: Covers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.event_sender")
    add = {"label": "Season 2", "when": "in 2h"}
    secret = "?token=s3cret"
    await server.mod("release add", {**add, "title": "Frieren", "image": covers.url("frieren.png")})
    await server.mod(
        "release add", {**add, "title": "Dandadan", "image": covers.url("gone.png") + secret}
    )
    await server.mod("release add", {**add, "title": "Oshi no Ko", "image": covers.url("page.png")})
    await server.mod("release add", {**add, "title": "Mushishi"})  # no cover at all
    await wait_until(lambda: len(events(server)) == 4, CHANGE_SECONDS, "the four events")
    shown = by_name(server)
    assert shown["Frieren — Season 2"].image_bytes == FRIEREN
    assert shown["Frieren — Season 2"].image is not None
    for title in ("Dandadan", "Oshi no Ko", "Mushishi"):
        assert shown[f"{title} — Season 2"].image_bytes is None, title
    assert covers.hits == Counter({"frieren.png": 1, "gone.png": 1, "page.png": 1})
    said = [r.getMessage() for r in caplog.records if r.name == "bot.event_sender"]
    assert len([m for m in said if "gone.png" in m and "HTTP 404" in m]) == 1, said
    assert len([m for m in said if "page.png" in m and "not a PNG" in m]) == 1, said
    assert not any("s3cret" in m for m in said), said


async def test_a_cover_discord_refuses_is_left_out_and_the_event_made_once(
    server: Server, mirror: RunningBot, covers: Covers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.event_sender")
    await server.mod(
        "release add",
        {
            "title": "Frieren",
            "label": "Season 2",
            "when": "in 2h",
            "image": covers.url("heavy.png"),
        },
    )
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the event")
    [event] = events(server)
    assert event.name == "Frieren — Season 2" and event.image_bytes is None
    assert server.sim.events_created == 1
    said = [r.getMessage() for r in caplog.records if r.name == "bot.event_sender"]
    assert len([m for m in said if "heavy.png" in m and "refused it (HTTP 413" in m]) == 1, said


async def test_a_changed_cover_edits_the_event_and_a_restart_edits_nothing(
    server: Server, mirror: RunningBot, covers: Covers, db_path: Path
) -> None:
    await server.mod(
        "release add",
        {"title": "Frieren", "label": "Season 2", "when": "in 2h", "image": covers.url("gone.png")},
    )
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the event")
    [event] = events(server)
    assert event.image_bytes is None
    # The show gets a cover that works: the same event now carries it.
    await server.mod(
        "release edit", {"release": "Frieren — Season 2", "image": covers.url("frieren.png")}
    )
    await wait_until(
        lambda: events(server)[0].image_bytes == FRIEREN, CHANGE_SECONDS, "the cover to be added"
    )
    # Changed again: the new cover replaces it.
    await server.mod(
        "release edit", {"release": "Frieren — Season 2", "image": covers.url("oshi.png")}
    )
    await wait_until(
        lambda: events(server)[0].image_bytes == OSHI, CHANGE_SECONDS, "the cover to change"
    )
    # A move alone keeps the cover.
    await server.mod("release edit", {"release": "Frieren — Season 2", "when": "in 5h"})
    moved = event.start + 3 * 3600
    await wait_until(
        lambda: abs(events(server)[0].start - moved) < 120, CHANGE_SECONDS, "the event to move"
    )
    assert [(e.id, e.image_bytes) for e in events(server)] == [(event.id, OSHI)]
    assert server.sim.events_created == 1

    # Across a restart the stored cover is what Discord shows: nothing is edited again.
    await mirror.stop()
    patches = patch_count(server)
    restarted = await start_bot(server.sim, db_path)
    try:
        await asyncio.sleep(2.5)
        assert patch_count(server) == patches
        assert [(e.id, e.image_bytes) for e in events(server)] == [(event.id, OSHI)]
    finally:
        await restarted.stop()
    assert not restarted.unexpected_errors, restarted.unexpected_errors


def patch_count(server: Server) -> int:
    return sum(
        1 for r in server.sim.requests if r.method == "PATCH" and "/scheduled-events/" in r.path
    )


async def test_a_cover_that_never_answers_does_not_hold_up_the_event(
    server: Server, mirror: RunningBot, covers: Covers
) -> None:
    turns: list[float] = []
    loop = asyncio.get_running_loop()

    async def wait_turn() -> None:
        turns.append(loop.time())

    sender = EventSender(
        wait_turn,
        timedelta(seconds=5),
        cover_timeout=timedelta(seconds=0.5),
        cover_max_bytes=32 * 1024,
    )
    sender.post_through(mirror.bot)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)

    def spec(name: str, cover: str | None) -> EventSpec:
        return EventSpec(name, None, "Online", start, start + timedelta(minutes=30), cover)

    try:
        began = loop.time()
        await sender.create(server.guild.id, spec("Hangs", covers.url("hang.png")))
        took = loop.time() - began
        assert covers.hits["hang.png"] == 1
        assert 0.4 < took < 2.5, took  # the 0.5 s bound, then one request
        # The download did not hold the rate limiter's turn: the turn came after it.
        assert len(turns) == 1 and turns[0] - began >= 0.4
        await sender.create(server.guild.id, spec("Too big", covers.url("big.png")))
        assert covers.hits["big.png"] == 1
        # The control: through the same sender, a cover that answers is carried.
        await sender.create(server.guild.id, spec("Answers", covers.url("frieren.png")))
        await sender.create(server.guild.id, spec("Not http", "ftp://127.0.0.1/frieren.png"))
    finally:
        await sender.close()
    shown = by_name(server)
    assert shown["Hangs"].image_bytes is None
    assert shown["Too big"].image_bytes is None
    assert shown["Answers"].image_bytes == FRIEREN
    assert shown["Not http"].image_bytes is None
