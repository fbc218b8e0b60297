"""The sync: refresh every followed catalog show once for all guilds, within AniList's budget.

One sync of N shows with A airings in the window costs at most
ceil(N/50) + ceil(A/50) + ceil(N/500) - 1 requests (metadata 50 ids a request, airings
paged 50 rows a request over lists of at most 500 ids), plus one per retry and one per
show with vanished airings re-checked (one request checks all of a show's). A request
that fails after its retries ends the sync: what earlier requests brought is kept (each
was applied whole), nothing of the failed one is applied, and the next sync starts from
the top.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.anilist.client import AIRING_IDS_PER_LIST, MEDIA_IDS_PER_REQUEST, AniListClient
from bot.anilist.errors import AniListUnavailable
from bot.anilist.limiter import Priority
from bot.clock import Clock, utcnow
from bot.domain.catalog import Airing, CatalogMedia
from bot.scheduling.supervise import start_supervised

log = logging.getLogger(__name__)

SYNC_JOB_ID = "anilist-sync"

T = TypeVar("T")


class CatalogStore(Protocol):
    """Where a sync's answers go: the catalog service (which writes the database)."""

    # AniList ids followed by some guild, not finished/cancelled
    async def shows_to_sync(self, now: datetime) -> list[int]: ...

    async def apply_media(self, media: Sequence[CatalogMedia], now: datetime) -> None: ...

    # returns (anilist_id, episode) that vanished from the window and need one re-check
    async def apply_airings(
        self,
        anilist_ids: Sequence[int],
        airings: Sequence[Airing],
        window_end: datetime,
        now: datetime,
    ) -> list[tuple[int, int]]: ...

    async def confirm_vanished(
        self, anilist_id: int, episode: int, airings_of_show: Sequence[Airing], now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync did."""

    shows: int
    requests: int
    airings: int
    rechecked: int
    #: False when AniList failed part-way: the rest waits for the next sync.
    complete: bool


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class AniListSync:
    """Refreshes the catalog from AniList: `run_once(now)` is one whole sync."""

    def __init__(
        self,
        client: AniListClient,
        store: CatalogStore,
        *,
        window: timedelta = timedelta(days=14),
        clock: Clock = utcnow,
    ) -> None:
        self._client = client
        self._store = store
        self._window = window
        self._clock = clock

    async def run_once(self, now: datetime) -> SyncReport:
        """Sync every followed show: metadata, then the airings from `now` to `now + window`."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        ids = await self._store.shows_to_sync(now)
        sent_before = self._client.requests_sent
        airings_seen = 0
        rechecked = 0
        complete = True
        window_end = now + self._window
        try:
            for chunk in chunks(ids, MEDIA_IDS_PER_REQUEST):
                media = await self._client.media(chunk, Priority.SYNC)
                await self._store.apply_media(media, self._clock())
            for id_list in chunks(ids, AIRING_IDS_PER_LIST):
                airings = await self._client.airings(id_list, now, window_end, Priority.SYNC)
                airings_seen += len(airings)
                vanished = await self._store.apply_airings(
                    id_list, airings, window_end, self._clock()
                )
                by_show: dict[int, list[int]] = {}
                for anilist_id, episode in vanished:
                    by_show.setdefault(anilist_id, []).append(episode)
                for anilist_id, episodes in by_show.items():
                    rechecked += len(episodes)
                    await self._recheck(anilist_id, episodes)
        except AniListUnavailable as error:
            # The client logged the outage once; the next sync starts again from the top.
            log.debug("AniList sync stopped part-way: %s", error)
            complete = False
        return SyncReport(
            shows=len(ids),
            requests=self._client.requests_sent - sent_before,
            airings=airings_seen,
            rechecked=rechecked,
            complete=complete,
        )

    async def _recheck(self, anilist_id: int, episodes: Sequence[int]) -> None:
        # An airing missing from the window may only have moved past its end: ask the show,
        # once for all of its missing episodes (a show that ended early may miss several).
        show = await self._client.show(anilist_id, Priority.SYNC)
        airings = () if show is None else show.airings
        for episode in episodes:
            await self._store.confirm_vanished(anilist_id, episode, airings, self._clock())


class AniListSyncJob:
    """Runs the sync every `interval`, measured between starts, never two at once.

    APScheduler is only the alarm: its interval job marks a sync as due; one supervised
    task runs syncs one after another, so a sync still running when the next is due delays
    that one instead of overlapping it or being dropped, and an error never ends the loop.
    """

    def __init__(self, sync: AniListSync, interval: timedelta, *, clock: Clock = utcnow):
        self._sync = sync
        self._interval = interval
        self._clock = clock
        self._due = asyncio.Event()
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_report: SyncReport | None = None

    def start(self) -> None:
        """Start the timer and the sync loop; the first sync runs at once."""
        if self._tasks:
            return
        self._scheduler.start()
        self._scheduler.add_job(
            self._due.set,
            "interval",
            seconds=self._interval.total_seconds(),
            id=SYNC_JOB_ID,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        start_supervised("the AniList sync", self._step, self._tasks)
        self._due.set()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _step(self) -> None:
        await self._due.wait()
        self._due.clear()
        self.last_report = await self._sync.run_once(self._clock())
