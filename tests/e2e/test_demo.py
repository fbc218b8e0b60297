"""`make demo` (`python -m tests.support.demo`) runs as its own process, as a new user
runs it: it exits 0 after printing the four messages on time and the server's calendar
feed fetched over HTTP (its events, then a 304 for its ETag). Its feed step says FAILED
when the feed does not answer (the control)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from tests.support.demo import fetch_feed

ROOT = Path(__file__).resolve().parents[2]
#: The demo waits for two releases 20 s out each: about 45 s; a hang is far longer.
DEMO_WITHIN_SECONDS = 150.0


async def test_make_demo_prints_the_messages_and_the_feed_fetched_over_http() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.demo",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    printed, _ = await asyncio.wait_for(process.communicate(), DEMO_WITHIN_SECONDS)
    output = printed.decode()
    assert process.returncode == 0, output
    assert "OK: all four messages within" in output
    [link] = re.findall(r"^GET (http://127\.0\.0\.1:\d+/c/[\w-]+\.ics)$", output, re.MULTILINE)
    assert "  → 200 text/calendar; charset=utf-8" in output
    [etag] = re.findall(r'ETag ("[0-9a-f]{32}"), Last-Modified \w{3}, ', output)
    # Every event the feed holds, with its start in UTC, UID and SEQUENCE: the release
    # the moderator added and the AniList show's episodes, the first at the time the
    # announcement said.
    [count] = re.findall(r"^  Anime Hub: (\d+) event\(s\)$", output, re.MULTILINE)
    events = re.findall(
        r"^  (\w{3} \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC)  (.+)\n"
        r"      UID (release-\d+-[0-9a-f]{16}@airdate)  SEQUENCE (\d+)$",
        output,
        re.MULTILINE,
    )
    assert len(events) == int(count) >= 3
    assert events[0][1:] == ("Oshi no Ko — Season 2", events[0][2], "0")
    assert "When: " + events[0][0] in output
    assert any(summary.startswith("[Oshi no Ko] 2nd Season — Episode") for _, summary, *_ in events)
    assert len({uid for _, _, uid, _ in events}) == len(events)
    assert f"GET again with If-None-Match {etag}\n  → 304" in output
    assert f"Schedule page: {link.removesuffix('.ics')}\n  → " in output


async def test_the_feed_step_fails_loudly_when_the_feed_does_not_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aiohttp import web

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="404: Not Found")

    app = web.Application()
    app.router.add_get("/{tail:.*}", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        assert not await fetch_feed(f"http://127.0.0.1:{port}/c/revoked.ics")
    finally:
        await runner.cleanup()
    assert "FAILED: the feed answered 404" in capsys.readouterr().out
