"""AniList fixtures: an injected clock, the local stand-in over loopback, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.anilist.client import AniListClient
from bot.anilist.limiter import AniListLimiter
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin, sample_catalogue


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> AniListLimiter:
    return AniListLimiter(30, clock=clock, sleep=clock.sleep)


@pytest_asyncio.fixture
async def standin(clock: FakeClock) -> AsyncIterator[AniListStandin]:
    server = AniListStandin(sample_catalogue(clock.now), clock=clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def client(
    standin: AniListStandin, limiter: AniListLimiter, clock: FakeClock
) -> AsyncIterator[AniListClient]:
    anilist = AniListClient(
        limiter, url=standin.url, clock=clock, sleep=clock.sleep, request_timeout_seconds=0.5
    )
    try:
        yield anilist
    finally:
        await anilist.close()
