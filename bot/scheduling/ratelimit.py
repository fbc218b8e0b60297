"""Pacing for Discord's limits: one global rate for the bot, a window per channel."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Let at most `rate` acquisitions through per second, evenly spaced, for the whole bot.

    Spacing (rather than a burst then a wait) keeps every rolling one-second window under
    the limit, which is what Discord counts.
    """

    def __init__(
        self, rate: float, *, clock: Monotonic = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError("a rate limit must be positive")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            at = max(now, self._next_at)
            self._next_at = at + self._interval
        if at > now:
            await self._sleep(at - now)


class ChannelWindows:
    """At most `limit` messages per `per_seconds` to any one channel (Discord's 5 per 5 s)."""

    def __init__(
        self, limit: int = 5, per_seconds: float = 5.0, *, clock: Monotonic = time.monotonic
    ) -> None:
        self._limit = limit
        self._per = per_seconds
        self._clock = clock
        self._sent: dict[int, deque[float]] = {}

    def free_at(self, channel_id: int) -> float:
        """Return the monotonic time from which the channel may take another message."""
        sent = self._sent.get(channel_id)
        if sent is None:
            return 0.0
        now = self._clock()
        while sent and sent[0] <= now - self._per:
            sent.popleft()
        if not sent:
            del self._sent[channel_id]
            return 0.0
        return sent[0] + self._per if len(sent) >= self._limit else 0.0

    def record(self, channel_id: int) -> None:
        sent = self._sent.get(channel_id)
        if sent is None:
            sent = self._sent[channel_id] = deque()
        sent.append(self._clock())
