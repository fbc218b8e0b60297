"""An injected clock for AniList tests: time moves only when someone sleeps on it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


class FakeClock:
    """Aware UTC time that a `sleep` moves forward at once (no real waiting)."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)  # let other tasks in, as a real sleep would
