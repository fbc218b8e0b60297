"""Several outboxes behind the one dispatcher: releases' messages and weekly digests."""

from __future__ import annotations

from datetime import datetime

from bot.scheduling.dispatcher import Outbox


class Outboxes:
    """An Outbox that is each of several: due work is taken from all, the earliest wakes."""

    def __init__(self, *outboxes: Outbox) -> None:
        self._outboxes = outboxes

    async def run_due(self, now: datetime) -> bool:
        more = False
        for outbox in self._outboxes:
            more = await outbox.run_due(now) or more
        return more

    async def next_wake_at(self) -> datetime | None:
        moments = [await outbox.next_wake_at() for outbox in self._outboxes]
        return min((m for m in moments if m is not None), default=None)
