"""The sync against the stand-in over loopback, into a small in-memory catalog store."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from bot.anilist.client import AniListClient
from bot.anilist.limiter import AniListLimiter
from bot.anilist.sync import AniListSync, AniListSyncJob, CatalogStore, SyncReport
from bot.domain.catalog import Airing, CatalogMedia, MediaStatus
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin, bulk_catalogue
from tests.anilist_standin.data import ADULT_SHOW, ANNOUNCED_MOVIE, COWBOY_BEBOP, OSHI_NO_KO

WINDOW = timedelta(days=14)


class FakeStore:
    """What the catalog service keeps, in memory: the seam's contract and nothing more."""

    def __init__(self, followed: Sequence[int]) -> None:
        self.followed = list(followed)
        self.media: dict[int, CatalogMedia] = {}
        self.airings: dict[tuple[int, int], Airing] = {}
        self.delayed: list[tuple[int, int]] = []
        self.rechecks: list[tuple[int, int, tuple[Airing, ...]]] = []
        self.media_batches: list[int] = []

    async def shows_to_sync(self, now: datetime) -> list[int]:
        done = {MediaStatus.FINISHED, MediaStatus.CANCELLED}
        return [i for i in self.followed if i not in self.media or self.media[i].status not in done]

    async def apply_media(self, media: Sequence[CatalogMedia], now: datetime) -> None:
        self.media_batches.append(len(media))
        for item in media:
            self.media[item.anilist_id] = item

    async def apply_airings(
        self,
        anilist_ids: Sequence[int],
        airings: Sequence[Airing],
        window_end: datetime,
        now: datetime,
    ) -> list[tuple[int, int]]:
        ids = set(anilist_ids)
        fresh = {(a.anilist_id, a.episode): a for a in airings}
        start, end = now.timestamp(), window_end.timestamp()
        vanished = [
            key
            for key, known in self.airings.items()
            if key[0] in ids and start <= known.airing_at <= end and key not in fresh
        ]
        self.airings.update(fresh)
        return vanished

    async def confirm_vanished(
        self, anilist_id: int, episode: int, airings_of_show: Sequence[Airing], now: datetime
    ) -> None:
        self.rechecks.append((anilist_id, episode, tuple(airings_of_show)))
        for airing in airings_of_show:
            if airing.episode == episode:
                self.airings[(anilist_id, episode)] = airing  # it only moved
                return
        del self.airings[(anilist_id, episode)]
        self.delayed.append((anilist_id, episode))


def bound(shows: int, airings: int) -> int:
    """design.md's bound on one sync's requests, retries and re-checks aside."""
    return math.ceil(shows / 50) + math.ceil(airings / 50) + math.ceil(shows / 500) - 1


def bulk_cost(shows: int) -> int:
    """The requests a sync of `bulk_catalogue(shows)` needs: two airings a show."""
    lists = [min(500, shows - start) for start in range(0, shows, 500)]
    return math.ceil(shows / 50) + sum(max(1, math.ceil(2 * n / 50)) for n in lists)


def make_sync(client: AniListClient, store: CatalogStore, clock: FakeClock) -> AniListSync:
    return AniListSync(client, store, window=WINDOW, clock=clock)


def assert_report(report: SyncReport, *, shows: int, requests: int, complete: bool = True) -> None:
    assert (report.shows, report.requests, report.complete) == (shows, requests, complete)


# ----------------------------------------------------------------- the budget
@pytest.mark.parametrize("shows", [1, 50, 51, 499, 1000])
async def test_a_sync_stays_within_the_budget_and_the_request_bound(
    client: AniListClient, standin: AniListStandin, clock: FakeClock, shows: int
) -> None:
    standin.catalogue = bulk_catalogue(shows, clock.now)
    store = FakeStore([200_000 + n for n in range(shows)])
    started = clock.now
    report = await make_sync(client, store, clock).run_once(clock.now)
    airings = 2 * shows
    assert_report(report, shows=shows, requests=bulk_cost(shows))
    assert report.requests <= bound(shows, airings)
    assert len(standin.requests) == report.requests
    assert standin.count_429s() == 0
    assert standin.requests_in_any_minute() <= 30
    # Everything arrived: every show's metadata and both of its episodes in the window.
    assert len(store.media) == shows and len(store.airings) == airings
    assert max(store.media_batches) <= 50
    lists = [r.variables["ids"] for r in standin.requests if r.root == "Page.airingSchedules"]
    assert lists and max(len(ids) for ids in lists) <= 500
    chunks = [r.variables["ids"] for r in standin.requests if r.root == "Page.media"]
    assert max(len(ids) for ids in chunks) <= 50
    # At 30 a minute, evenly spaced: two seconds a request.
    assert clock.now - started >= timedelta(seconds=2 * (report.requests - 1))


async def test_a_sync_of_1000_shows_takes_about_two_minutes_at_30_a_minute(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.catalogue = bulk_catalogue(1000, clock.now)
    store = FakeStore([200_000 + n for n in range(1000)])
    started = clock.now
    report = await make_sync(client, store, clock).run_once(clock.now)
    assert report.requests == 20 + 40 <= bound(1000, 2000)
    assert clock.now - started < timedelta(seconds=2 * report.requests + 1)
    assert standin.requests_in_any_minute() == 30  # the budget is used, not exceeded


async def test_a_429_is_honoured_and_the_sync_completes(
    standin: AniListStandin, clock: FakeClock
) -> None:
    # A budget of 90 (what AniList's headers announce) meets its degraded 30.
    standin.catalogue = bulk_catalogue(1000, clock.now)
    limiter = AniListLimiter(90, clock=clock, sleep=clock.sleep)
    client = AniListClient(limiter, url=standin.url, clock=clock, sleep=clock.sleep)
    store = FakeStore([200_000 + n for n in range(1000)])
    try:
        report = await make_sync(client, store, clock).run_once(clock.now)
    finally:
        await client.close()
    assert report.complete
    assert standin.count_429s() >= 1
    # Each 429 cost one retry and nothing else.
    assert report.requests == bulk_cost(1000) + standin.count_429s()
    for refused in (r for r in standin.requests if r.status == 429):
        later = [r.at for r in standin.requests if r.at > refused.at]
        assert not later or min(later) - refused.at >= timedelta(seconds=60)
    assert len(store.airings) == 2000


# ----------------------------------------------------------------- what it applies
async def test_a_sync_brings_metadata_and_the_window_of_airings(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([OSHI_NO_KO, COWBOY_BEBOP, ANNOUNCED_MOVIE])
    report = await make_sync(client, store, clock).run_once(clock.now)
    assert_report(report, shows=3, requests=2)
    assert set(store.media) == {OSHI_NO_KO, COWBOY_BEBOP, ANNOUNCED_MOVIE}
    # The next two weeks of Oshi no Ko: episodes 4 (in a day) and 5 (in eight days).
    assert sorted(store.airings) == [(OSHI_NO_KO, 4), (OSHI_NO_KO, 5)]


async def test_a_moved_airing_is_applied_without_a_recheck(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([OSHI_NO_KO])
    sync = make_sync(client, store, clock)
    await sync.run_once(clock.now)
    later = clock.now + timedelta(days=2, hours=3)
    standin.catalogue.move_airing(OSHI_NO_KO, 4, later)
    clock.advance(3600)
    report = await sync.run_once(clock.now)
    assert_report(report, shows=1, requests=2)
    assert store.airings[(OSHI_NO_KO, 4)].airing_at == int(later.timestamp())
    assert store.rechecks == []


async def test_a_vanished_airing_is_checked_once_through_the_show(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([OSHI_NO_KO])
    sync = make_sync(client, store, clock)
    await sync.run_once(clock.now)
    standin.catalogue.remove_airing(OSHI_NO_KO, 5)
    report = await sync.run_once(clock.now)
    assert_report(report, shows=1, requests=3)  # the bound, plus one re-check
    assert report.rechecked == 1
    assert standin.requests[-1].root == "Media"
    assert standin.requests[-1].variables == {"id": OSHI_NO_KO}
    (recheck,) = store.rechecks
    assert recheck[:2] == (OSHI_NO_KO, 5)
    assert 5 not in [a.episode for a in recheck[2]] and 6 in [a.episode for a in recheck[2]]
    assert store.delayed == [(OSHI_NO_KO, 5)]
    # Checked once: the next sync does not ask again.
    report = await sync.run_once(clock.now)
    assert (report.requests, report.rechecked) == (2, 0)


async def test_an_airing_moved_past_the_window_is_found_by_the_recheck(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([OSHI_NO_KO])
    sync = make_sync(client, store, clock)
    await sync.run_once(clock.now)
    far = clock.now + timedelta(days=20)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, far)
    await sync.run_once(clock.now)
    assert store.delayed == []
    assert store.airings[(OSHI_NO_KO, 5)].airing_at == int(far.timestamp())


async def test_cancelled_and_finished_shows_stop_syncing(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([OSHI_NO_KO, ANNOUNCED_MOVIE])
    sync = make_sync(client, store, clock)
    await sync.run_once(clock.now)
    standin.catalogue.cancel(OSHI_NO_KO, clock.now)
    standin.catalogue.finish(ANNOUNCED_MOVIE)
    await sync.run_once(clock.now)
    assert store.media[OSHI_NO_KO].status is MediaStatus.CANCELLED
    asked = len(standin.requests)
    report = await sync.run_once(clock.now)
    assert_report(report, shows=0, requests=0)
    assert len(standin.requests) == asked


async def test_adult_media_arrives_flagged(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    store = FakeStore([ADULT_SHOW])
    await make_sync(client, store, clock).run_once(clock.now)
    assert store.media[ADULT_SHOW].is_adult


# ----------------------------------------------------------------- failures
@pytest.mark.parametrize("fault", ["status", "errors_in_200", "partial", "malformed_json", "html"])
async def test_a_failing_sync_keeps_what_it_knew_and_the_next_goes_on(
    client: AniListClient, standin: AniListStandin, clock: FakeClock, fault: str
) -> None:
    store = FakeStore([OSHI_NO_KO, COWBOY_BEBOP])
    sync = make_sync(client, store, clock)
    await sync.run_once(clock.now)
    known_media, known_airings = dict(store.media), dict(store.airings)
    moved_to = int((clock.now + timedelta(days=3)).timestamp())
    standin.catalogue.move_airing(OSHI_NO_KO, 4, moved_to)
    standin.catalogue.remove_airing(OSHI_NO_KO, 5)

    # The metadata answers; then every airings request fails, five times over.
    def break_after_metadata(request: object) -> None:
        if getattr(request, "root", "") == "Page.media":
            standin.fail(fault, count=None)  # type: ignore[arg-type]

    standin.after_answer = break_after_metadata
    report = await sync.run_once(clock.now)
    assert not report.complete
    assert report.requests == 1 + 5  # metadata, then the airings request and its 4 retries
    assert store.airings == known_airings  # nothing of the failed answers applied
    assert store.rechecks == [] and store.delayed == []
    assert store.media.keys() == known_media.keys()

    standin.after_answer = None
    standin.heal()
    report = await sync.run_once(clock.now)
    assert report.complete
    assert store.airings[(OSHI_NO_KO, 4)].airing_at == moved_to
    assert store.delayed == [(OSHI_NO_KO, 5)]


# ----------------------------------------------------------------- the job
class SlowStore(FakeStore):
    """A store whose sync takes a while, and fails the first time."""

    def __init__(self) -> None:
        super().__init__([])
        self.running = 0
        self.most_running = 0
        self.starts: list[float] = []
        self.calls = 0

    async def shows_to_sync(self, now: datetime) -> list[int]:
        self.calls += 1
        loop = asyncio.get_running_loop()
        self.starts.append(loop.time())
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(0.25)
            if self.calls == 1:
                raise RuntimeError("database is locked")
            return []
        finally:
            self.running -= 1


async def test_the_job_runs_at_once_never_overlaps_and_survives_errors() -> None:
    store = SlowStore()
    limiter = AniListLimiter(30)
    client = AniListClient(limiter, url="http://127.0.0.1:9/")
    job = AniListSyncJob(AniListSync(client, store), timedelta(seconds=0.1))
    job.start()
    try:
        await asyncio.sleep(1.6)
    finally:
        await job.stop()
        await client.close()
    # Due every 0.1 s but 0.25 s long: back to back, one at a time, never dropped for good.
    assert store.most_running == 1
    assert store.calls >= 3
    gaps = [b - a for a, b in zip(store.starts, store.starts[1:], strict=False)]
    assert min(gaps) >= 0.24
    assert job.last_report is not None and job.last_report.complete
