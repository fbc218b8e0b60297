"""Storage against a real SQLite file: migrations, releases, settings and the outbox."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    DeliveryStatus,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
)
from bot.domain.owed import Owed, Sent, Target
from bot.storage import deliveries, follows, owed_state, releases, search, settings, shows
from bot.storage.convert import to_epoch
from bot.storage.database import Database, UnusableDatabase, newest_migration

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GUILD = 1001
OTHER_GUILD = 2002
CHANNEL = 111
OTHER_CHANNEL = 222
LEASE = timedelta(seconds=30)
MIGRATIONS = Path(__file__).resolve().parents[2] / "bot" / "storage" / "migrations"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "data" / "airdate.db")
    yield database
    await database.close()


def exact(at: datetime, zone: str = "UTC") -> ReleaseTime:
    return ReleaseTime(at, Precision.EXACT, zone)


async def add_release(
    db: Database,
    title: str,
    label: str | None = None,
    time: ReleaseTime | None = None,
    guild_id: int = GUILD,
) -> Release:
    async with db.transaction() as tx:
        show = await shows.find_or_create_show(tx, guild_id, title, NOW)
        return await releases.insert_release(
            tx, show, label, time or exact(NOW + timedelta(days=3)), NOW
        )


# --- the database itself --------------------------------------------------------------


async def test_open_applies_every_migration_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "airdate.db"
    database = await Database.open(path)
    try:
        async with database.snapshot() as tx:
            version = await tx.fetchone("PRAGMA user_version")
            journal = await tx.fetchone("PRAGMA journal_mode")
            foreign_keys = await tx.fetchone("PRAGMA foreign_keys")
            busy = await tx.fetchone("PRAGMA busy_timeout")
    finally:
        await database.close()
    shipped = sorted(MIGRATIONS.glob("*.sql"))
    assert shipped, "no migrations found next to bot/storage"
    # Numbered, not counted: branches take numbers in parallel, so there may be gaps.
    newest = newest_migration()
    assert version is not None and version[0] == newest
    assert journal is not None and journal[0] == "wal"
    assert foreign_keys is not None and foreign_keys[0] == 1
    assert busy is not None and busy[0] > 0
    # The version is in the file, not just the connection.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == newest


async def test_reopening_keeps_data_and_applies_nothing_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "airdate.db"
    first = await Database.open(path)
    await add_release(first, "Oshi no Ko", "Season 2")
    await first.close()

    caplog.set_level(logging.INFO, logger="bot.storage.database")
    second = await Database.open(path)
    try:
        assert await second.migrate() == newest_migration()
        async with second.snapshot() as tx:
            found = await releases.releases_titled(tx, GUILD, "Oshi no Ko — Season 2")
    finally:
        await second.close()
    assert [r.display_title for r in found] == ["Oshi no Ko — Season 2"]
    assert "applying migration" not in caplog.text


async def test_a_database_another_program_holds_is_refused_as_locked(tmp_path: Path) -> None:
    path = tmp_path / "airdate.db"
    await (await Database.open(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    # In WAL mode readers never wait; a program that switched it back and holds it does.
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(UnusableDatabase, match="locked by another program"):
            await Database.open(path, busy_timeout_ms=100)
    finally:
        holder.close()
    reopened = await Database.open(path)  # control: once let go, it opens
    await reopened.close()


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.insert(
                "INSERT INTO releases (show_id, guild_id, precision, timezone, created_at, "
                "updated_at) VALUES (999, ?, 'tba', 'UTC', 0, 0)",
                (GUILD,),
            )


async def test_a_transaction_that_raises_is_rolled_back(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction() as tx:
            show = await shows.find_or_create_show(tx, GUILD, "Frieren", NOW)
            await releases.insert_release(tx, show, "Season 2", exact(NOW + timedelta(days=1)), NOW)
            raise RuntimeError("boom")
    # The connection is usable again and nothing of the failed unit of work remains.
    async with db.snapshot() as tx:
        assert await search.search_releases(tx, GUILD, "frieren", NOW) == []
        count = await tx.fetchone("SELECT count(*) FROM shows")
    assert count is not None and count[0] == 0


async def test_a_transaction_that_succeeds_is_committed(tmp_path: Path) -> None:
    path = tmp_path / "airdate.db"
    database = await Database.open(path)
    await add_release(database, "Frieren", "Season 2")
    await database.close()
    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT title FROM shows").fetchall() == [("Frieren",)]


# --- shows and releases ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Oshi no Ko", "oshi no ko", "  OSHI   no\tKo ", "Oshi No Ko"])
async def test_find_or_create_show_ignores_case_and_spacing(db: Database, typed: str) -> None:
    async with db.transaction() as tx:
        first = await shows.find_or_create_show(tx, GUILD, "Oshi no Ko", NOW)
        again = await shows.find_or_create_show(tx, GUILD, typed, NOW)
        elsewhere = await shows.find_or_create_show(tx, OTHER_GUILD, typed, NOW)
    assert again == first
    assert again.title == "Oshi no Ko"
    assert elsewhere.id != first.id
    assert elsewhere.guild_id == OTHER_GUILD


async def test_different_titles_are_different_shows(db: Database) -> None:
    async with db.transaction() as tx:
        one = await shows.find_or_create_show(tx, GUILD, "Oshi no Ko", NOW)
        two = await shows.find_or_create_show(tx, GUILD, "Oshi no Ko 2", NOW)
    assert one.id != two.id


@pytest.mark.parametrize(
    "time",
    [
        exact(datetime(2024, 7, 3, 14, 0, tzinfo=UTC), "Asia/Tokyo"),
        ReleaseTime(datetime(2024, 7, 2, 15, 0, tzinfo=UTC), Precision.DAY, "Asia/Tokyo"),
        ReleaseTime(datetime(2024, 7, 1, tzinfo=UTC), Precision.MONTH, "UTC"),
        ReleaseTime(None, Precision.TBA, "UTC"),
    ],
    ids=["exact", "day", "month", "tba"],
)
async def test_a_release_reads_back_as_stored(db: Database, time: ReleaseTime) -> None:
    added = await add_release(db, "Oshi no Ko", "Season 2", time)
    async with db.snapshot() as tx:
        found = await releases.guild_release(tx, GUILD, added.id)
        by_id = await releases.release_by_id(tx, added.id)
        # The bulk read a reconcile uses reads its columns by position: the same release.
        in_bulk = await releases.releases_by_ids(tx, [added.id])
    assert found == added
    assert by_id == added
    assert in_bulk == {added.id: added}
    assert found is not None and found.time == time
    assert found.status is ReleaseStatus.SCHEDULED and found.revision == 1


async def test_a_guild_never_gets_another_guilds_release(db: Database) -> None:
    theirs = await add_release(db, "Oshi no Ko", "Season 2", guild_id=OTHER_GUILD)
    ours = await add_release(db, "Frieren", "Season 2", guild_id=GUILD)
    async with db.snapshot() as tx:
        assert await releases.guild_release(tx, GUILD, theirs.id) is None
        assert await releases.guild_release(tx, GUILD, ours.id) == ours
        assert await releases.releases_titled(tx, GUILD, "Oshi no Ko — Season 2") == []
        assert await releases.releases_titled(tx, GUILD, "Oshi no Ko") == []
        assert await search.search_releases(tx, GUILD, "oshi", NOW) == []
        assert await search.search_releases(tx, GUILD, "season", NOW) == [ours]
        upcoming = await releases.upcoming_releases(
            tx, GUILD, NOW, NOW + timedelta(days=30), limit=10
        )
        assert upcoming == [ours]
        assert await releases.scheduled_releases(tx, GUILD, NOW) == [ours]


async def test_cancelled_releases_are_out_of_every_listing(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    async with db.transaction() as tx:
        await releases.set_status(tx, release.id, ReleaseStatus.CANCELLED)
    async with db.snapshot() as tx:
        assert await releases.guild_release(tx, GUILD, release.id) is None
        assert await releases.releases_titled(tx, GUILD, "Oshi no Ko") == []
        assert await search.search_releases(tx, GUILD, "oshi", NOW) == []
        window = await releases.upcoming_releases(tx, GUILD, NOW, NOW + timedelta(days=30), 10)
        assert window == []
        assert await releases.scheduled_releases(tx, GUILD, NOW) == []


async def test_releases_titled_matches_show_and_label_or_show_alone(db: Database) -> None:
    season_1 = await add_release(db, "Oshi no Ko", "Season 1", exact(NOW + timedelta(days=1)))
    season_2 = await add_release(db, "Oshi no Ko", "Season 2", exact(NOW + timedelta(days=2)))
    await add_release(db, "Oshi no Ko Movie", None)
    async with db.snapshot() as tx:
        assert await releases.releases_titled(tx, GUILD, "oshi no ko — season 2") == [season_2]
        by_show = await releases.releases_titled(tx, GUILD, "OSHI NO KO")
        assert await releases.releases_titled(tx, GUILD, "Oshi") == []
    assert sorted(r.id for r in by_show) == [season_1.id, season_2.id]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("100%", ["100% Bakage"]),
        ("%", ["100% Bakage"]),
        ("a_b", ["a_b Club"]),
        ("_", ["a_b Club"]),
        ("\\", ["Back\\slash"]),
        ("bakage", ["100% Bakage", "1000 Bakage"]),
        ("nothing like it", []),
    ],
)
async def test_search_treats_like_wildcards_as_plain_text(
    db: Database, typed: str, expected: list[str]
) -> None:
    for day, title in enumerate(
        ["100% Bakage", "1000 Bakage", "a_b Club", "axb Club", "Back\\slash"]
    ):
        await add_release(db, title, None, exact(NOW + timedelta(days=day + 1)))
    async with db.snapshot() as tx:
        found = await search.search_releases(tx, GUILD, typed, NOW)
    assert [r.show.title for r in found] == expected


async def test_search_matches_labels_and_lists_upcoming_first_then_past_then_undated(
    db: Database,
) -> None:
    past = await add_release(db, "Frieren", "Season 1", exact(NOW - timedelta(days=300)))
    tba = await add_release(db, "Frieren", "Season 3", ReleaseTime(None, Precision.TBA, "UTC"))
    later = await add_release(db, "Frieren", "Season 2", exact(NOW + timedelta(days=20)))
    sooner = await add_release(db, "Frieren", "Special", exact(NOW + timedelta(days=2)))
    async with db.snapshot() as tx:
        found = await search.search_releases(tx, GUILD, "FRIEREN", NOW)
        by_label = await search.search_releases(tx, GUILD, "special", NOW)
        limited = await search.search_releases(tx, GUILD, "frieren", NOW, limit=2)
    assert [r.id for r in found] == [sooner.id, later.id, past.id, tba.id]
    assert by_label == [sooner]
    assert [r.id for r in limited] == [sooner.id, later.id]


async def test_upcoming_lists_what_is_still_ahead_soonest_first(db: Database) -> None:
    end = NOW + timedelta(days=7)
    at_end = await add_release(db, "A", "at the end", exact(end))
    soon = await add_release(db, "B", "soon", exact(NOW + timedelta(seconds=1)))
    middle = await add_release(db, "C", "middle", exact(NOW + timedelta(days=3)))
    await add_release(db, "D", "just passed", exact(NOW - timedelta(seconds=1)))
    await add_release(db, "D2", "this moment", exact(NOW))
    await add_release(db, "E", "after", exact(end + timedelta(seconds=1)))
    await add_release(db, "F", "undated", ReleaseTime(None, Precision.TBA, "UTC"))
    # A day counts until it is over: today's (begun 12 h ago) is listed, yesterday's not.
    today = await add_release(
        db, "G", "today", ReleaseTime(NOW - timedelta(hours=12), Precision.DAY, "UTC")
    )
    await add_release(
        db, "H", "yesterday", ReleaseTime(NOW - timedelta(hours=36), Precision.DAY, "UTC")
    )
    async with db.snapshot() as tx:
        found = await releases.upcoming_releases(tx, GUILD, NOW, end, limit=10)
        first_two = await releases.upcoming_releases(tx, GUILD, NOW, end, limit=2)
    assert [r.id for r in found] == [today.id, soon.id, middle.id, at_end.id]
    assert [r.id for r in first_two] == [today.id, soon.id]


async def test_save_release_stores_a_move(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    moved = Release(
        release.id,
        release.show,
        "Season 2 (delayed)",
        exact(NOW + timedelta(days=40)),
        ReleaseStatus.DELAYED,
        revision=2,
    )
    async with db.transaction() as tx:
        await releases.save_release(tx, moved, NOW)
    async with db.snapshot() as tx:
        assert await releases.guild_release(tx, GUILD, release.id) == moved


# --- settings -------------------------------------------------------------------------


async def test_a_new_guild_has_the_default_settings(db: Database) -> None:
    async with db.snapshot() as tx:
        found = await settings.guild_settings(tx, GUILD)
    assert found == GuildSettings(guild_id=GUILD)
    assert found.offsets == (timedelta(days=7), timedelta(days=1), timedelta(hours=1))
    assert found.timezone == "UTC" and found.channel_id is None and found.role_id is None


@pytest.mark.parametrize(
    "offsets",
    [
        (timedelta(days=2), timedelta(minutes=90), timedelta(seconds=30)),
        (),
        (timedelta(days=365),),
    ],
    ids=["several", "none", "one-year"],
)
async def test_settings_round_trip(db: Database, offsets: tuple[timedelta, ...]) -> None:
    saved = GuildSettings(GUILD, CHANNEL, 333, offsets, "Asia/Tokyo")
    async with db.transaction() as tx:
        await settings.save_guild_settings(tx, GuildSettings(GUILD, OTHER_CHANNEL), NOW)
        await settings.save_guild_settings(tx, saved, NOW)
    async with db.snapshot() as tx:
        assert await settings.guild_settings(tx, GUILD) == saved
        assert await settings.guild_settings(tx, OTHER_GUILD) == GuildSettings(OTHER_GUILD)


async def test_meta_values(db: Database) -> None:
    async with db.transaction() as tx:
        assert await settings.meta_value(tx, "synced") is None
        await settings.set_meta_value(tx, "synced", "one")
        await settings.set_meta_value(tx, "synced", "two")
        await settings.set_meta_value(tx, "other", "x")
    async with db.snapshot() as tx:
        assert await settings.meta_value(tx, "synced") == "two"
        assert await settings.meta_value(tx, "other") == "x"


# --- the outbox -----------------------------------------------------------------------

TOKYO = "Asia/Tokyo"
REMINDER = DeliveryKind.REMINDER
ANNOUNCEMENT = DeliveryKind.ANNOUNCEMENT
NOTICE = DeliveryKind.NOTICE
USER = 333
HOUR = timedelta(hours=1)


def owe(
    release: Release,
    kind: DeliveryKind,
    due_at: datetime,
    *,
    offset_seconds: int = 0,
    revision: int = 1,
    target: int = CHANNEL,
    target_kind: TargetKind = TargetKind.CHANNEL,
    old_time: ReleaseTime | None = None,
) -> Owed:
    key = DeliveryKey(release.id, kind, offset_seconds, revision, target, target_kind)
    return Owed(key, due_at, old_time)


async def make_owed(
    db: Database,
    of: Sequence[Release],
    owed: Sequence[Owed],
    at: datetime = NOW,
    *,
    reason: str = "no longer owed",
) -> deliveries.OutboxChange:
    """Make the outbox rows of these releases exactly `owed`, as a reconcile does."""
    async with db.transaction() as tx:
        ids = [release.id for release in of]
        found = await releases.releases_by_ids(tx, ids)
        rows = await deliveries.rows_of_releases(tx, ids)

        def guild_of(key: DeliveryKey) -> int:
            guild_id = found[key.release_id].show.guild_id
            assert guild_id is not None
            return guild_id

        def about_of(release_id: int) -> ReleaseTime:
            return found[release_id].time

        return await deliveries.make_owed(tx, guild_of, about_of, owed, rows, at, reason=reason)


async def outbox(db: Database) -> dict[DeliveryKey, dict[str, Any]]:
    """Every row of the outbox, every column, by key."""
    async with db.snapshot() as tx:
        rows = await tx.fetchall("SELECT * FROM deliveries ORDER BY id")
    return {
        DeliveryKey(
            row["release_id"],
            DeliveryKind(row["kind"]),
            row["offset_seconds"],
            row["revision"],
            row["target_id"],
            TargetKind(row["target_kind"]),
        ): {name: row[name] for name in row.keys()}  # noqa: SIM118 (a Row is no mapping)
        for row in rows
    }


async def status_of(db: Database, key: DeliveryKey) -> DeliveryStatus:
    return DeliveryStatus((await outbox(db))[key]["status"])


async def claim(
    db: Database,
    at: datetime,
    limit: int = 50,
    *,
    exclude: Collection[int] = (),
    due_before: datetime | None = None,
) -> list[deliveries.ClaimedRow]:
    async with db.transaction() as tx:
        return await deliveries.claim_due(
            tx, at, lambda count: at + LEASE, limit, exclude=exclude, due_before=due_before
        )


async def wake_at(db: Database, lookahead: timedelta = timedelta(0)) -> datetime | None:
    async with db.snapshot() as tx:
        return await deliveries.next_wake_at(tx, lookahead)


async def sent(db: Database, delivery_ids: Sequence[int], message_id: int, at: datetime) -> None:
    async with db.transaction() as tx:
        await deliveries.mark_sent(tx, delivery_ids, message_id, at)


async def skipped(db: Database, delivery_ids: Sequence[int], reason: str = "dropped") -> None:
    async with db.transaction() as tx:
        await deliveries.mark_skipped(tx, delivery_ids, reason)


async def failed(db: Database, delivery_ids: Sequence[int], error: str = "HTTP 403") -> None:
    async with db.transaction() as tx:
        await deliveries.mark_failed(tx, delivery_ids, error)


async def claimed_id(db: Database, message: Owed, at: datetime = NOW) -> int:
    """Claim the one row of `message` (due by `at`) and return its id."""
    [row] = [c for c in await claim(db, at, due_before=message.due_at) if c.key == message.key]
    return row.delivery_id


# --- making the outbox what is owed ---------------------------------------------------


async def test_make_owed_adds_missing_rows_with_their_due_time_and_what_they_tell(
    db: Database,
) -> None:
    time = exact(NOW + timedelta(days=2), TOKYO)
    release = await add_release(db, "Oshi no Ko", "Season 2", time)
    assert time.at is not None
    old_time = ReleaseTime(datetime(2024, 7, 2, 15, tzinfo=UTC), Precision.DAY, TOKYO)
    owed = [
        owe(release, REMINDER, time.at - HOUR, offset_seconds=3600),
        owe(release, ANNOUNCEMENT, time.at),
        owe(release, NOTICE, NOW + timedelta(minutes=1), revision=1, old_time=old_time),
        owe(
            release,
            REMINDER,
            time.at - HOUR,
            offset_seconds=3600,
            target=USER,
            target_kind=TargetKind.USER,
        ),
    ]
    change = await make_owed(db, [release], owed)
    assert change == deliveries.OutboxChange(added=4)
    rows = await outbox(db)
    assert list(rows) == [m.key for m in owed]
    for message in owed:
        row = rows[message.key]
        assert row["status"] == "pending"
        assert row["due_at"] == to_epoch(message.due_at)
        assert row["guild_id"] == GUILD
        assert (row["attempts"], row["nonce"], row["fingerprint"], row["late"]) == (
            0,
            None,
            None,
            0,
        )
        assert (row["about_starts_at"], row["about_precision"], row["about_timezone"]) == (
            to_epoch(time.at),
            "exact",
            TOKYO,
        )
        assert row["created_at"] == to_epoch(NOW)
        notice = message.key.kind is NOTICE
        assert row["old_starts_at"] == (
            to_epoch(datetime(2024, 7, 2, 15, tzinfo=UTC)) if notice else None
        )
        assert row["old_precision"] == ("day" if notice else None)
    async with db.snapshot() as tx:
        read = await deliveries.rows_of_releases(tx, [release.id])
    assert {key: (r.status, r.due_at, r.old_time) for key, r in read.items()} == {
        m.key: (DeliveryStatus.PENDING, m.due_at, m.old_time) for m in owed
    }


async def test_make_owed_twice_changes_nothing(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    old_time = exact(NOW + timedelta(days=5))
    owed = [
        owe(release, REMINDER, NOW + HOUR, offset_seconds=3600),
        owe(release, ANNOUNCEMENT, NOW + 2 * HOUR),
        owe(release, NOTICE, NOW + timedelta(minutes=1), old_time=old_time),
    ]
    assert (await make_owed(db, [release], owed)).added == 3
    before = await outbox(db)
    assert await make_owed(db, [release], owed, NOW + timedelta(minutes=5)) == (
        deliveries.OutboxChange()
    )
    assert await outbox(db) == before


async def test_make_owed_updates_a_pending_rows_due_time_and_old_time(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    first_old = exact(NOW + timedelta(days=5))
    await make_owed(
        db,
        [release],
        [
            owe(release, ANNOUNCEMENT, NOW + HOUR),
            owe(release, NOTICE, NOW + timedelta(minutes=1), old_time=first_old),
        ],
    )
    # The announcement moves; the notice stays due when it was but now tells another time
    # last told (a day, where it was an exact time).
    later_old = ReleaseTime(datetime(2024, 6, 6, tzinfo=UTC), Precision.DAY, "UTC")
    announcement = owe(release, ANNOUNCEMENT, NOW + 2 * HOUR)
    notice = owe(release, NOTICE, NOW + timedelta(minutes=1), old_time=later_old)
    change = await make_owed(db, [release], [announcement, notice])
    assert change == deliveries.OutboxChange(updated=2)
    rows = await outbox(db)
    assert rows[announcement.key]["due_at"] == to_epoch(NOW + 2 * HOUR)
    assert rows[notice.key]["due_at"] == to_epoch(NOW + timedelta(minutes=1))
    assert (rows[notice.key]["old_starts_at"], rows[notice.key]["old_precision"]) == (
        to_epoch(datetime(2024, 6, 6, tzinfo=UTC)),
        "day",
    )
    assert {r["status"] for r in rows.values()} == {"pending"}
    [claimed] = await claim(db, NOW + timedelta(minutes=1))
    assert (claimed.key, claimed.old_time) == (notice.key, later_old)


async def test_make_owed_leaves_a_row_in_flight_alone_while_owed(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    await make_owed(db, [release], [announcement])
    await claimed_id(db, announcement)
    before = await outbox(db)
    moved = owe(release, ANNOUNCEMENT, NOW + timedelta(minutes=5))
    assert await make_owed(db, [release], [moved]) == deliveries.OutboxChange()
    assert await outbox(db) == before


async def test_make_owed_skips_pending_rows_and_verifies_sending_ones_no_longer_owed(
    db: Database,
) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    other = await add_release(db, "Frieren", "Season 2")
    pending = owe(release, ANNOUNCEMENT, NOW + HOUR)
    sending = owe(release, REMINDER, NOW, offset_seconds=3600)
    was_sent = owe(release, REMINDER, NOW - timedelta(days=1), offset_seconds=2 * 86400)
    was_failed = owe(release, REMINDER, NOW - timedelta(days=2), offset_seconds=3 * 86400)
    elsewhere = owe(other, ANNOUNCEMENT, NOW + HOUR)
    await make_owed(db, [release, other], [pending, sending, was_sent, was_failed, elsewhere])
    claimed = {c.key: c.delivery_id for c in await claim(db, NOW - timedelta(days=1))}
    await sent(db, [claimed[was_sent.key]], 1, NOW - timedelta(days=1))
    await failed(db, [claimed[was_failed.key]])
    await claimed_id(db, sending)

    change = await make_owed(db, [release], [], NOW, reason="release removed")
    assert change == deliveries.OutboxChange(skipped=2)
    rows = await outbox(db)
    row = rows[pending.key]
    assert (row["status"], row["last_error"], row["lease_expires_at"]) == (
        "skipped",
        "release removed",
        None,
    )
    # In flight, it may be in Discord already: kept, to be looked for before it is dropped.
    row = rows[sending.key]
    assert (row["status"], row["verify_only"]) == ("sending", 1)
    assert rows[was_sent.key]["status"] == "sent"
    assert rows[was_failed.key]["status"] == "failed"
    # Only the rows of the releases reconciled are looked at.
    assert rows[elsewhere.key]["status"] == "pending"


async def test_make_owed_revives_a_skipped_row_owed_again(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    reminder = owe(release, REMINDER, NOW, offset_seconds=3600)
    await make_owed(db, [release], [reminder])
    delivery_id = await claimed_id(db, reminder)
    async with db.transaction() as tx:
        batch = deliveries.FixedBatch((delivery_id,), "nonce-1", "print-1", late_ids=(delivery_id,))
        await deliveries.fix_batches(tx, [batch])
    await skipped(db, [delivery_id], "not owed")
    assert await status_of(db, reminder.key) is DeliveryStatus.SKIPPED

    again = owe(release, REMINDER, NOW + timedelta(minutes=10), offset_seconds=3600)
    change = await make_owed(db, [release], [again], NOW + timedelta(minutes=1))
    assert change == deliveries.OutboxChange(revived=1)
    row = (await outbox(db))[reminder.key]
    assert row["id"] == delivery_id
    assert (row["status"], row["due_at"]) == ("pending", to_epoch(NOW + timedelta(minutes=10)))
    assert (row["attempts"], row["nonce"], row["fingerprint"], row["late"]) == (0, None, None, 0)
    assert (row["last_error"], row["lease_expires_at"]) == (None, None)
    [claimed] = await claim(db, NOW + timedelta(minutes=10))
    assert (claimed.delivery_id, claimed.attempts, claimed.nonce) == (delivery_id, 1, None)


@pytest.mark.parametrize(
    ("due_in", "revived"),
    [
        (timedelta(seconds=1), True),
        (timedelta(0), False),
        (-timedelta(hours=1), False),
    ],
    ids=["still-ahead", "due-now", "past"],
)
async def test_make_owed_revives_a_failed_row_only_while_still_ahead(
    db: Database, due_in: timedelta, revived: bool
) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    reminder = owe(release, REMINDER, NOW - timedelta(hours=2), offset_seconds=3600)
    await make_owed(db, [release], [reminder], NOW - timedelta(hours=3))
    await failed(db, [await claimed_id(db, reminder, NOW - timedelta(hours=2))])
    again = owe(release, REMINDER, NOW + due_in, offset_seconds=3600)
    change = await make_owed(db, [release], [again])
    assert change == deliveries.OutboxChange(revived=int(revived))
    row = (await outbox(db))[reminder.key]
    if revived:
        assert (row["status"], row["due_at"], row["attempts"]) == (
            "pending",
            to_epoch(NOW + due_in),
            0,
        )
    else:
        assert (row["status"], row["last_error"]) == ("failed", "HTTP 403")


async def test_make_owed_never_touches_a_sent_row(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    await make_owed(db, [release], [announcement])
    await sent(db, [await claimed_id(db, announcement)], 555, NOW)
    before = await outbox(db)
    later = owe(release, ANNOUNCEMENT, NOW + HOUR)
    assert await make_owed(db, [release], [later]) == deliveries.OutboxChange()
    assert await make_owed(db, [release], []) == deliveries.OutboxChange()
    assert await outbox(db) == before
    assert before[announcement.key]["message_id"] == 555


async def test_rows_of_releases_reads_those_releases_or_one_target(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    other = await add_release(db, "Frieren", "Season 2")
    to_channel = owe(release, ANNOUNCEMENT, NOW + HOUR)
    to_other = owe(release, ANNOUNCEMENT, NOW + HOUR, target=OTHER_CHANNEL)
    to_user = owe(release, ANNOUNCEMENT, NOW + HOUR, target=USER, target_kind=TargetKind.USER)
    await make_owed(
        db, [release, other], [to_channel, to_other, to_user, owe(other, ANNOUNCEMENT, NOW)]
    )
    async with db.snapshot() as tx:
        every = await deliveries.rows_of_releases(tx, [release.id, release.id])
        one = await deliveries.rows_of_releases(tx, [release.id], target_ids=[USER])
        none = await deliveries.rows_of_releases(tx, [])
    assert set(every) == {to_channel.key, to_other.key, to_user.key}
    assert list(one) == [to_user.key]
    assert none == {}


async def test_a_notice_keeps_the_zone_of_the_time_it_tells(db: Database) -> None:
    """Members were told 3 July in Tokyo; the release moved to a time set in UTC."""
    told = ReleaseTime(datetime(2024, 7, 2, 15, tzinfo=UTC), Precision.DAY, TOKYO)
    release = await add_release(db, "Oshi no Ko", "Season 2", told)
    moved = replace(release, time=exact(datetime(2024, 7, 10, 12, tzinfo=UTC)), revision=2)
    async with db.transaction() as tx:
        await releases.save_release(tx, moved, NOW)
    notice = owe(moved, NOTICE, NOW, revision=2, old_time=told)
    await make_owed(db, [moved], [notice])
    again = await make_owed(db, [moved], [notice])
    [claimed] = await claim(db, NOW)
    # "Was: 3 July 2024", not the 2 July that day's start reads as in UTC.
    assert claimed.old_time == told
    assert again == deliveries.OutboxChange()


# --- claiming due rows ----------------------------------------------------------------


async def test_claim_takes_due_rows(db: Database) -> None:
    time = exact(NOW + HOUR, TOKYO)
    release = await add_release(db, "Oshi no Ko", "Season 2", time)
    due = owe(release, REMINDER, NOW, offset_seconds=3600, target=USER, target_kind=TargetKind.USER)
    not_yet = owe(release, ANNOUNCEMENT, NOW + HOUR)
    await make_owed(db, [release], [due, not_yet])
    [claimed] = await claim(db, NOW)
    assert claimed.key == due.key
    assert claimed.due_at == NOW
    assert claimed.guild_id == GUILD
    assert claimed.attempts == 1
    assert (claimed.nonce, claimed.fingerprint, claimed.late) == (None, None, False)
    assert (claimed.old_time, claimed.lease_expired_at) == (None, None)
    row = (await outbox(db))[due.key]
    assert (row["status"], row["lease_expires_at"]) == ("sending", to_epoch(NOW + LEASE))
    assert await status_of(db, not_yet.key) is DeliveryStatus.PENDING


async def test_a_claimed_notice_carries_its_old_time(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2", exact(NOW + timedelta(days=4)))
    old_time = exact(NOW + timedelta(days=3))
    notice = owe(release, NOTICE, NOW, old_time=old_time)
    await make_owed(db, [release], [notice])
    [claimed] = await claim(db, NOW)
    assert (claimed.key, claimed.old_time) == (notice.key, old_time)


async def test_claim_ahead_takes_rows_due_soon_but_notices_only_once_due(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    soon = owe(release, ANNOUNCEMENT, NOW + timedelta(seconds=5))
    notice = owe(release, NOTICE, NOW + timedelta(seconds=5), old_time=exact(NOW))
    later = owe(release, REMINDER, NOW + timedelta(seconds=11), offset_seconds=60)
    await make_owed(db, [release], [soon, notice, later])
    claimed = await claim(db, NOW, due_before=NOW + timedelta(seconds=10))
    assert [c.key for c in claimed] == [soon.key]
    assert [c.key for c in await claim(db, NOW + timedelta(seconds=5))] == [notice.key]


async def test_a_second_claim_at_the_same_time_gets_nothing(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await make_owed(db, [release], [owe(release, ANNOUNCEMENT, NOW)])
    assert len(await claim(db, NOW)) == 1
    assert await claim(db, NOW) == []
    assert await claim(db, NOW + LEASE - timedelta(seconds=1)) == []


async def test_an_expired_lease_is_claimed_again(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await make_owed(db, [release], [owe(release, ANNOUNCEMENT, NOW)])
    [first] = await claim(db, NOW)
    async with db.transaction() as tx:
        await deliveries.fix_batches(
            tx, [deliveries.FixedBatch((first.delivery_id,), "nonce-1", "print-1")]
        )
    [again] = await claim(db, NOW + LEASE)
    assert again.delivery_id == first.delivery_id
    assert again.attempts == 2
    assert (again.nonce, again.fingerprint) == ("nonce-1", "print-1")
    # That attempt may have reached Discord: the row says when its lease ran out.
    assert again.lease_expired_at == NOW + LEASE


async def test_claim_respects_its_limit_soonest_first(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await make_owed(
        db,
        [release],
        [owe(release, REMINDER, NOW - timedelta(minutes=m), offset_seconds=m) for m in (1, 3, 2)],
    )
    claimed = await claim(db, NOW, limit=2)
    assert [c.key.offset_seconds for c in claimed] == [3, 2]
    assert [c.key.offset_seconds for c in await claim(db, NOW, limit=2)] == [1]


@pytest.mark.parametrize("others", ["pending", "expired"])
async def test_excluded_rows_never_take_up_the_limit(db: Database, others: str) -> None:
    """Rows already held in memory are left alone, and the limit is for the others."""
    release = await add_release(db, "Oshi no Ko", "Season 2")
    owed = [
        owe(release, REMINDER, NOW - timedelta(minutes=10 - m), offset_seconds=m) for m in range(5)
    ]
    await make_owed(db, [release], owed)
    held = [c.delivery_id for c in await claim(db, NOW, limit=3)]
    if others == "expired":
        assert len(await claim(db, NOW + timedelta(seconds=10), limit=2)) == 2
    # Every held lease has run out; so have the others', if they were claimed.
    later = NOW + timedelta(minutes=1)
    claimed = await claim(db, later, limit=2, exclude=held)
    assert [c.key for c in claimed] == [m.key for m in owed[3:]]
    assert all(c.delivery_id not in held for c in claimed)
    rows = await outbox(db)
    # The held rows keep their lease as it was.
    assert {rows[m.key]["lease_expires_at"] for m in owed[:3]} == {to_epoch(NOW + LEASE)}


# --- recording what happened ---------------------------------------------------------


async def test_fix_batches_fixes_a_rows_nonce_once_and_marks_it_late(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    reminder = owe(release, REMINDER, NOW, offset_seconds=60)
    await make_owed(db, [release], [announcement, reminder])
    ids = tuple(c.delivery_id for c in await claim(db, NOW))
    async with db.transaction() as tx:
        await deliveries.fix_batches(tx, [deliveries.FixedBatch(ids, "first", "one", ids[:1])])
        await deliveries.fix_batches(tx, [deliveries.FixedBatch(ids, "second", "two")])
    rows = await outbox(db)
    assert {(r["nonce"], r["fingerprint"]) for r in rows.values()} == {("first", "one")}
    assert [r["late"] for r in rows.values()] == [1, 0]


@pytest.mark.parametrize("status", ["pending", "sending", "skipped", "failed"])
async def test_mark_sent_records_a_row_whatever_its_status(db: Database, status: str) -> None:
    """Discord accepted it: that is history, whatever happened to the row meanwhile."""
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    await make_owed(db, [release], [announcement])
    [delivery_id] = [row["id"] for row in (await outbox(db)).values()]
    if status != "pending":
        await claimed_id(db, announcement)
    if status == "skipped":
        # Dropped while in flight (no longer owed), but the send still landed.
        async with db.transaction() as tx:
            await deliveries.mark_skipped(tx, [delivery_id], "no longer owed")
    if status == "failed":
        await failed(db, [delivery_id])
    assert await status_of(db, announcement.key) == status
    await sent(db, [delivery_id], 555, NOW + timedelta(seconds=3))
    row = (await outbox(db))[announcement.key]
    assert (row["status"], row["message_id"], row["sent_at"]) == (
        "sent",
        555,
        to_epoch(NOW + timedelta(seconds=3)),
    )
    assert (row["lease_expires_at"], row["last_error"]) == (None, None)
    async with db.snapshot() as tx:
        assert [s.kind for s in (await owed_state.history(tx, [release.id]))[release.id]] == [
            ANNOUNCEMENT
        ]


async def test_mark_sent_keeps_the_first_message_of_a_sent_row(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    await make_owed(db, [release], [announcement])
    delivery_id = await claimed_id(db, announcement)
    await sent(db, [delivery_id], 555, NOW)
    await sent(db, [delivery_id], 777, NOW + HOUR)
    row = (await outbox(db))[announcement.key]
    assert (row["message_id"], row["sent_at"]) == (555, to_epoch(NOW))
    # Sent: never claimed again, even after its lease would have run out.
    assert await claim(db, NOW + timedelta(days=1)) == []
    assert await wake_at(db) is None


@pytest.mark.parametrize(
    ("status", "after"),
    [("pending", "pending"), ("sending", "skipped"), ("sent", "sent"), ("failed", "failed")],
)
async def test_mark_skipped_only_touches_rows_in_flight(
    db: Database, status: str, after: str
) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    await make_owed(db, [release], [announcement])
    [delivery_id] = [row["id"] for row in (await outbox(db)).values()]
    if status != "pending":
        await claimed_id(db, announcement)
    if status == "sent":
        await sent(db, [delivery_id], 555, NOW)
    if status == "failed":
        await failed(db, [delivery_id])
    await skipped(db, [delivery_id], "no longer owed")
    row = (await outbox(db))[announcement.key]
    assert (row["status"], row["lease_expires_at"]) == (after, None)
    if after == "skipped":
        assert row["last_error"] == "no longer owed"
    else:
        assert row["last_error"] != "no longer owed"


async def test_retry_at_keeps_the_lease_until_then_with_the_same_nonce(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW)
    pending = owe(release, REMINDER, NOW + HOUR, offset_seconds=60)
    await make_owed(db, [release], [announcement, pending])
    delivery_id = await claimed_id(db, announcement)
    [pending_id] = [r["id"] for k, r in (await outbox(db)).items() if k == pending.key]
    async with db.transaction() as tx:
        await deliveries.fix_batches(tx, [deliveries.FixedBatch((delivery_id,), "n", "f")])
        await deliveries.retry_at(tx, [delivery_id, pending_id], NOW + timedelta(minutes=2), "429")
    rows = await outbox(db)
    assert rows[announcement.key]["lease_expires_at"] == to_epoch(NOW + timedelta(minutes=2))
    assert rows[announcement.key]["last_error"] == "429"
    assert (rows[pending.key]["status"], rows[pending.key]["last_error"]) == ("pending", None)
    assert await claim(db, NOW + LEASE) == []
    [again] = await claim(db, NOW + timedelta(minutes=2))
    assert (again.delivery_id, again.nonce, again.attempts) == (delivery_id, "n", 2)


# --- what Discord accepted ------------------------------------------------------------


async def test_history_is_the_sent_rows_with_the_time_each_told(db: Database) -> None:
    time = exact(NOW + timedelta(days=2), TOKYO)
    release = await add_release(db, "Oshi no Ko", "Season 2", time)
    other = await add_release(db, "Frieren", "Season 2")
    reminder = owe(release, REMINDER, NOW, offset_seconds=2 * 86400)
    to_user = owe(
        release, REMINDER, NOW, offset_seconds=2 * 86400, target=USER, target_kind=TargetKind.USER
    )
    dropped = owe(release, REMINDER, NOW, offset_seconds=3 * 86400, target=OTHER_CHANNEL)
    pending = owe(release, ANNOUNCEMENT, NOW + timedelta(days=2))
    elsewhere = owe(other, ANNOUNCEMENT, NOW)
    await make_owed(db, [release, other], [reminder, to_user, dropped, pending, elsewhere])
    claimed = {c.key: c.delivery_id for c in await claim(db, NOW)}
    await sent(db, [claimed[reminder.key], claimed[to_user.key]], 1, NOW + timedelta(seconds=2))
    await sent(db, [claimed[elsewhere.key]], 2, NOW + timedelta(seconds=2))
    await skipped(db, [claimed[dropped.key]])

    # The release moves: what was sent still tells the time it told.
    moved = replace(release, time=exact(NOW + timedelta(days=3), "UTC"), revision=2)
    async with db.transaction() as tx:
        await releases.save_release(tx, moved, NOW + timedelta(minutes=1))
    async with db.snapshot() as tx:
        history = await owed_state.history(tx, [release.id])
        to_one = await owed_state.history(tx, [release.id, other.id], target_ids=[USER])
    at = NOW + timedelta(seconds=2)
    assert sorted(history[release.id], key=lambda s: s.target_id) == [
        Sent(CHANNEL, REMINDER, 2 * 86400, time, at),
        Sent(USER, REMINDER, 2 * 86400, time, at),
    ]
    assert list(history) == [release.id]
    assert to_one == {release.id: [Sent(USER, REMINDER, 2 * 86400, time, at)]}


async def test_a_row_added_after_a_move_tells_the_new_time(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    moved = replace(release, time=exact(NOW + timedelta(days=5), TOKYO), revision=2)
    async with db.transaction() as tx:
        await releases.save_release(tx, moved, NOW)
    announcement = owe(moved, ANNOUNCEMENT, NOW, revision=2)
    await make_owed(db, [moved], [announcement])
    await sent(db, [await claimed_id(db, announcement)], 1, NOW)
    async with db.snapshot() as tx:
        [told] = (await owed_state.history(tx, [release.id]))[release.id]
    assert told.about == moved.time


async def test_release_states_read_the_release_its_audience_and_offsets(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    guild = GuildSettings(
        GUILD,
        channel_id=CHANNEL,
        role_id=444,
        offsets=(timedelta(hours=2),),
        channel_since=NOW - timedelta(days=3),
        offsets_since=NOW - timedelta(days=2),
        present_since=NOW - timedelta(days=4),
    )
    async with db.transaction() as tx:
        await settings.save_guild_settings(tx, guild, NOW)
        await follows.save_follow(
            tx,
            guild_id=GUILD,
            channel_id=OTHER_CHANNEL,
            show_id=None,
            role_id=None,
            episodes=True,
            now=NOW - timedelta(days=1),
        )
    async with db.snapshot() as tx:
        states = await owed_state.release_states(tx, [release.id], timedelta(seconds=60))
        only = await owed_state.release_states(
            tx, [release.id], timedelta(seconds=60), only={release.id: {OTHER_CHANNEL}}
        )
    (state,) = states
    assert state.release == release
    assert state.targets == (
        Target(CHANNEL, TargetKind.CHANNEL, (444,), NOW - timedelta(days=3)),
        Target(OTHER_CHANNEL, TargetKind.CHANNEL, (), NOW - timedelta(days=1)),
    )
    assert state.offsets == (timedelta(hours=2),)
    assert state.revised_at == NOW
    assert state.offsets_since == NOW - timedelta(days=2)
    assert state.notice_due_at == NOW + timedelta(seconds=60)
    assert only[0].targets == (
        Target(OTHER_CHANNEL, TargetKind.CHANNEL, (), NOW - timedelta(days=1)),
    )


# --- when the dispatcher wakes --------------------------------------------------------


async def test_next_wake_at_is_the_earliest_due_row_or_lease(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    assert await wake_at(db) is None
    await make_owed(
        db,
        [release],
        [
            owe(release, REMINDER, NOW, offset_seconds=3600),
            owe(release, ANNOUNCEMENT, NOW + HOUR),
        ],
    )
    assert await wake_at(db) == NOW
    await claim(db, NOW)
    # The reminder is being sent: the dispatcher next wakes when its lease runs out.
    assert await wake_at(db) == NOW + LEASE
    await make_owed(
        db,
        [release],
        [
            owe(release, REMINDER, NOW, offset_seconds=3600),
            owe(release, ANNOUNCEMENT, NOW + HOUR),
            owe(release, REMINDER, NOW + timedelta(seconds=10), offset_seconds=60),
        ],
    )
    assert await wake_at(db) == NOW + timedelta(seconds=10)


async def test_next_wake_at_looks_ahead_except_for_notices(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    notice = owe(release, NOTICE, NOW + timedelta(seconds=30), old_time=exact(NOW))
    await make_owed(db, [release], [notice])
    assert await wake_at(db, timedelta(seconds=20)) == NOW + timedelta(seconds=30)
    announcement = owe(release, ANNOUNCEMENT, NOW + timedelta(seconds=40))
    await make_owed(db, [release], [notice, announcement])
    assert await wake_at(db, timedelta(seconds=20)) == NOW + timedelta(seconds=20)
    # Rows no longer owed, sent or failed never wake it.
    await make_owed(db, [release], [])
    assert await wake_at(db) is None


@pytest.mark.parametrize(
    "typed",
    ["Re:Zero — Starting Life — Season 3", "Re:Zero — Starting Life"],
    ids=["show-and-label", "show-alone"],
)
async def test_releases_titled_finds_a_show_whose_title_has_a_dash(
    db: Database, typed: str
) -> None:
    added = await add_release(db, "Re:Zero — Starting Life", "Season 3")
    async with db.snapshot() as tx:
        assert await releases.releases_titled(tx, GUILD, typed) == [added]


async def test_search_matches_labels_whatever_their_case_outside_ascii(db: Database) -> None:
    added = await add_release(db, "Frieren", "Épisode Spécial")
    async with db.snapshot() as tx:
        assert await search.search_releases(tx, GUILD, "épisode", NOW) == [added]


async def test_cancelling_a_unit_of_work_at_any_moment_leaves_the_connection_usable(
    db: Database,
) -> None:
    """A task cancelled mid BEGIN or COMMIT must not leave the shared connection in a
    transaction (aiosqlite keeps running the statement on its thread)."""

    async def write(value: str) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (value, value))

    for attempt in range(60):
        task = asyncio.create_task(write(f"cancelled-{attempt}"))
        for _ in range(attempt % 6):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await write(f"after-{attempt}")  # raises if a transaction was left open
    async with db.snapshot() as tx:
        found = await tx.fetchall("SELECT key FROM meta WHERE key LIKE 'after-%'")
    assert len(found) == 60


async def test_move_untried_hands_pending_rows_to_the_new_channel_once(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    announcement = owe(release, ANNOUNCEMENT, NOW + HOUR)
    reminder = owe(release, REMINDER, NOW + HOUR / 2, offset_seconds=1800)
    tried = owe(release, REMINDER, NOW + HOUR / 4, offset_seconds=2700)
    notice = owe(release, NOTICE, NOW + HOUR / 4, old_time=exact(NOW))
    there = owe(release, ANNOUNCEMENT, NOW + HOUR, target=OTHER_CHANNEL)
    await make_owed(db, [release], [announcement, reminder, tried, notice])
    # The other channel already has the announcement (say, it follows the show).
    await make_owed(db, [release], [announcement, reminder, tried, notice, there])
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE deliveries SET attempts = 1 WHERE release_id = ? AND offset_seconds = 2700",
            (release.id,),
        )
        moved = await deliveries.move_untried(tx, [release.id], CHANNEL, OTHER_CHANNEL)
    rows = await outbox(db)
    assert moved == 1
    # The untried reminder moved, keeping its row and due time.
    assert reminder.key._replace(target_id=OTHER_CHANNEL) in rows
    assert reminder.key not in rows
    # A row already tried, a notice, and a key the other channel holds all stay.
    assert {tried.key, notice.key, announcement.key} <= set(rows)
    assert rows[there.key]["status"] == "pending"
    async with db.transaction() as tx:
        assert await deliveries.move_untried(tx, [], CHANNEL, OTHER_CHANNEL) == 0


@pytest.mark.parametrize(
    ("ended", "maybe_posted"),
    [
        ("lease ran out", True),  # nobody heard how the attempt ended
        ("retry after an answer", False),  # a 503: Discord has no copy
        ("retry after a lost answer", True),  # a timeout: it may have posted
    ],
)
async def test_a_reclaimed_row_is_maybe_posted_only_if_its_last_attempt_went_unheard(
    db: Database, ended: str, maybe_posted: bool
) -> None:
    """Found by a deep property run: a reminder retried after a 503 and claimed again past
    the nonce window was dropped as maybe posted, though its release was still ahead."""
    release = await add_release(db, "Oshi no Ko", "Season 2")
    reminder = owe(release, REMINDER, NOW, offset_seconds=3600)
    await make_owed(db, [release], [reminder])
    delivery_id = await claimed_id(db, reminder)
    if ended != "lease ran out":
        async with db.transaction() as tx:
            await deliveries.retry_at(
                tx,
                [delivery_id],
                NOW + timedelta(seconds=1),
                "HTTP 503" if maybe_posted is False else "timed out",
                maybe_delivered=ended == "retry after a lost answer",
            )
    later = NOW + timedelta(minutes=10)  # past Discord's nonce window
    [again] = [c for c in await claim(db, later) if c.delivery_id == delivery_id]
    assert again.unconfirmed is maybe_posted
    assert (again.lease_expired_at is not None) is maybe_posted
