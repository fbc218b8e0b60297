"""How a service changes a guild: one transaction that, once committed, wakes the engine.

Every change to a guild's releases, settings or audiences reconciles its outbox inside
its own transaction; the delivery engine must then look again (rows may be due now, and
messages it already holds must be checked again before they leave). `Changes.guild`
makes that one step: the engine hears of the change after the commit (never before, or
it would read the old state) and never for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.storage.database import Database, Transaction


@dataclass(frozen=True, slots=True)
class Changes:
    """What every service that changes guilds shares: the database, the clock, who to tell."""

    database: Database
    clock: Clock
    #: Told a guild's id after each of its changes commits (the engine's wake-up).
    on_changed: Callable[[int], None]
    #: How long date-change notices wait for further edits.
    notice_debounce: timedelta = timedelta(seconds=60)

    def now(self) -> datetime:
        return self.clock()

    @asynccontextmanager
    async def guild(self, guild_id: int) -> AsyncIterator[Transaction]:
        """A transaction changing this guild; the engine hears of it once it commits."""
        async with self.database.transaction() as tx:
            yield tx
        self.on_changed(guild_id)

    @asynccontextmanager
    async def guilds(self) -> AsyncIterator[tuple[Transaction, set[int]]]:
        """A transaction that may change many guilds (a catalog show's releases reach every
        guild following it): each guild added to the set hears of it once it commits."""
        touched: set[int] = set()
        async with self.database.transaction() as tx:
            yield tx, touched
        for guild_id in sorted(touched):
            self.on_changed(guild_id)

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-only snapshot that never waits for a writer."""
        return self.database.snapshot()
