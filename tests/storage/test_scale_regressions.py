"""What the scale benchmarks found fragile, pinned: index use, search semantics, batching."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime
from bot.storage import follows, releases, search, shows
from bot.storage.database import Database, Transaction

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GUILD = 1001
OTHER_GUILD = 2002
WORDS = ["oshi", "no", "ko", "frieren", "sousou", "kaiju", "straße", "épée", "100%", "a_b", 'o"k']


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "airdate.db")
    yield database
    await database.close()


class StatementLog:
    """Records every query a Transaction runs (to check plans and count round trips)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []
        original_all, original_one = Transaction.fetchall, Transaction.fetchone

        async def fetchall(tx: Transaction, sql: str, params: Any = ()) -> Any:
            self.statements.append((sql, tuple(params)))
            return await original_all(tx, sql, params)

        async def fetchone(tx: Transaction, sql: str, params: Any = ()) -> Any:
            self.statements.append((sql, tuple(params)))
            return await original_one(tx, sql, params)

        monkeypatch.setattr(Transaction, "fetchall", fetchall)
        monkeypatch.setattr(Transaction, "fetchone", fetchone)

    def plans(self, path: Path) -> list[str]:
        with sqlite3.connect(path) as connection:
            connection.create_function("casefold", 1, lambda v: v, deterministic=True)
            return [
                " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", p))
                for sql, p in self.statements
            ]


async def fill(db: Database, show_count: int, per_show: int, seed: int = 1) -> list[Release]:
    rng = random.Random(seed)
    added = []
    async with db.transaction() as tx:
        for number in range(show_count):
            title = " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" {number}"
            guild = OTHER_GUILD if number % 7 == 0 else GUILD
            show = await shows.find_or_create_show(tx, guild, title, NOW)
            for episode in range(per_show):
                roll = rng.random()
                if roll < 0.1:
                    time = ReleaseTime(None, Precision.TBA, "UTC")
                else:
                    days = rng.randint(-100, 400)
                    time = ReleaseTime(NOW + timedelta(days=days), Precision.EXACT, "UTC")
                label = rng.choice([f"Episode {episode + 1}", "Épisode Spécial", None, "Movie"])
                release = await releases.insert_release(tx, show, label, time, NOW)
                if rng.random() < 0.1:
                    await releases.set_status(tx, release.id, ReleaseStatus.CANCELLED)
                else:
                    added.append(release)
    return added


def naive_search(candidates: list[Release], typed: str, limit: int = 25) -> list[int]:
    """The search's contract, written plainly: every word in the title or the label."""
    words = [w for w in typed.split() if w not in ("—", "-")][:6] or [""]
    found = [
        r
        for r in candidates
        if r.show.guild_id == GUILD
        and all(
            w.casefold() in " ".join(r.show.title.casefold().split())
            or w.casefold() in (r.label or "").casefold()
            for w in words
        )
    ]
    moment = int(NOW.timestamp())

    def order(r: Release) -> tuple[int, int, int, int]:
        at = None if r.time.at is None else int(r.time.at.timestamp())
        return (at is None, at is not None and at < moment, at or 0, r.id)

    return [r.id for r in sorted(found, key=order)[:limit]]


QUERIES = ["", "o", "no", "oshi", "ko 1", "épisode", "ÉPISODE sp", "straße", "STRASSE", "100%",
           "%", "_", "a_b", "episode 2 kaiju", "frieren ko no", "movie", "zzz", "sousou 3 movie",
           "— ko", "1",
           # Words common alone but rare together, in titles or labels.
           "frieren kaiju", "no ko", "ko sousou 5", "oshi épi 1", "ko ko", "sp movie",
           # Short words: a title's last characters, a letter no title has, labels only.
           "59", "4", "u", "q", "sp", "é", "ß", "ss", '"', 'o"', 'o"k', 'y"h',
           # Characters at the ends of Unicode, around its surrogates.
           "\U0010ffff", "a\U0010ffff", "\ud7ff"]  # fmt: skip


#: Settings that send every search down one path (and one that mixes them).
BIG = 10**9
STRATEGIES = {
    # The first rows of the display order answer everything.
    "walk": {"PROBE_ROWS": BIG},
    # No show list from the title index: the walk tests titles row by row.
    "walk testing titles": {"PROBE_ROWS": 0, "SHOW_SET_CAP": 0, "LOOKUP_BY_LABELS": 0},
    # Each label group's shows from the title index, then a walk testing show and label.
    "walk testing shows": {"PROBE_ROWS": 0, "SHOW_SET_CAP": BIG, "SET_WALK_ROWS": BIG},
    # Each group's releases fetched through its shows and sorted.
    "lookup by shows": {
        "PROBE_ROWS": 0,
        "SHOW_SET_CAP": BIG,
        "SET_WALK_ROWS": 0,
        "LOOKUP_BY_SHOWS": BIG,
    },
    # Each group's releases fetched through its labels, titles tested row by row.
    "lookup by labels": {"PROBE_ROWS": 0, "SHOW_SET_CAP": 0, "LOOKUP_BY_LABELS": BIG},
    # ... with the group's shows listed from the title index.
    "lookup by labels, shows listed": {
        "PROBE_ROWS": 0,
        "SHOW_SET_CAP": BIG,
        "SET_WALK_ROWS": 0,
        "LOOKUP_BY_SHOWS": 0,
        "LOOKUP_BY_LABELS": BIG,
    },
    # Too sparse for a short walk, too many to fetch: the walk goes on to the end.
    "walk after the lookups": {
        "PROBE_ROWS": 0,
        "SHOW_SET_CAP": BIG,
        "SET_WALK_ROWS": 0,
        "LOOKUP_BY_SHOWS": 0,
        "LOOKUP_BY_LABELS": 0,
    },
    "mixed": {
        "PROBE_ROWS": 7,
        "SHOW_SET_CAP": 12,
        "SET_WALK_ROWS": 9,
        "LOOKUP_BY_SHOWS": 40,
        "LOOKUP_BY_LABELS": 40,
        "MAX_SHORT_TERMS": 3,
    },
}


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
async def test_search_gives_the_same_answer_by_either_strategy(
    db: Database, monkeypatch: pytest.MonkeyPatch, strategy: dict[str, int]
) -> None:
    # Every way of answering must agree with the plain contract.
    for name, value in strategy.items():
        monkeypatch.setattr(search, name, value)
    added = await fill(db, show_count=60, per_show=6)
    async with db.snapshot() as tx:
        for typed in QUERIES:
            for limit in (25, 3):
                found = await search.search_releases(tx, GUILD, typed, NOW, limit=limit)
                assert [r.id for r in found] == naive_search(added, typed, limit), typed


async def test_search_without_a_label_list_still_answers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MAX_DISTINCT_LABELS", 2)
    added = await fill(db, show_count=30, per_show=5)
    async with db.snapshot() as tx:
        for typed in QUERIES:
            found = await search.search_releases(tx, GUILD, typed, NOW)
            assert [r.id for r in found] == naive_search(added, typed), typed


async def test_title_index_follows_renamed_and_deleted_shows(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as tx:
        show = await shows.find_or_create_show(tx, GUILD, "Frieren", NOW)
        at = ReleaseTime(NOW + timedelta(days=1), Precision.EXACT, "UTC")
        await releases.insert_release(tx, show, "Season 2", at, NOW)
        await shows.update_show(tx, type(show)(show.id, GUILD, "Sousou no Kaiju"))
        # A control that stays: the searches below must still find something.
        kept = await shows.find_or_create_show(tx, GUILD, "Kaiju Ni", NOW)
        await releases.insert_release(tx, kept, "Season 1", at, NOW)
    for probe_rows in (10**9, 0):  # the walk alone, then the title index
        monkeypatch.setattr(search, "PROBE_ROWS", probe_rows)
        async with db.snapshot() as tx:
            assert await search.search_releases(tx, GUILD, "frieren", NOW) == []
            assert await search.search_releases(tx, GUILD, "fr", NOW) == []
            both = await search.search_releases(tx, GUILD, "kaiju", NOW)
            assert [r.show.title for r in both] == ["Sousou no Kaiju", "Kaiju Ni"]
            # Two letters that end a title: found through the padding after it.
            [found] = await search.search_releases(tx, GUILD, "ni", NOW)
            assert found.show.title == "Kaiju Ni"
    async with db.snapshot() as tx:
        hits = await tx.fetchall(
            "SELECT rowid FROM shows_title_trigrams WHERE shows_title_trigrams MATCH ?",
            ('"kaiju"',),
        )
        assert sorted(row[0] for row in hits) == [show.id, kept.id]
        ends = await tx.fetchall("SELECT 1 FROM shows_title_terms WHERE term = 'u  '")
        assert ends, "the padded end of 'sousou no kaiju' is indexed"
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM releases WHERE show_id = ?", (show.id,))
        await tx.execute("DELETE FROM shows WHERE id = ?", (show.id,))
    async with db.snapshot() as tx:
        hits = await tx.fetchall(
            "SELECT rowid FROM shows_title_trigrams WHERE shows_title_trigrams MATCH ?",
            ('"kaiju"',),
        )
        assert [row[0] for row in hits] == [kept.id]
        assert not await tx.fetchall("SELECT 1 FROM shows_title_terms WHERE term = 'u  '")
        assert await search.search_releases(tx, GUILD, "sousou", NOW) == []
        assert len(await search.search_releases(tx, GUILD, "kaiju", NOW)) == 1


async def test_upgrading_indexes_the_titles_already_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database from before the padded title index: its shows are found by short words.
    path = tmp_path / "old.db"
    migrations = Path(search.__file__).parent / "migrations"
    with sqlite3.connect(path) as old:
        for script in sorted(migrations.glob("000[1-5]_*.sql")):
            old.executescript(script.read_text(encoding="utf-8"))
        old.execute("PRAGMA user_version = 5")
        old.execute(
            "INSERT INTO shows (id, guild_id, title, title_key, created_at) "
            "VALUES (7, ?, 'Sousou no Kaiju', 'sousou no kaiju', 0)",
            (GUILD,),
        )
        old.execute(
            "INSERT INTO releases (show_id, guild_id, label, starts_at, precision, timezone, "
            "created_at, updated_at) VALUES (7, ?, 'Episode 1', ?, 'exact', 'UTC', 0, 0)",
            (GUILD, int(NOW.timestamp()) + 3600),
        )
    monkeypatch.setattr(search, "PROBE_ROWS", 0)  # straight to the title index
    database = await Database.open(path)
    try:
        async with database.snapshot() as tx:
            for typed in ["ju", "u", "kaiju", "no ep"]:
                found = await search.search_releases(tx, GUILD, typed, NOW)
                assert [r.show.id for r in found] == [7], typed
            assert await search.search_releases(tx, GUILD, "jx", NOW) == []
    finally:
        await database.close()


async def test_searches_and_upcoming_never_scan_every_release(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With a million releases, a full scan is seconds: every statement must seek an index.
    await fill(db, show_count=40, per_show=5)
    log = StatementLog(monkeypatch)
    async with db.snapshot() as tx:
        for typed in ["zzz", "oshi", "oshi 1", "ko", "épisode"]:
            await search.search_releases(tx, GUILD, typed, NOW)
        await releases.upcoming_releases(tx, GUILD, NOW, NOW + timedelta(days=365), 100)
    plans = log.plans(tmp_path / "airdate.db")
    assert plans
    for plan in plans:
        assert "SCAN r " not in f"{plan} " and "SCAN releases" not in plan, plan
    upcoming = plans[-1]
    assert "releases_live_by_guild_start" in upcoming and "TEMP B-TREE" not in upcoming


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
async def test_every_way_of_searching_seeks_an_index(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, strategy: dict[str, int]
) -> None:
    # Each path of the search, forced in turn: no statement reads every release, and no
    # walk in display order sorts what it walks.
    for name, value in strategy.items():
        monkeypatch.setattr(search, name, value)
    await fill(db, show_count=40, per_show=5)
    log = StatementLog(monkeypatch)
    async with db.snapshot() as tx:
        for typed in ["zzz", "oshi", "oshi 1", "ko", "épisode", "no ko", "o", "sp movie"]:
            await search.search_releases(tx, GUILD, typed, NOW)
    plans = log.plans(tmp_path / "airdate.db")
    assert len(plans) > 8
    for (sql, _), plan in zip(log.statements, plans, strict=True):
        for alias in ("r", "w", "releases"):
            assert f"SCAN {alias} " not in f"{plan} ", plan
        if sql.lstrip().startswith("SELECT w.id"):
            assert "releases_live_by_guild_start" in plan and "TEMP B-TREE" not in plan, plan


async def test_a_claim_reads_follows_and_releases_in_one_query_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted by SQLite itself (its trace callback), whichever way the storage calls it.
    statements = trace_statements(monkeypatch)
    db = await Database.open(tmp_path / "traced.db")
    try:
        async with db.transaction() as tx:
            show = await shows.find_or_create_show(tx, GUILD, "Frieren", NOW)
            at = ReleaseTime(NOW + timedelta(days=1), Precision.EXACT, "UTC")
            made = [await releases.insert_release(tx, show, f"Ep {i}", at, NOW) for i in range(3)]
            await follows.save_follow(
                tx, guild_id=GUILD, channel_id=5, show_id=None, role_id=9, episodes=True, now=NOW
            )
        async with db.snapshot() as tx:
            statements.clear()
            by_channel = await follows.follows_of_channels(tx, [5, 6, 5, 7, 8])
            follow_queries = list(statements)
            statements.clear()
            wanted = [r.id for r in made] + [made[0].id, 999]
            by_id = await releases.releases_by_ids(tx, wanted)
            release_queries = list(statements)
    finally:
        await db.close()
    assert sorted(by_channel) == [5, 6, 7, 8]
    assert by_channel[6] == [] and [f.role_id for f in by_channel[5]] == [9]
    assert by_id == {r.id: r for r in made}
    assert len(follow_queries) == 1 and "FROM follows" in follow_queries[0], follow_queries
    assert len(release_queries) == 1 and "FROM releases" in release_queries[0], release_queries


def trace_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Collect every statement SQLite runs on connections opened from now on."""
    statements: list[str] = []
    connect = aiosqlite.connect

    async def traced(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
        connection = await connect(*args, **kwargs)
        await connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(aiosqlite, "connect", traced)
    return statements
