"""The catalog's storage: migrating a database that has guild releases, and catalog shows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.catalog import CatalogMedia, FuzzyDate, StreamingLink, TitleLanguage, Titles
from bot.domain.catalog_view import airing_time
from bot.domain.models import ReleaseStatus
from bot.storage import catalog, releases, settings
from bot.storage.database import Database

NOW = datetime(2024, 7, 1, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[2] / "bot" / "storage" / "migrations"


async def test_migrating_keeps_guild_releases_and_what_was_sent_about_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "airdate.db"
    with sqlite3.connect(path) as old:
        for script in sorted(MIGRATIONS.glob("*.sql")):
            if int(script.name[:4]) < 8:
                old.executescript(script.read_text(encoding="utf-8"))
        old.execute("PRAGMA user_version = 7")
        old.execute(
            "INSERT INTO shows (id, guild_id, title, title_key, created_at) "
            "VALUES (5, 1001, 'Frieren', 'frieren', 0)"
        )
        old.execute(
            "INSERT INTO releases (id, show_id, guild_id, label, starts_at, precision, timezone, "
            "status, revision, created_at, updated_at, revised_at) "
            "VALUES (9, 5, 1001, 'Season 2', 1767225600, 'exact', 'UTC', 'scheduled', 2, 0, 0, 1)"
        )
        old.execute(
            "INSERT INTO deliveries (release_id, guild_id, kind, offset_seconds, revision, "
            "target_id, due_at, status, created_at) "
            "VALUES (9, 1001, 'reminder', 3600, 2, 111, 1767222000, 'sent', 0)"
        )
    database = await Database.open(path)
    try:
        async with database.transaction() as tx:
            release = await releases.release_by_id(tx, 9)
            assert release is not None
            assert (release.display_title, release.revision, release.episode) == (
                "Frieren — Season 2",
                2,
                None,
            )
            assert await tx.fetchall("PRAGMA foreign_key_check") == []
            sent = await tx.fetchall("SELECT release_id, status FROM deliveries")
            assert [tuple(row) for row in sent] == [(9, "sent")]
            guild = await settings.guild_settings(tx, 1001)
            assert guild.title_language is TitleLanguage.ROMAJI and not guild.delay_after
    finally:
        await database.close()


async def test_a_catalog_show_is_stored_once_with_everything_anilist_said(
    tmp_path: Path,
) -> None:
    media = CatalogMedia(
        anilist_id=1,
        titles=Titles(None, "Cowboy Bebop", "カウボーイビバップ"),
        site_url="https://anilist.co/anime/1",
        is_adult=False,
        synonyms=("CB",),
        start_date=FuzzyDate(1998, 4),
        streaming=(
            StreamingLink("Crunchyroll", "https://a"),
            StreamingLink("Netflix", "https://b"),
        ),
    )
    database = await Database.open(tmp_path / "airdate.db")
    try:
        async with database.transaction() as tx:
            first = await catalog.save_media(tx, media, NOW)
            again = await catalog.save_media(tx, media, NOW)
            assert first.show.id == again.show.id
            assert first.show.guild_id is None and first.show.title == "Cowboy Bebop"
            stored = (await catalog.media_of(tx, [first.show.id]))[first.show.id]
            assert stored == media
            assert catalog.search_key(media) == "cowboy bebop\nカウボーイビバップ\ncb"
            assert await catalog.show_releases(tx, first.show.id) == {}
            assert await catalog.synced_anilist_ids(tx) == []  # nobody follows it yet
            release_id = await catalog.insert_release(
                tx,
                first.show,
                1,
                "Episode 1",
                airing_time(1767225600),
                ReleaseStatus.SCHEDULED,
                NOW,
            )
            assert (await catalog.show_releases(tx, first.show.id))[1].id == release_id
    finally:
        await database.close()
