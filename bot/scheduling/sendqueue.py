"""The fair queue between claiming due rows and sending them.

Each guild has its own line, served in turn, so one guild owing a thousand messages
delays another guild's message by one turn, not by a thousand. Within a guild, messages
leave in due order, except that a channel at its 5-per-5-s limit lets the next channel go.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from typing import Generic, Protocol, TypeVar

from bot.scheduling.ratelimit import ChannelWindows, Monotonic


class Sendable(Protocol):
    @property
    def guild_id(self) -> int: ...

    @property
    def channel_key(self) -> int: ...

    @property
    def not_before(self) -> float:
        """Monotonic time before which the item must not leave."""
        ...


T = TypeVar("T", bound=Sendable)


class FairQueue(Generic[T]):
    def __init__(self, windows: ChannelWindows, *, clock: Monotonic = time.monotonic) -> None:
        self._lines: OrderedDict[int, deque[T]] = OrderedDict()
        self._windows = windows
        self._clock = clock
        self._changed = asyncio.Event()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def ready(self) -> int:
        """How many items are due to leave now (held ones, not yet due, are not counted)."""
        now = self._clock()
        count = 0
        for line in self._lines.values():
            for item in line:
                if item.not_before > now:
                    break
                count += 1
        return count

    def put(self, item: T) -> None:
        self._lines.setdefault(item.guild_id, deque()).append(item)
        self._size += 1
        self._changed.set()

    async def get(self) -> T:
        """Wait for the next item whose channel may take a message now, guilds in turn."""
        while True:
            item, wait = self._take()
            if item is not None:
                return item
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=wait)

    def _take(self) -> tuple[T | None, float | None]:
        soonest: float | None = None
        now = self._clock()
        for guild_id, line in self._lines.items():
            for index, item in enumerate(line):
                if item.not_before > now:
                    # Lines are in due order: nothing further in this one is due yet.
                    soonest = item.not_before if soonest is None else min(soonest, item.not_before)
                    break
                channel = item.channel_key
                free_at = self._windows.free_at(channel)
                if free_at <= now:
                    self._took(guild_id, line, index)
                    self._windows.record(channel)
                    return item, None
                soonest = free_at if soonest is None else min(soonest, free_at)
        return None, None if soonest is None else max(0.0, soonest - now)

    def _took(self, guild_id: int, line: deque[T], index: int) -> None:
        """Take the item at `index` out of the guild's line; the guild goes last in turn."""
        del line[index]
        self._size -= 1
        if line:
            self._lines.move_to_end(guild_id)
        else:
            del self._lines[guild_id]
