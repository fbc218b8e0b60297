"""Event covers in storage: kept with the row, and rows from before covers read as none."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.scheduled_events import EventSpec, Want, next_operation
from bot.storage import scheduled_events as store
from bot.storage.convert import to_epoch
from bot.storage.database import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "bot" / "storage" / "migrations"
START = datetime(2030, 1, 1, 12, tzinfo=UTC)
SPEC = EventSpec("Frieren — Season 2", None, "Frieren", START, START + timedelta(minutes=30))
COVER = "https://s4.anilist.co/file/frieren.png"


async def test_a_rows_cover_is_kept_and_changed_with_its_wish(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "airdate.db")
    try:
        async with database.transaction() as tx:
            await store.want(tx, 1, 7, Want.EVENT, SPEC)
            await store.want(tx, 1, 8, Want.EVENT, EventSpec(*_fields(SPEC), image_url=COVER))
        async with database.snapshot() as tx:
            rows = {r.row.release_id: r.row.spec for r in await store.guild_rows(tx, 1)}
        assert rows == {7: SPEC, 8: EventSpec(*_fields(SPEC), image_url=COVER)}
        async with database.transaction() as tx:
            await store.want(tx, 1, 8, Want.EVENT, SPEC)  # the show lost its cover
            stored = await store.one_row(tx, 1, 8)
        assert stored is not None and stored.row.spec.image_url is None
    finally:
        await database.close()


async def test_a_row_from_before_covers_reads_as_none_and_owes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "airdate.db"
    with sqlite3.connect(path) as old:
        for script in sorted(MIGRATIONS.glob("*.sql")):
            if int(script.name[:4]) < 14:
                old.executescript(script.read_text(encoding="utf-8"))
        old.execute("PRAGMA user_version = 13")
        old.execute(
            "INSERT INTO scheduled_events (guild_id, release_id, want, name, location, "
            "starts_at, ends_at, event_id, synced) VALUES (1, 7, 'event', ?, ?, ?, ?, 55, ?)",
            (
                SPEC.name,
                SPEC.location,
                to_epoch(SPEC.starts_at),
                to_epoch(SPEC.ends_at),
                SPEC.fingerprint,
            ),
        )
    database = await Database.open(path)
    try:
        async with database.snapshot() as tx:
            [stored] = await store.guild_rows(tx, 1)
        assert stored.row.spec == SPEC and stored.row.spec.image_url is None
        # What Discord shows is still what the row wants: the upgrade edits no event.
        assert next_operation(stored.row) is None
        # The control: the same row with a cover owes an edit.
        with_cover = EventSpec(*_fields(SPEC), image_url=COVER)
        assert next_operation(replace(stored.row, spec=with_cover)) is not None
    finally:
        await database.close()


def _fields(spec: EventSpec) -> tuple[str, str | None, str, datetime, datetime]:
    return (spec.name, spec.description, spec.location, spec.starts_at, spec.ends_at)
