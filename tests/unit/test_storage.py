"""Storage against a real SQLite file: migrations, releases, settings and the outbox."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
)
from bot.domain.planning import PlannedDelivery
from bot.storage import deliveries, releases, settings
from bot.storage.database import Database

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
        show = await releases.find_or_create_show(tx, guild_id, title, NOW)
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
    assert version is not None and version[0] == len(shipped)
    assert journal is not None and journal[0] == "wal"
    assert foreign_keys is not None and foreign_keys[0] == 1
    assert busy is not None and busy[0] > 0
    # The version is in the file, not just the connection.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == len(shipped)


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
        assert await second.migrate() == len(list(MIGRATIONS.glob("*.sql")))
        async with second.snapshot() as tx:
            found = await releases.releases_titled(tx, GUILD, "Oshi no Ko — Season 2")
    finally:
        await second.close()
    assert [r.display_title for r in found] == ["Oshi no Ko — Season 2"]
    assert "applying migration" not in caplog.text


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
            show = await releases.find_or_create_show(tx, GUILD, "Frieren", NOW)
            await releases.insert_release(tx, show, "Season 2", exact(NOW + timedelta(days=1)), NOW)
            raise RuntimeError("boom")
    # The connection is usable again and nothing of the failed unit of work remains.
    async with db.snapshot() as tx:
        assert await releases.search_releases(tx, GUILD, "frieren", NOW) == []
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
        first = await releases.find_or_create_show(tx, GUILD, "Oshi no Ko", NOW)
        again = await releases.find_or_create_show(tx, GUILD, typed, NOW)
        elsewhere = await releases.find_or_create_show(tx, OTHER_GUILD, typed, NOW)
    assert again == first
    assert again.title == "Oshi no Ko"
    assert elsewhere.id != first.id
    assert elsewhere.guild_id == OTHER_GUILD


async def test_different_titles_are_different_shows(db: Database) -> None:
    async with db.transaction() as tx:
        one = await releases.find_or_create_show(tx, GUILD, "Oshi no Ko", NOW)
        two = await releases.find_or_create_show(tx, GUILD, "Oshi no Ko 2", NOW)
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
    assert found == added
    assert by_id == added
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
        assert await releases.search_releases(tx, GUILD, "oshi", NOW) == []
        assert await releases.search_releases(tx, GUILD, "season", NOW) == [ours]
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
        assert await releases.search_releases(tx, GUILD, "oshi", NOW) == []
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
        found = await releases.search_releases(tx, GUILD, typed, NOW)
    assert [r.show.title for r in found] == expected


async def test_search_matches_labels_and_lists_upcoming_first_then_past_then_undated(
    db: Database,
) -> None:
    past = await add_release(db, "Frieren", "Season 1", exact(NOW - timedelta(days=300)))
    tba = await add_release(db, "Frieren", "Season 3", ReleaseTime(None, Precision.TBA, "UTC"))
    later = await add_release(db, "Frieren", "Season 2", exact(NOW + timedelta(days=20)))
    sooner = await add_release(db, "Frieren", "Special", exact(NOW + timedelta(days=2)))
    async with db.snapshot() as tx:
        found = await releases.search_releases(tx, GUILD, "FRIEREN", NOW)
        by_label = await releases.search_releases(tx, GUILD, "special", NOW)
        limited = await releases.search_releases(tx, GUILD, "frieren", NOW, limit=2)
    assert [r.id for r in found] == [sooner.id, later.id, past.id, tba.id]
    assert by_label == [sooner]
    assert [r.id for r in limited] == [sooner.id, later.id]


async def test_upcoming_lists_the_window_soonest_first(db: Database) -> None:
    start, end = NOW, NOW + timedelta(days=7)
    at_end = await add_release(db, "A", "at the end", exact(end))
    at_start = await add_release(db, "B", "at the start", exact(start))
    middle = await add_release(db, "C", "middle", exact(NOW + timedelta(days=3)))
    await add_release(db, "D", "before", exact(start - timedelta(seconds=1)))
    await add_release(db, "E", "after", exact(end + timedelta(seconds=1)))
    await add_release(db, "F", "undated", ReleaseTime(None, Precision.TBA, "UTC"))
    async with db.snapshot() as tx:
        found = await releases.upcoming_releases(tx, GUILD, start, end, limit=10)
        first_two = await releases.upcoming_releases(tx, GUILD, start, end, limit=2)
    assert [r.id for r in found] == [at_start.id, middle.id, at_end.id]
    assert [r.id for r in first_two] == [at_start.id, middle.id]


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


def planned(
    release: Release,
    kind: DeliveryKind,
    due_at: datetime,
    *,
    offset_seconds: int = 0,
    revision: int = 1,
    target: int = CHANNEL,
) -> PlannedDelivery:
    return PlannedDelivery(DeliveryKey(release.id, kind, offset_seconds, revision, target), due_at)


async def store(db: Database, *rows: PlannedDelivery) -> None:
    async with db.transaction() as tx:
        await deliveries.insert_planned(tx, GUILD, rows, NOW)


async def claim(db: Database, at: datetime, limit: int = 50) -> list[deliveries.ClaimedRow]:
    async with db.transaction() as tx:
        return await deliveries.claim_due(tx, at, lambda count: at + LEASE, limit)


async def wake_at(db: Database) -> datetime | None:
    async with db.snapshot() as tx:
        return await deliveries.next_wake_at(tx)


async def test_insert_planned_is_idempotent(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    row = planned(release, DeliveryKind.ANNOUNCEMENT, NOW)
    await store(db, row)
    await store(db, row, row)
    # Same key, different due time: the stored row is left as it is.
    await store(db, planned(release, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=1)))
    claimed = await claim(db, NOW + timedelta(hours=2))
    assert [(c.due.key, c.due.due_at) for c in claimed] == [(row.key, NOW)]


async def test_claim_takes_due_rows_with_their_release(db: Database) -> None:
    time = exact(NOW + timedelta(hours=1), "Asia/Tokyo")
    release = await add_release(db, "Oshi no Ko", "Season 2", time)
    due = planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600)
    not_yet = planned(release, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=1))
    await store(db, due, not_yet)
    [claimed] = await claim(db, NOW)
    assert claimed.due.key == due.key
    assert claimed.due.due_at == NOW
    assert claimed.due.release_time == time
    assert claimed.due.release_status is ReleaseStatus.SCHEDULED
    assert claimed.due.release_revision == 1
    assert claimed.guild_id == GUILD
    assert claimed.attempts == 1
    assert claimed.nonce is None and claimed.late is False and claimed.old_time is None


async def test_a_second_claim_at_the_same_time_gets_nothing(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await store(db, planned(release, DeliveryKind.ANNOUNCEMENT, NOW))
    assert len(await claim(db, NOW)) == 1
    assert await claim(db, NOW) == []
    assert await claim(db, NOW + LEASE - timedelta(seconds=1)) == []


async def test_an_expired_lease_is_claimed_again(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await store(db, planned(release, DeliveryKind.ANNOUNCEMENT, NOW))
    [first] = await claim(db, NOW)
    [again] = await claim(db, NOW + LEASE)
    assert again.due.delivery_id == first.due.delivery_id
    assert again.attempts == 2


async def test_claim_respects_its_limit_soonest_first(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    rows = [
        planned(release, DeliveryKind.REMINDER, NOW - timedelta(minutes=m), offset_seconds=m)
        for m in (1, 3, 2)
    ]
    await store(db, *rows)
    claimed = await claim(db, NOW, limit=2)
    assert [c.due.key.offset_seconds for c in claimed] == [3, 2]


async def test_mark_sent_only_from_sending(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await store(db, planned(release, DeliveryKind.ANNOUNCEMENT, NOW))
    async with db.snapshot() as tx:
        [row] = await tx.fetchall("SELECT id FROM deliveries")
    pending_id = int(row["id"])
    # Not claimed yet: marking it sent changes nothing and it is still owed.
    async with db.transaction() as tx:
        await deliveries.mark_sent(tx, [pending_id], message_id=555, now=NOW)
        assert await deliveries.targets_told(tx, release.id) == []
    [claimed] = await claim(db, NOW)
    assert claimed.due.delivery_id == pending_id
    async with db.transaction() as tx:
        await deliveries.mark_sent(tx, [pending_id], message_id=555, now=NOW)
        assert await deliveries.targets_told(tx, release.id) == [(CHANNEL, TargetKind.CHANNEL)]
    # Sent: never claimed again, even after its lease would have run out.
    assert await claim(db, NOW + timedelta(days=1)) == []
    assert await wake_at(db) is None


async def test_skip_pending_leaves_nothing_owed(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    other = await add_release(db, "Frieren", "Season 2")
    await store(
        db,
        planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600),
        planned(release, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=1)),
        planned(other, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=2)),
    )
    async with db.transaction() as tx:
        assert await deliveries.skip_pending(tx, release.id, "cancelled") == 2
        assert await deliveries.skip_pending(tx, release.id, "cancelled") == 0
    claimed = await claim(db, NOW + timedelta(days=1))
    assert [c.due.key.release_id for c in claimed] == [other.id]


async def test_replace_planned_skips_stale_rows_and_adds_new(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    old_announcement = planned(release, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=1))
    kept = planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600, target=OTHER_CHANNEL)
    await store(db, old_announcement, kept)
    moved = NOW + timedelta(hours=5)
    new_rows = [
        planned(
            release,
            DeliveryKind.REMINDER,
            moved - timedelta(hours=1),
            offset_seconds=3600,
            revision=2,
        ),
        planned(release, DeliveryKind.ANNOUNCEMENT, moved, revision=2),
        kept,
    ]
    async with db.transaction() as tx:
        await deliveries.replace_planned(tx, GUILD, release.id, new_rows, NOW)
    claimed = await claim(db, NOW + timedelta(days=1))
    assert {(c.due.key, c.due.due_at) for c in claimed} == {(p.key, p.due_at) for p in new_rows}
    assert len(claimed) == len(new_rows)


async def test_replace_planned_leaves_notices_and_sent_rows_alone(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    sent = planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=86400)
    await store(db, sent)
    [claimed] = await claim(db, NOW)
    async with db.transaction() as tx:
        await deliveries.mark_sent(tx, [claimed.due.delivery_id], 1, NOW)
        await deliveries.insert_notice(
            tx,
            guild_id=GUILD,
            key=DeliveryKey(release.id, DeliveryKind.NOTICE, 0, 2, CHANNEL),
            due_at=NOW + timedelta(minutes=1),
            old_time=release.time,
            now=NOW,
        )
        await deliveries.replace_planned(tx, GUILD, release.id, [], NOW)
        assert await deliveries.targets_told(tx, release.id) == [(CHANNEL, TargetKind.CHANNEL)]
        notice = await deliveries.pending_notice(tx, release.id, CHANNEL, "UTC")
    assert notice is not None and notice.old_time == release.time


async def test_next_wake_at_is_the_earliest_due_row_or_lease(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    assert await wake_at(db) is None
    await store(
        db,
        planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600),
        planned(release, DeliveryKind.ANNOUNCEMENT, NOW + timedelta(hours=1)),
    )
    assert await wake_at(db) == NOW
    await claim(db, NOW)
    # The reminder is being sent: the dispatcher next wakes when its lease runs out.
    assert await wake_at(db) == NOW + LEASE
    await store(
        db,
        planned(release, DeliveryKind.REMINDER, NOW + timedelta(seconds=10), offset_seconds=60),
    )
    assert await wake_at(db) == NOW + timedelta(seconds=10)


async def test_targets_told_lists_only_targets_sent_to(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    await store(
        db,
        planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600, target=CHANNEL),
        planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=3600, target=OTHER_CHANNEL),
        planned(release, DeliveryKind.REMINDER, NOW, offset_seconds=7200, target=CHANNEL),
    )
    async with db.snapshot() as tx:
        assert await deliveries.targets_told(tx, release.id) == []  # pending: not told
    claimed = await claim(db, NOW)
    sent = [c.due.delivery_id for c in claimed if c.due.key.target_id == CHANNEL]
    failed = [c.due.delivery_id for c in claimed if c.due.key.target_id == OTHER_CHANNEL]
    async with db.transaction() as tx:
        # Still sending: Discord may already have it, so it counts as told.
        assert len(await deliveries.targets_told(tx, release.id)) == 2
        await deliveries.mark_sent(tx, sent, 1, NOW)
        await deliveries.mark_failed(tx, failed, "HTTP 403")
        assert await deliveries.targets_told(tx, release.id) == [(CHANNEL, TargetKind.CHANNEL)]


async def test_notices_remember_the_old_time(db: Database) -> None:
    release = await add_release(db, "Oshi no Ko", "Season 2")
    old_time = ReleaseTime(datetime(2024, 7, 2, 15, tzinfo=UTC), Precision.DAY, "Asia/Tokyo")
    key = DeliveryKey(release.id, DeliveryKind.NOTICE, 0, 2, CHANNEL)
    async with db.transaction() as tx:
        assert await deliveries.pending_notice(tx, release.id, CHANNEL, "Asia/Tokyo") is None
        for _ in range(2):
            await deliveries.insert_notice(
                tx, guild_id=GUILD, key=key, due_at=NOW, old_time=old_time, now=NOW
            )
        notice = await deliveries.pending_notice(tx, release.id, CHANNEL, "Asia/Tokyo")
        assert await deliveries.pending_notice(tx, release.id, OTHER_CHANNEL, "UTC") is None
    assert notice is not None and notice.old_time == old_time
    [claimed] = await claim(db, NOW)
    assert claimed.due.key == key
    assert claimed.old_time == ReleaseTime(old_time.at, old_time.precision, "UTC")


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
        assert await releases.search_releases(tx, GUILD, "épisode", NOW) == [added]


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
