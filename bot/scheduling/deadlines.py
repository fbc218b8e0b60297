"""Time limits for many short waits at the cost of one timer.

Every send is bounded (Discord may never answer), but a burst hands thousands of
messages to Discord in a second, and `asyncio.timeout(seconds)` arms and cancels a timer
for each: at 10,000 sends that alone adds tens of milliseconds to the last one. Here
each wait enters an unarmed `asyncio.timeout(None)` and is listed with its deadline; one
sweep a fraction of a second expires whatever has overrun, through the same Timeout, so
cancellation and the TimeoutError raised are exactly asyncio's.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from types import TracebackType

from bot.scheduling.ratelimit import Monotonic


class Deadlines:
    """Bound waits to `seconds` (give or take one sweep) with one sweeping task."""

    def __init__(
        self, seconds: float, *, sweep_every: float = 0.25, clock: Monotonic = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.sweep_every = sweep_every
        self._clock = clock
        self._open: dict[int, tuple[asyncio.Timeout, float]] = {}
        self._tokens = itertools.count()

    def bounded(self) -> Bounded:
        """An async context manager: the block raises TimeoutError once it overruns."""
        return Bounded(self)

    def sweep(self) -> int:
        """Expire every wait past its deadline; return how many."""
        now = self._clock()
        overdue = [token for token, (_, deadline) in self._open.items() if deadline <= now]
        for token in overdue:
            timeout, _ = self._open.pop(token)
            timeout.reschedule(asyncio.get_running_loop().time())
        return len(overdue)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            self.sweep()

    def _open_wait(self, timeout: asyncio.Timeout) -> int:
        token = next(self._tokens)
        self._open[token] = (timeout, self._clock() + self.seconds)
        return token

    def _close_wait(self, token: int) -> None:
        self._open.pop(token, None)


class Bounded:
    """One bounded wait (see `Deadlines.bounded`)."""

    __slots__ = ("_deadlines", "_timeout", "_token")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines
        self._timeout = asyncio.timeout(None)
        self._token = -1

    async def __aenter__(self) -> Bounded:
        await self._timeout.__aenter__()
        self._token = self._deadlines._open_wait(self._timeout)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._deadlines._close_wait(self._token)
        await self._timeout.__aexit__(kind, error, traceback)
