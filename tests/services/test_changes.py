"""A guild's change wakes the engine once it is committed, never before, never if undone."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.changes import Changes
from bot.storage.database import Database

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "airdate.db")
    yield database
    await database.close()


async def test_the_engine_hears_of_a_change_after_it_is_committed(
    db: Database, tmp_path: Path
) -> None:
    seen_when_woken: list[list[tuple[str]]] = []

    def on_changed(guild_id: int) -> None:
        # What another connection (the engine's) reads when woken: the change is there.
        with sqlite3.connect(tmp_path / "airdate.db") as other:
            seen_when_woken.append(
                other.execute("SELECT value FROM meta WHERE key = 'probe'").fetchall()
            )

    changes = Changes(db, lambda: NOW, on_changed)
    async with changes.guild(42) as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
        assert seen_when_woken == []
    assert seen_when_woken == [[("x",)]]


async def test_a_change_that_fails_is_rolled_back_and_wakes_nobody(db: Database) -> None:
    heard: list[int] = []
    changes = Changes(db, lambda: NOW, heard.append)
    with pytest.raises(RuntimeError):
        async with changes.guild(42) as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
            raise RuntimeError("a bug mid-change")
    async with changes.read() as tx:
        assert await tx.fetchall("SELECT value FROM meta WHERE key = 'probe'") == []
    assert heard == []
    # The control: the same change that succeeds is heard.
    async with changes.guild(42) as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
    assert heard == [42]
