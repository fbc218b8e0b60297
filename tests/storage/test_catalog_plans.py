"""What the AniList benchmark found fragile, pinned: a sync's reads are set-wise and seek
indexes, and the catalog search scans a narrow index, not each wide catalog row."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.catalog import Airing, CatalogMedia, Titles
from bot.domain.catalog_view import airing_time
from bot.domain.models import ReleaseStatus
from bot.services.catalog import CatalogService
from bot.services.changes import Changes
from bot.storage import catalog
from bot.storage.database import Database
from tests.storage.test_scale_regressions import StatementLog

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


def media(anilist_id: int) -> CatalogMedia:
    return CatalogMedia(
        anilist_id=anilist_id,
        titles=Titles(f"Show {anilist_id}", f"English {anilist_id}"),
        site_url=f"https://anilist.co/anime/{anilist_id}",
        is_adult=False,
        synopsis="A synopsis long enough to make the catalog row wide. " * 10,
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "airdate.db")
    async with database.transaction() as tx:
        for anilist_id in range(1, 21):
            show = await catalog.save_media(tx, media(anilist_id), NOW)
            for episode in (1, 2):
                await catalog.insert_release(
                    tx,
                    show.show,
                    episode,
                    f"Episode {episode}",
                    airing_time(int((NOW + timedelta(days=episode)).timestamp())),
                    ReleaseStatus.SCHEDULED,
                    NOW,
                )
    yield database
    await database.close()


def service(db: Database) -> CatalogService:
    return CatalogService(Changes(db, lambda: NOW, lambda guild_id: None))


async def test_a_sync_batch_reads_as_many_statements_for_twenty_shows_as_for_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = StatementLog(monkeypatch)
    counts = []
    for ids in ([1], list(range(1, 21))):
        log.statements.clear()
        await service(db).apply_media([media(i) for i in ids], NOW)
        airings = [
            Airing(i, e, int((NOW + timedelta(days=e)).timestamp())) for i in ids for e in (1, 2)
        ]
        await service(db).apply_airings(ids, airings, NOW + timedelta(days=14), NOW)
        counts.append(len(log.statements))
    assert counts[0] == counts[1] <= 6
    # The control: a show AniList renamed is written (save_media reads it back), one it
    # did not change is not.
    log.statements.clear()
    await service(db).apply_media([media(3)], NOW)
    unchanged = len(log.statements)
    log.statements.clear()
    await service(db).apply_media([replace(media(3), titles=Titles("Renamed"))], NOW)
    assert len(log.statements) > unchanged
    async with db.snapshot() as tx:
        assert [m.anilist_id for m in await catalog.search_media(tx, "renamed")] == [3]


async def test_a_batch_s_releases_and_the_catalog_search_seek_their_indexes(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = StatementLog(monkeypatch)
    async with db.snapshot() as tx:
        found = await catalog.releases_of_shows(tx, [1, 2, 99])
        assert {show_id: sorted(e or 0 for e in r) for show_id, r in found.items()} == {
            1: [1, 2],
            2: [1, 2],
            99: [],
        }
        assert [m.anilist_id for m in await catalog.search_media(tx, "english 1")][:2] == [1, 10]
    with sqlite3.connect(tmp_path / "airdate.db") as connection:
        plans = [
            " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in log.statements
        ]
    releases_plan, search_plan = plans[0], plans[1]
    # One index seek per show listed, never a walk of every catalog release.
    assert "SEARCH r USING INDEX releases_catalog_episode (show_id=?)" in releases_plan
    assert "releases_by_guild_time" not in releases_plan
    # Every key tested in the narrow index, not in each wide row with its synopsis.
    assert "SCAN catalog_media USING COVERING INDEX catalog_media_search" in search_plan
