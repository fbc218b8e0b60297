"""The one pace for every AniList request the bot makes.

AniList says 90 requests a minute in its headers while it enforces 30 (reference §2), and
punishes a request over the limit with a one-minute timeout for everything. So Airdate
keeps its own budget: at most `requests_per_minute` starts in any sliding 60 s, evenly
spaced, one request at a time. What AniList's headers say may only make it slower.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from bot.clock import Clock, utcnow

Sleep = Callable[[float], Awaitable[None]]

WINDOW_SECONDS = 60.0
#: The limiter counts in whole microseconds (a datetime's resolution), so an injected clock
#: that jumps by exactly the wait lands exactly on the moment waited for.
_MICROS = 1_000_000
_WINDOW = 60 * _MICROS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_REQUESTS_PER_MINUTE = 90
#: The pause after a 429 that names no time: AniList's documented timeout.
DEFAULT_PAUSE_SECONDS = 60.0


class Priority(IntEnum):
    """Who waits for a request slot; lower goes first."""

    #: A moderator is waiting: searches, follows, autocomplete.
    INTERACTIVE = 0
    #: The background sync: it can wait its turn.
    SYNC = 1


class LimiterBusy(Exception):
    """No request could start within the time the caller can wait."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"the next AniList request could start in {wait_seconds:.1f} s")
        self.wait_seconds = wait_seconds


class AniListLimiter:
    """Hand out AniList request slots within the budget, interactive callers first.

    A slot is held for the whole request (`async with limiter.slot(...)`): AniList sees one
    request at a time. Spacing counts from each request's start.
    """

    def __init__(
        self,
        requests_per_minute: int = 30,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not 1 <= requests_per_minute <= MAX_REQUESTS_PER_MINUTE:
            raise ValueError(f"an AniList budget is 1 to {MAX_REQUESTS_PER_MINUTE} a minute")
        self._budget = requests_per_minute
        self._clock = clock
        self._sleep = sleep
        #: What the last response's X-RateLimit-Limit said, when it was lower than the budget.
        self._header_limit: int | None = None
        #: Starts in the sliding window (microseconds); AniList's own count may add entries.
        self._starts: deque[int] = deque()
        self._paused_until = 0
        self._busy = False
        self._sleeper = False
        self._queue: list[tuple[int, int]] = []
        self._tickets = itertools.count()
        self._changed = asyncio.Condition()

    # ----------------------------------------------------------------- what it allows
    @property
    def limit(self) -> int:
        """Requests allowed in any 60 s now: the budget, or less if AniList says so."""
        if self._header_limit is None:
            return self._budget
        return max(1, min(self._budget, self._header_limit))

    @property
    def spacing_seconds(self) -> float:
        return self._spacing() / _MICROS

    def _spacing(self) -> int:
        return -(-_WINDOW // self.limit)

    def wait_seconds(self) -> float:
        """How long from now until the next request may start (0: at once), queue aside."""
        return self._wait() / _MICROS

    def _wait(self) -> int:
        now = self._now()
        self._forget_before(now - _WINDOW)
        at = max(now, self._paused_until)
        if self._starts:
            at = max(at, self._starts[-1] + self._spacing())
            excess = len(self._starts) - self.limit
            if excess >= 0:
                # The window is full: wait until enough starts have left it.
                at = max(at, self._starts[excess] + _WINDOW)
        return at - now

    def can_start_now(self) -> bool:
        """Whether a request asked for now would start at once (autocomplete asks this)."""
        return not self._busy and not self._queue and self._wait() <= 0

    def starts_in_window(self) -> int:
        """Request starts counted in the last 60 s (AniList's count included)."""
        self._forget_before(self._now() - _WINDOW)
        return len(self._starts)

    # ----------------------------------------------------------------- taking a slot
    @asynccontextmanager
    async def slot(
        self, priority: Priority, *, max_wait_seconds: float | None = None
    ) -> AsyncIterator[None]:
        """Wait for a request slot and hold it while the request runs.

        With `max_wait_seconds`, raise LimiterBusy at once when the slot is surely further
        away than that (a pause after a 429, a full window) instead of waiting for it.
        """
        await self._acquire(priority, max_wait_seconds)
        try:
            yield
        finally:
            self._busy = False
            await self._notify()

    async def _acquire(self, priority: Priority, max_wait_seconds: float | None) -> None:
        if max_wait_seconds is not None:
            wait = self.wait_seconds()
            if wait > max_wait_seconds:
                raise LimiterBusy(wait)
        ticket = (int(priority), next(self._tickets))
        heapq.heappush(self._queue, ticket)
        try:
            while True:
                async with self._changed:
                    while self._busy or self._sleeper or self._queue[0] != ticket:
                        await self._changed.wait()
                    wait = self.wait_seconds()
                    if wait <= 0:
                        heapq.heappop(self._queue)
                        self._busy = True
                        self._starts.append(self._now())
                        return
                    if max_wait_seconds is not None and wait > max_wait_seconds:
                        raise LimiterBusy(wait)
                    # One sleeper at a time: the head sleeps, the others wait for it, so a
                    # caller that arrives meanwhile with a higher priority still goes next.
                    self._sleeper = True
                try:
                    await self._sleep(wait)
                finally:
                    self._sleeper = False
                    await self._notify()
        except BaseException:
            if ticket in self._queue:
                self._queue.remove(ticket)
                heapq.heapify(self._queue)
                await asyncio.shield(self._notify())
            raise

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ----------------------------------------------------------------- what AniList says
    def observe(self, limit: int | None, remaining: int | None) -> None:
        """Take a response's X-RateLimit-Limit and -Remaining: they may only slow us down."""
        if limit is None or limit <= 0:
            return
        self._header_limit = limit if limit < self._budget else None
        if remaining is None:
            return
        now = self._now()
        self._forget_before(now - _WINDOW)
        # Limit - Remaining is the window's use in both header forms (90 with 60 left
        # while degraded, 30 with 0 left when honest); count what we did not see ourselves.
        used = max(0, limit - remaining)
        unseen = min(used, MAX_REQUESTS_PER_MINUTE) - len(self._starts)
        for _ in range(unseen):
            self._starts.append(now)

    def pause(self, retry_after: float | None = None, reset_at: float | None = None) -> float:
        """Stop every request after a 429; return how long the pause lasts, in seconds.

        `retry_after` is Retry-After in seconds; `reset_at` is X-RateLimit-Reset (Unix
        seconds). Without either, AniList's documented one-minute timeout.
        """
        now = self._now()
        if retry_after is not None and retry_after >= 0:
            seconds = retry_after
        elif reset_at is not None and reset_at * _MICROS > now:
            seconds = reset_at - now / _MICROS
        else:
            seconds = DEFAULT_PAUSE_SECONDS
        self._paused_until = max(self._paused_until, now + math.ceil(seconds * _MICROS))
        return seconds

    # ----------------------------------------------------------------- bookkeeping
    def _now(self) -> int:
        return (self._clock() - _EPOCH) // timedelta(microseconds=1)

    def _forget_before(self, moment: int) -> None:
        while self._starts and self._starts[0] <= moment:
            self._starts.popleft()


def seconds_header(value: str | None) -> float | None:
    """Read a header holding a number of seconds (or a Unix time), or None if it does not."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def int_header(value: str | None) -> int | None:
    number = seconds_header(value)
    return None if number is None else int(number)
