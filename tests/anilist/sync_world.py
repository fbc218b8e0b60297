"""The AniList sync wired to the real catalog core, for integration tests.

One injected clock drives everything: the AniList limiter and its backoff (a sleep moves
the clock at once), the stand-in's rate limits and "now", the catalog's transactions, and
the delivery engine. The sync is `AniListSync` with the real client and limiter; the
catalog is `CatalogService` over a real migrated SQLite database; what is owed is read
from the outbox (`deliveries`), and the engine (tests/support/engine.py) can deliver it
to a fake Discord.

`python -m tests.anilist.sync_world DB URL NOW` runs one sync in a process of its own
(the SIGKILL test kills it mid-sync).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.anilist.client import AniListClient
from bot.anilist.limiter import AniListLimiter, Priority
from bot.anilist.sync import AniListSync, SyncReport
from bot.domain.models import DeliveryKind
from bot.services.catalog import CatalogFollow, CatalogService
from bot.services.changes import Changes
from bot.storage.database import Database
from tests.anilist.clock import NOW
from tests.support.engine import DEBOUNCE, Engine, FakeClock, FakeDiscord, Posted

WINDOW = timedelta(days=14)
#: Stands for AniList's 10 s timeout: the stand-in's "slow" fault waits longer than this.
REQUEST_TIMEOUT_SECONDS = 1.0

#: One outbox row: (AniList id, episode, kind, offset, revision, target, due_at, status).
Row = tuple[int, int | None, str, int, int, int, int, str]


class SyncClock(FakeClock):
    """The engine's fake clock, which AniList's limiter can also sleep on."""

    def __init__(self, start: datetime = NOW) -> None:
        super().__init__(start)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)  # let other tasks in, as a real sleep would


def make_client(url: str, clock: SyncClock, budget: int = 30) -> AniListClient:
    limiter = AniListLimiter(budget, clock=clock, sleep=clock.sleep)
    return AniListClient(
        limiter,
        url=url,
        clock=clock,
        sleep=clock.sleep,
        request_timeout_seconds=REQUEST_TIMEOUT_SECONDS,
    )


@dataclass
class World:
    """The sync, the catalog, the outbox and delivery, on one clock."""

    clock: SyncClock
    engine: Engine
    client: AniListClient
    catalog: CatalogService
    sync: AniListSync

    @property
    def discord(self) -> FakeDiscord:
        return self.engine.discord

    async def follow(
        self,
        guild_id: int,
        anilist_id: int,
        channel_id: int | None = None,
        *,
        episodes: bool = True,
    ) -> CatalogFollow:
        """What `/anilist follow` does: ask AniList for the show, then follow it."""
        details = await self.client.show(anilist_id, Priority.INTERACTIVE)
        assert details is not None, anilist_id
        return await self.catalog.follow(
            guild_id,
            details.media,
            details.airings,
            channel_id,
            None,
            episodes,
            self.clock.now,
        )

    async def run_sync(self) -> SyncReport:
        return await self.sync.run_once(self.clock.now)

    def outbox(self, status: str | None = "pending") -> list[Row]:
        rows = self.engine.rows(
            """
            SELECT c.anilist_id, r.episode, d.kind, d.offset_seconds, d.revision, d.target_id,
                   d.due_at, d.status
            FROM deliveries d JOIN releases r ON r.id = d.release_id
            JOIN catalog_media c ON c.show_id = r.show_id
            WHERE ? IS NULL OR d.status = ?
            ORDER BY c.anilist_id, r.episode, d.target_id, d.kind, d.offset_seconds, d.revision,
                     d.status
            """,
            (status, status),
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def notices(self, status: str | None = None) -> list[Row]:
        return [row for row in self.outbox(status) if row[2] == "notice"]

    def releases(self) -> list[tuple[object, ...]]:
        """(AniList id, episode, starts_at, precision, status, revision) of each release."""
        return self.engine.rows(
            """
            SELECT c.anilist_id, r.episode, r.starts_at, r.precision, r.status, r.revision
            FROM releases r JOIN catalog_media c ON c.show_id = r.show_id
            ORDER BY c.anilist_id, r.episode
            """
        )

    def release(self, anilist_id: int, episode: int | None) -> tuple[object, ...]:
        (found,) = [r for r in self.releases() if r[:2] == (anilist_id, episode)]
        return found

    async def deliver_until(self, moment: datetime) -> None:
        """Let time pass until `moment`, delivering everything when it falls due."""
        await self.engine.deliver()
        while True:
            due = self.engine.rows(
                "SELECT min(due_at) FROM deliveries "
                "WHERE status = 'pending' AND due_at > ? AND due_at <= ?",
                (int(self.clock.now.timestamp()), int(moment.timestamp())),
            )[0][0]
            if due is None:
                break
            self.clock.now = datetime.fromtimestamp(int(str(due)), moment.tzinfo)
            await self.engine.deliver()
        self.clock.now = max(self.clock.now, moment)
        await self.engine.deliver()

    def posted(self, kind: DeliveryKind | None = None) -> list[tuple[int, int | None, str, int]]:
        """(AniList id, episode, kind, channel) of each notification Discord accepted."""
        episodes: dict[object, tuple[int, int | None]] = {
            row[0]: (int(str(row[1])), None if row[2] is None else int(str(row[2])))
            for row in self.engine.rows(
                "SELECT r.id, c.anilist_id, r.episode FROM releases r "
                "JOIN catalog_media c ON c.show_id = r.show_id"
            )
        }
        found = []
        for message in self.discord.posted:
            for key in message.keys:
                if kind is None or key.kind is kind:
                    anilist_id, episode = episodes[key.release_id]
                    found.append((anilist_id, episode, key.kind.value, message.target_id))
        return found

    def messages(self) -> list[Posted]:
        return list(self.discord.posted)


async def start_world(path: Path, url: str, clock: SyncClock, *, budget: int = 30) -> World:
    engine = Engine(path, clock, FakeDiscord(clock))
    await engine.start()
    assert engine.database is not None and engine.delivery is not None
    delivery = engine.delivery
    changes = Changes(engine.database, clock, delivery.guild_changed, DEBOUNCE)
    catalog = CatalogService(changes)
    client = make_client(url, clock, budget)
    sync = AniListSync(client, catalog, window=WINDOW, clock=clock)
    return World(clock, engine, client, catalog, sync)


async def stop_world(world: World) -> None:
    await world.client.close()
    await world.engine.stop()


# ----------------------------------------------------------------- one sync, in a process
async def sync_in_process(path: Path, url: str, now: datetime) -> SyncReport:
    """Open the database and run one whole sync against `url`, as the bot's job would."""
    clock = SyncClock(now)
    database = await Database.open(path)
    client = make_client(url, clock)
    try:
        changes = Changes(database, clock, lambda guild_id: None, DEBOUNCE)
        sync = AniListSync(client, CatalogService(changes), window=WINDOW, clock=clock)
        return await sync.run_once(now)
    finally:
        await client.close()
        await database.close()


def main(argv: Sequence[str]) -> None:
    path, url, now = argv
    report = asyncio.run(sync_in_process(Path(path), url, datetime.fromisoformat(now)))
    print(f"synced {report}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
