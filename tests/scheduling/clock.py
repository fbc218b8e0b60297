"""A monotonic clock that moves only when told, and a sleep that records instead of waiting."""

from __future__ import annotations

import asyncio


class FakeMonotonic:
    """Monotonic seconds that move only when told; `sleep` notes when the sleeper would wake."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.woke: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.woke.append(self.now + seconds)
        await asyncio.sleep(0)  # let other callers in, as a real sleep would
