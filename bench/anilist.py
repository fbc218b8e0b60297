"""What an AniList sync costs (issue 9): requests, time at the budget, CPU and database time.

The real `AniListSync.run_once` with the real `AniListClient` and `AniListLimiter` against
the AniList stand-in (tests/anilist_standin) over loopback, into the real `CatalogService`
on a real migrated SQLite database where N shows are followed by some guild. The clock is
injected: the limiter's 2 s spacing advances it at once, so a sync of 10,000 shows at
30 requests a minute takes seconds of real time, and "time at the budget" is read off the
injected clock. The stand-in runs on an event loop in a thread of its own, so the bot's
CPU is the process's CPU minus that thread's (its own per-thread CPU clock).

Then `/anilist follow`'s autocomplete (`AniListAutocomplete.choices`) over that catalog,
its catalog part the real storage search (`CatalogService.search`), with a warm cache.

python -m bench.anilist           # N = 1,000 and 10,000, each in a fresh process
python -m bench.anilist --quick   # N = 100 and 300 (a smoke test)
python -m bench.anilist --write   # also put this section into bench/RESULTS.md
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.anilist.autocomplete import AniListAutocomplete
from bot.anilist.client import AIRING_IDS_PER_LIST, MEDIA_IDS_PER_REQUEST, AniListClient
from bot.anilist.limiter import AniListLimiter, Priority
from bot.anilist.sync import AniListSync, SyncReport, chunks
from bot.domain.catalog import Airing, CatalogMedia
from bot.domain.models import GuildSettings
from bot.services.catalog import CatalogService
from bot.services.changes import Changes
from bot.storage import settings
from bot.storage.database import Database
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin, Catalogue, StandinMedia

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION_TITLE = "## AniList: a sync of the followed catalog, and `/anilist follow` autocomplete"
BUDGET_PER_MINUTE = 30
WINDOW = timedelta(days=14)
SYNC_INTERVAL = timedelta(minutes=30)
GUILDS = 20
FIRST_ID = 300_000
DAY = 86_400
WEEK = 7 * DAY
TARGET_CPU_MS = 1.0
TARGET_AUTOCOMPLETE_MS = 20.0
_WORDS = (
    "kimi boku sekai hoshi tsuki yoru sora umi kaze hana yume koi mahou kishi ken tenshi "
    "akuma ryuu shoujo shounen gakuen senpai kanojo kareshi isekai tensei maou yuusha "
    "hime ouji kuro shiro aka ao midori kin gin tokyo kyoto neko inu tori sakura yuki "
    "ame hikari kage honoo koori tsubasa mirai kako ashita kinou densetsu monogatari "
    "no to wa ni de ga mo"
)
WORDS = _WORDS.split()
_ENGLISH = (
    "star night sky sea wind flower dream love magic knight sword angel devil dragon "
    "girl boy academy world reborn demon hero princess black white red blue city cat "
    "snow light shadow flame wings future legend story"
)
ENGLISH = _ENGLISH.split()


# ----------------------------------------------------------------- the stand-in's AniList
def catalogue(count: int, now: datetime, seed: int = 9) -> Catalogue:
    """`count` anime as a followed catalog holds them: half airing weekly (two episodes in
    the 14-day window), a quarter premiering within it (one), a quarter announced (a start
    date, no airings). Full metadata: three titles, synonyms, a synopsis with HTML, a
    cover, and two streaming links and an official site."""
    rng = random.Random(seed)
    shows = Catalogue()
    start = int(now.timestamp())
    for index in range(count):
        media_id = FIRST_ID + index
        words = rng.sample(WORDS, rng.randint(2, 4))
        romaji = " ".join(words).title() + f" {index}"
        english = " ".join(rng.sample(ENGLISH, rng.randint(2, 3))).title() if index % 2 else None
        kind = index % 4
        episodes = rng.choice((12, 13, 24, None))
        if kind in (0, 1):
            status, season_year = "RELEASING", 2026
        else:
            status, season_year = "NOT_YET_RELEASED", 2027
        shows.add(
            StandinMedia(
                media_id,
                romaji,
                english,
                f"テスト{index}",
                id_mal=40_000 + index,
                status=status,
                episodes=episodes,
                season=rng.choice(("WINTER", "SPRING", "SUMMER", "FALL")),
                season_year=season_year,
                synonyms=[f"{words[0]} {index}".title()] if index % 3 == 0 else [],
                description=(
                    f"<i>{romaji}</i> follows its heroes through "
                    + " ".join(rng.choices(ENGLISH, k=60))
                    + ".<br><br>(Source: the publisher &amp; AniList)"
                ),
                cover=f"https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx{media_id}.jpg",
                cover_color="#e44343",
                start_date=(2026, 1, 1 + index % 28) if kind < 3 else (2027, 1 + index % 12, None),
                external_links=[
                    {
                        "id": 1,
                        "site": "Official Site",
                        "url": "https://example.org/",
                        "type": "INFO",
                    },
                    {
                        "id": 2,
                        "site": "Crunchyroll",
                        "url": f"https://www.crunchyroll.com/series/{media_id}",
                        "type": "STREAMING",
                    },
                    {
                        "id": 3,
                        "site": "HIDIVE",
                        "url": f"https://www.hidive.com/tv/{media_id}",
                        "type": "STREAMING",
                    },
                ],
            )
        )
        if kind in (0, 1):
            # Airing weekly: the next episode within the coming week, and the one after.
            first = start + 3_600 + rng.randrange(WEEK - 7_200)
            episode = rng.randint(2, 10)
            for step in range(4):
                shows.add_airing(media_id, episode + step, first + step * WEEK)
        elif kind == 2:
            # Premiering in the window: episode 1, then weekly.
            first = start + DAY + rng.randrange(12 * DAY)
            for step in range(3):
                shows.add_airing(media_id, 1 + step, first + step * WEEK)
    return shows


class StandinThread:
    """The stand-in on an event loop in a thread of its own, with its CPU clock."""

    def __init__(self, shows: Catalogue, clock: FakeClock) -> None:
        self.standin = AniListStandin(shows, clock=clock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="anilist-standin")

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.standin.start(), self._loop).result()
        return self.standin.url

    def cpu_seconds(self) -> float:
        ident = self._thread.ident
        assert ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(ident))

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.standin.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


# ----------------------------------------------------------------- measuring the store
@dataclass
class TimedStore:
    """The catalog service, with the wall and CPU time spent in it (its transactions)."""

    catalog: CatalogService
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    calls: int = 0

    async def _timed(self, call: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return await call
        finally:
            self.seconds += time.perf_counter() - wall
            self.cpu_seconds += time.process_time() - cpu
            self.calls += 1

    async def shows_to_sync(self, now: datetime) -> list[int]:
        result: list[int] = await self._timed(self.catalog.shows_to_sync(now))
        return result

    async def apply_media(self, media: Sequence[CatalogMedia], now: datetime) -> None:
        await self._timed(self.catalog.apply_media(media, now))

    async def apply_airings(
        self,
        anilist_ids: Sequence[int],
        airings: Sequence[Airing],
        window_end: datetime,
        now: datetime,
    ) -> list[tuple[int, int]]:
        result: list[tuple[int, int]] = await self._timed(
            self.catalog.apply_airings(anilist_ids, airings, window_end, now)
        )
        return result

    async def confirm_vanished(
        self, anilist_id: int, episode: int, airings_of_show: Sequence[Airing], now: datetime
    ) -> None:
        await self._timed(self.catalog.confirm_vanished(anilist_id, episode, airings_of_show, now))


def bound(shows: int, airings: int) -> int:
    """design.md's bound on one sync's requests (retries and re-checks aside)."""
    if shows == 0:
        return 0
    return math.ceil(shows / 50) + math.ceil(airings / 50) + math.ceil(shows / 500) - 1


@dataclass
class SyncRun:
    name: str
    shows: int
    airings: int
    requests: int
    #: Vanished airings re-checked, and the requests that took (one a show).
    rechecked: int
    recheck_requests: int
    retries_429: int
    most_in_a_minute: int
    injected_seconds: float
    real_seconds: float
    bot_cpu_seconds: float
    store_seconds: float
    store_cpu_seconds: float
    complete: bool
    notes: list[str] = field(default_factory=list)


async def _timed_sync(
    name: str,
    sync: AniListSync,
    store: TimedStore,
    standin: StandinThread,
    clock: FakeClock,
) -> SyncRun:
    store.seconds = store.cpu_seconds = 0.0
    standin.standin.requests.clear()
    started_at = clock.now
    wall, cpu, standin_cpu = time.perf_counter(), time.process_time(), standin.cpu_seconds()
    report: SyncReport = await sync.run_once(clock.now)
    real = time.perf_counter() - wall
    bot_cpu = (time.process_time() - cpu) - (standin.cpu_seconds() - standin_cpu)
    requests = standin.standin.requests
    return SyncRun(
        name=name,
        shows=report.shows,
        airings=report.airings,
        requests=report.requests,
        rechecked=report.rechecked,
        recheck_requests=sum(1 for r in requests if r.root == "Media"),
        retries_429=standin.standin.count_429s(),
        most_in_a_minute=standin.standin.requests_in_any_minute() if requests else 0,
        injected_seconds=(clock.now - started_at).total_seconds(),
        real_seconds=real,
        bot_cpu_seconds=bot_cpu,
        store_seconds=store.seconds,
        store_cpu_seconds=store.cpu_seconds,
        complete=report.complete,
    )


async def _import(
    client: AniListClient, catalog: CatalogService, ids: list[int], clock: FakeClock
) -> None:
    """Follow every show as `/anilist follow` does: fetch it, then import and follow it in
    one guild (a fifth of them in a second guild too)."""
    media: list[CatalogMedia] = []
    for chunk in chunks(ids, MEDIA_IDS_PER_REQUEST):
        media += await client.media(chunk, Priority.SYNC)
    airings: dict[int, list[Airing]] = {}
    for id_list in chunks(ids, AIRING_IDS_PER_LIST):
        for airing in await client.airings(id_list, clock.now, clock.now + WINDOW):
            airings.setdefault(airing.anilist_id, []).append(airing)
    for index, item in enumerate(media):
        guilds = [index % GUILDS] + ([(index + 7) % GUILDS] if index % 5 == 0 else [])
        for guild in guilds:
            await catalog.follow(
                _guild_id(guild),
                item,
                airings.get(item.anilist_id, ()),
                channel_id=None,
                role_id=None,
                episodes=index % 10 != 0,
                now=clock.now,
            )


def _guild_id(index: int) -> int:
    return 10_000 + index


def _change_the_schedule(shows: Catalogue, now: datetime, rng: random.Random) -> dict[str, int]:
    """What AniList's editors might do between two syncs half an hour apart."""
    start, end = int(now.timestamp()), int((now + WINDOW).timestamp())
    in_window = [a for a in shows.airings if start < a.airing_at < end]
    moved = rng.sample(in_window, max(1, len(in_window) // 50))
    for airing in moved:
        airing.airing_at += DAY  # a notice-worthy move
    announced = [m for m in shows.media.values() if (m.id - FIRST_ID) % 4 == 3]
    premiering = rng.sample(announced, max(1, len(announced) // 50))
    for media in premiering:
        shows.add_airing(media.id, 1, start + 2 * DAY + rng.randrange(10 * DAY))
    vanished = [a for a in in_window if a not in moved][: max(1, len(in_window) // 500)]
    for airing in vanished:
        shows.airings.remove(airing)
    cancelled = rng.sample(list(shows.media.values()), max(1, len(shows.media) // 200))
    for media in cancelled:
        shows.cancel(media.id, now)
    return {
        "moved": len(moved),
        "premiering": len(premiering),
        "vanished": len(vanished),
        "cancelled": len(cancelled),
    }


# ----------------------------------------------------------------- autocomplete
def _queries(shows: Catalogue, count: int, rng: random.Random) -> list[str]:
    """What moderators type: title prefixes of 1-12 characters, a word of a title, an
    English title's start, and misses."""
    media = list(shows.media.values())
    typed: list[str] = []
    while len(typed) < count:
        show = rng.choice(media)
        roll = rng.random()
        if roll < 0.5:
            typed.append((show.romaji or "")[: rng.randint(1, 12)])
        elif roll < 0.75:
            typed.append(rng.choice((show.romaji or "x").split()[:-1] or ["x"]))
        elif roll < 0.9 and show.english:
            typed.append(show.english[: rng.randint(3, 14)])
        else:
            typed.append("".join(rng.choices("qxzvj", k=rng.randint(3, 6))))
    return [q.strip() or "a" for q in typed]


async def _autocomplete(
    client: AniListClient,
    catalog: CatalogService,
    standin: StandinThread,
    clock: FakeClock,
    queries: list[str],
) -> dict[str, Any]:
    autocomplete = AniListAutocomplete(client, catalog.search, clock=clock)
    distinct = list(dict.fromkeys(queries))
    # Warm the cache as typing would, one search a limiter slot (the clock moves 2 s).
    for query in distinct:
        await clock.sleep(60 / BUDGET_PER_MINUTE)
        await autocomplete.choices(query)
    asked = len(standin.standin.requests)
    times: list[float] = []
    answered = 0
    for query in queries:
        started = time.perf_counter()
        choices = await autocomplete.choices(query)
        times.append(time.perf_counter() - started)
        answered += bool(choices)
    return {
        "queries": len(queries),
        "distinct": len(distinct),
        "answered": answered,
        "asked_anilist_while_measured": len(standin.standin.requests) - asked,
        "p50_ms": 1000 * percentile(times, 50),
        "p99_ms": 1000 * percentile(times, 99),
        "max_ms": 1000 * max(times),
    }


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ----------------------------------------------------------------- one size
async def _measure(count: int, queries: int, folder: Path) -> dict[str, Any]:
    clock = FakeClock()
    shows = catalogue(count, clock.now)
    standin = StandinThread(shows, clock)
    url = standin.start()
    database = await Database.open(folder / "anilist.db")
    limiter = AniListLimiter(BUDGET_PER_MINUTE, clock=clock, sleep=clock.sleep)
    client = AniListClient(limiter, url=url, clock=clock, sleep=clock.sleep)
    try:
        changes = Changes(database, clock, lambda guild_id: None, timedelta(seconds=60))
        catalog = CatalogService(changes)
        async with database.transaction() as tx:
            for guild in range(GUILDS):
                await settings.save_guild_settings(
                    tx,
                    GuildSettings(
                        _guild_id(guild),
                        channel_id=20_000 + guild,
                        channel_since=clock.now - timedelta(days=30),
                    ),
                    clock.now - timedelta(days=30),
                )
        seeded = time.perf_counter()
        await _import(client, catalog, sorted(shows.media), clock)
        seed_seconds = time.perf_counter() - seeded
        async with database.snapshot() as tx:
            row = await tx.fetchone(
                "SELECT (SELECT count(*) FROM releases), (SELECT count(*) FROM deliveries), "
                "(SELECT count(*) FROM follows)"
            )
        assert row is not None
        releases, deliveries, follows = row[0], row[1], row[2]

        store = TimedStore(catalog)
        sync = AniListSync(client, store, window=WINDOW, clock=clock)
        runs = [await _timed_sync("unchanged", sync, store, standin, clock)]
        clock.now += SYNC_INTERVAL - timedelta(seconds=runs[0].injected_seconds)
        changed = _change_the_schedule(shows, clock.now, random.Random(count))
        runs.append(await _timed_sync("changed", sync, store, standin, clock))
        async with database.snapshot() as tx:
            row = await tx.fetchone("SELECT count(*) FROM deliveries")
        assert row is not None
        deliveries_after = row[0]

        typed = _queries(shows, queries, random.Random(7))
        completion = await _autocomplete(client, catalog, standin, clock, typed)
    finally:
        await client.close()
        await database.close()
        standin.stop()
    return {
        "shows": count,
        "follows": follows,
        "releases": releases,
        "deliveries": deliveries,
        "deliveries_after": deliveries_after,
        "seed_seconds": seed_seconds,
        "changed": changed,
        "runs": [run.__dict__ for run in runs],
        "autocomplete": completion,
    }


def measure(count: int, queries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="airdate-bench-anilist-") as folder:
        return asyncio.run(_measure(count, queries, Path(folder)))


def _sizes(quick: bool) -> tuple[list[int], int]:
    return ([100, 300], 60) if quick else ([1_000, 10_000], 300)


def _measure_in_fresh_process(count: int, queries: int) -> dict[str, Any]:
    """`measure` in a process of its own: nothing left behind by the size before."""
    command = [
        sys.executable,
        "-m",
        "bench.anilist",
        "--json",
        "--size",
        str(count),
        "--queries",
        str(queries),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"bench.anilist --size {count} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ----------------------------------------------------------------- the section
def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


SYNC_HEADER = (
    "| N | sync | shows synced | airings A | requests | bound + re-checks | most in any minute "
    f"| 429s | at {BUDGET_PER_MINUTE}/min | real | bot CPU / show | database / show "
    "| requests · CPU < 1 ms |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def section(results: Sequence[dict[str, Any]], quick: bool) -> str:
    command = "python -m bench.anilist" + (" --quick" if quick else "") + " --write"
    sync_rows = []
    for result in results:
        for run in result["runs"]:
            shows, airings = run["shows"], run["airings"]
            limit = bound(shows, airings)
            allowed = limit + run["recheck_requests"]
            cpu_ms = 1000 * run["bot_cpu_seconds"] / shows
            store_ms = 1000 * run["store_seconds"] / shows
            minutes = run["injected_seconds"] / 60
            sync_rows.append(
                f"| {result['shows']:,} | {run['name']} | {shows:,} | {airings:,} | "
                f"{run['requests']} | {limit} + {run['recheck_requests']} | "
                f"{run['most_in_a_minute']} | {run['retries_429']} | {minutes:.1f} min | "
                f"{run['real_seconds']:.1f} s | **{cpu_ms:.2f} ms** | {store_ms:.2f} ms | "
                f"{_verdict(run['requests'] <= allowed and run['complete'])} · "
                f"{_verdict(cpu_ms < TARGET_CPU_MS)} |"
            )
    completion_rows = []
    for result in results:
        done = result["autocomplete"]
        completion_rows.append(
            f"| {result['shows']:,} | {done['queries']} ({done['distinct']} distinct) | "
            f"{done['answered']} | {done['asked_anilist_while_measured']} | "
            f"{done['p50_ms']:.1f} ms | **{done['p99_ms']:.1f} ms** | {done['max_ms']:.1f} ms | "
            f"< {TARGET_AUTOCOMPLETE_MS:.0f} ms: "
            f"{_verdict(done['p99_ms'] < TARGET_AUTOCOMPLETE_MS)} |"
        )
    seeds = "; ".join(
        f"N = {r['shows']:,}: {r['follows']:,} follows, {r['releases']:,} releases, "
        f"{r['deliveries']:,} outbox rows, imported in {r['seed_seconds']:.0f} s"
        for r in results
    )
    changes = "; ".join(
        f"N = {r['shows']:,}: {c['moved']} airings moved a day later, {c['premiering']} "
        f"announced shows gained their premiere, {c['vanished']} airings vanished, "
        f"{c['cancelled']} shows cancelled"
        for r in results
        for c in [r["changed"]]
    )
    sync_table = "\n".join(sync_rows)
    completion_table = "\n".join(completion_rows)
    return f"""{SECTION_TITLE} (issue 9)

Command: `make bench` (this section alone: `{command}`; each size in a fresh process).
The real `AniListSync.run_once` with the real `AniListClient` and `AniListLimiter`
({BUDGET_PER_MINUTE}/min) against the AniList stand-in (`tests/anilist_standin`, degraded
mode: headers say 90, the 31st request in a minute gets a 429) over loopback, into the real
`CatalogService` on a migrated SQLite database. N anime are followed by {GUILDS} guilds (a
fifth of them by two; default reminders 7d 1d 1h): half air weekly (two episodes in the
14-day window), a quarter premiere within it, a quarter are announced (a start date, no
airings); each has three titles, a synopsis, a cover and two streaming links. They are
imported first through `CatalogService.follow` ({seeds}). Then two syncs: *unchanged*
right after the import, and *changed* half an hour later ({changes}).

The clock is injected: the limiter's waits advance it at once, so *at {BUDGET_PER_MINUTE}/min*
is the sync's length on that clock, *real* the wall time it took here. *Bot CPU* is the
process's CPU time over the sync minus the stand-in's, which runs on its own event loop in
a thread of its own and is read from that thread's CPU clock
(`time.pthread_getcpuclockid`); it counts the client (HTTP, JSON, parsing), the limiter,
the service and SQLite (aiosqlite's thread). *Database* is the wall time inside the
catalog service's calls (its transactions: reading what is stored, writing what changed,
reconciling the outbox of every guild following a changed release). The request bound is
design.md's ceil(N/50) + ceil(A/50) + ceil(N/500) - 1, plus one re-check per show with
airings that vanished from the window.

{SYNC_HEADER}
{sync_table}

`/anilist follow` autocomplete: `AniListAutocomplete.choices` over the same catalog, its
catalog part `CatalogService.search` (every title and synonym of the catalog's shows), on
typed text as moderators type it (title prefixes of 1-12 characters, a word of a title, an
English title's start, misses). The cache is warm: each distinct text was typed once
before (one AniList search each, a limiter slot apart), so the measured pass asks AniList
nothing; time is the whole call.

| N | keystrokes | with choices | AniList requests while measured | p50 | p99 | max | target p99 |
|---:|---:|---:|---:|---:|---:|---:|---|
{completion_table}

What this benchmark changed (earlier runs of it, same machine). A sync first cost about ten
statements a show (each show looked up twice, its releases read twice, its metadata read,
then rewritten with its streaming links whether AniList had changed it or not): 0.73 ms of
bot CPU a show at N = 1,000 (0.99 ms in the changed sync) and 0.69 ms (1.21 ms) of
database. A batch now reads its shows, their stored metadata and their releases in one
statement each and writes only the shows AniList changed. At N = 10,000 the cost a show
then still grew (0.40 ms; 0.71 ms changed): SQLite read each batch's releases through
`guild_id IS NULL`, every catalog release for each batch; the id list now drives that
join. The catalog search (a LIKE over every title, which no index can seek) read each
wide catalog row with its synopsis: autocomplete's p99 was 13.9 ms (max 29.2 ms) at
N = 10,000; migration 0009 gives it a narrow index holding the key and what it sorts by.
`tests/storage/test_catalog_plans.py` pins all three.
"""


def run(quick: bool = False) -> str:
    """Run the AniList benchmark and return its section of bench/RESULTS.md."""
    sizes, queries = _sizes(quick)
    return section([_measure_in_fresh_process(count, queries) for count in sizes], quick)


def write_section(text: str, results: Path = RESULTS) -> None:
    """Put this section into RESULTS.md in place of its previous one (else at the end)."""
    current = results.read_text(encoding="utf-8") if results.exists() else ""
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", current).rstrip("\n") + "\n"
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    results.write_text(updated, encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    quick = "--quick" in argv
    if "--json" in argv:
        count = int(argv[list(argv).index("--size") + 1])
        queries = int(argv[list(argv).index("--queries") + 1])
        print(json.dumps(measure(count, queries)))
        return 0
    text = run(quick)
    print(text)
    if "--write" in argv:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
