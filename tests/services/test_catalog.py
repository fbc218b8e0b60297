"""The shared AniList catalog against a real database: import, follow, sync, and what each
guild that follows a show is owed, each by its own settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.catalog import (
    Airing,
    CatalogMedia,
    FuzzyDate,
    MediaFormat,
    MediaStatus,
    StreamingLink,
    TitleLanguage,
    Titles,
)
from bot.domain.errors import AdultContent, NotFound, ReadOnly
from bot.domain.models import GuildSettings, Precision, ReleaseStatus
from bot.services.audiences import FollowService
from bot.services.catalog import CatalogService, FollowStatus
from bot.services.changes import Changes
from bot.services.releases import ReleaseChanges, ReleaseDraft, ReleaseService
from bot.services.settings import SettingsService
from bot.storage import catalog, deliveries, settings
from bot.storage.convert import to_epoch
from bot.storage.database import Database

NOW = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
GUILD = 1001
OTHER_GUILD = 2002
THIRD_GUILD = 3003
CHANNEL = 111
OTHER_CHANNEL = 222
THIRD_CHANNEL = 333
ANILIST_ID = 166531
EP1 = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
EP2 = EP1 + 7 * D
WINDOW_END = NOW + 14 * D

OSHI = CatalogMedia(
    anilist_id=ANILIST_ID,
    titles=Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", "【推しの子】第2期"),
    site_url=f"https://anilist.co/anime/{ANILIST_ID}",
    is_adult=False,
    mal_id=55791,
    synonyms=("OnK S2",),
    cover_url="https://example.org/cover.jpg",
    synopsis="The second season.",
    format=MediaFormat.TV,
    status=MediaStatus.RELEASING,
    episodes=13,
    duration_minutes=24,
    season="SUMMER",
    season_year=2024,
    start_date=FuzzyDate(2024, 7, 3),
    streaming=(StreamingLink("Crunchyroll", "https://crunchyroll.com/oshi"),),
)
AIRINGS = (Airing(ANILIST_ID, 1, to_epoch(EP1)), Airing(ANILIST_ID, 2, to_epoch(EP2)))


@dataclass
class World:
    db: Database
    clock: list[datetime]
    woken: list[int]
    changes: Changes

    @property
    def catalog(self) -> CatalogService:
        return CatalogService(self.changes)

    @property
    def now(self) -> datetime:
        return self.clock[0]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    database = await Database.open(tmp_path / "airdate.db")
    clock = [NOW]
    woken: list[int] = []
    changes = Changes(database, lambda: clock[0], woken.append, timedelta(seconds=60))
    async with database.transaction() as tx:
        for guild_id, channel_id in (
            (GUILD, CHANNEL),
            (OTHER_GUILD, OTHER_CHANNEL),
            (THIRD_GUILD, THIRD_CHANNEL),
        ):
            await settings.save_guild_settings(
                tx,
                GuildSettings(guild_id, channel_id=channel_id, channel_since=NOW - 30 * D),
                NOW - 30 * D,
            )
    yield World(database, clock, woken, changes)
    await database.close()


async def outbox(world: World, status: str | None = "pending") -> list[tuple[object, ...]]:
    """(episode, kind, offset, target, due, revision) of each row, in a stable order."""
    async with world.db.snapshot() as tx:
        rows = await tx.fetchall(
            """
            SELECT r.episode, d.kind, d.offset_seconds, d.target_id, d.due_at, d.revision
            FROM deliveries d JOIN releases r ON r.id = d.release_id
            WHERE ? IS NULL OR d.status = ?
            ORDER BY d.target_id, r.episode, d.kind, d.offset_seconds, d.revision
            """,
            (status, status),
        )
    return [tuple(row) for row in rows]


async def mark_sent(world: World, target: int, episode: int | None, kind: str) -> None:
    """Record that Discord accepted this pending row (as the engine would)."""
    async with world.db.transaction() as tx:
        row = await tx.fetchone(
            """
            SELECT d.id FROM deliveries d JOIN releases r ON r.id = d.release_id
            WHERE d.target_id = ? AND r.episode IS ? AND d.kind = ? AND d.status = 'pending'
            ORDER BY d.offset_seconds DESC LIMIT 1
            """,
            (target, episode, kind),
        )
        assert row is not None, (target, episode, kind)
        await deliveries.mark_sent(tx, [row["id"]], 42, world.now)


async def release_rows(world: World) -> list[tuple[object, ...]]:
    async with world.db.snapshot() as tx:
        rows = await tx.fetchall(
            "SELECT episode, label, starts_at, precision, status, revision FROM releases "
            "WHERE guild_id IS NULL ORDER BY episode"
        )
    return [tuple(row) for row in rows]


async def follow(world: World, guild_id: int = GUILD, **changes: object) -> FollowStatus:
    media = replace(OSHI, **changes)  # type: ignore[arg-type]
    result = await world.catalog.follow(guild_id, media, AIRINGS, None, None, True, world.now)
    return result.status


def epoch(moment: datetime) -> int:
    return to_epoch(moment)


async def test_following_imports_the_show_and_owes_its_episodes(world: World) -> None:
    result = await world.catalog.follow(GUILD, OSHI, AIRINGS, None, None, True, NOW)
    assert result.status is FollowStatus.FOLLOWED
    assert result.show is not None and result.show.title == "[Oshi no Ko] 2nd Season"
    assert result.next_release is not None and result.next_release.time.at == EP1
    assert result.channel_id == CHANNEL
    assert await release_rows(world) == [
        (1, "Episode 1", epoch(EP1), "exact", "scheduled", 1),
        (2, "Episode 2", epoch(EP2), "exact", "scheduled", 1),
    ]
    announcements = [row for row in await outbox(world) if row[1] == "announcement"]
    assert announcements == [
        (1, "announcement", 0, CHANNEL, epoch(EP1), 1),
        (2, "announcement", 0, CHANNEL, epoch(EP2), 1),
    ]
    assert GUILD in world.woken
    assert await world.catalog.shows_to_sync(NOW) == [ANILIST_ID]
    (follows,) = [(await FollowService(world.changes).listing(GUILD))[1]]
    assert [(f.channel_id, f.show_title) for f in follows] == [(CHANNEL, "[Oshi no Ko] 2nd Season")]


async def test_following_again_or_without_a_channel_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    assert await follow(world) is FollowStatus.FOLLOWED
    before = await outbox(world)
    assert await follow(world) is FollowStatus.ALREADY_FOLLOWED
    assert await outbox(world) == before
    again = await world.catalog.follow(GUILD, OSHI, AIRINGS, CHANNEL, None, True, NOW)
    assert again.status is FollowStatus.ALREADY_FOLLOWED
    async with world.db.transaction() as tx:
        await settings.save_guild_settings(tx, GuildSettings(THIRD_GUILD), NOW)
    assert await follow(world, THIRD_GUILD) is FollowStatus.NO_CHANNEL
    assert await outbox(world) == before
    # The control: with a channel given, the guild without one follows it.
    result = await world.catalog.follow(THIRD_GUILD, OSHI, AIRINGS, 999, None, True, NOW)
    assert result.status is FollowStatus.FOLLOWED
    assert {row[3] for row in await outbox(world)} == {CHANNEL, 999}


async def test_adult_media_is_refused_and_nothing_is_stored(world: World) -> None:
    with pytest.raises(AdultContent, match="adult"):
        await follow(world, is_adult=True)
    assert await release_rows(world) == []
    assert await world.catalog.shows_to_sync(NOW) == []


async def test_episodes_aired_before_the_first_follow_owe_nothing(world: World) -> None:
    world.clock[0] = EP1 + H
    await follow(world)
    assert [(r[0], r[4]) for r in await release_rows(world)] == [(1, "released"), (2, "scheduled")]
    assert {row[0] for row in await outbox(world)} == {2}


async def test_applying_the_same_sync_twice_changes_nothing(world: World) -> None:
    await follow(world)
    await mark_sent(world, CHANNEL, 1, "reminder")
    moved = (
        Airing(ANILIST_ID, 1, epoch(EP1 + D)),
        AIRINGS[1],
        Airing(ANILIST_ID, 3, epoch(EP2 + 7 * D)),
    )
    finished = replace(OSHI, episodes=3)
    for _ in range(2):  # a sync interrupted and run again: the same answers applied twice
        await world.catalog.apply_media([finished], NOW)
        await world.catalog.apply_airings([ANILIST_ID], moved, WINDOW_END, NOW)
        if _ == 0:
            after_first = (await release_rows(world), await outbox(world, None))
    assert (await release_rows(world), await outbox(world, None)) == after_first
    notices = [row for row in await outbox(world) if row[1] == "notice"]
    assert notices == [(1, "notice", 0, CHANNEL, epoch(NOW + timedelta(seconds=60)), 2)]


async def test_a_moved_airing_is_a_new_revision_with_one_notice_to_those_told(
    world: World,
) -> None:
    await follow(world)
    await follow(world, OTHER_GUILD)
    await mark_sent(world, CHANNEL, 1, "reminder")  # told; the other guild was not
    moved = (Airing(ANILIST_ID, 1, epoch(EP1 + D)), AIRINGS[1])
    assert await world.catalog.apply_airings([ANILIST_ID], moved, WINDOW_END, NOW) == []
    assert (await release_rows(world))[0] == (1, "Episode 1", epoch(EP1 + D), "exact", "delayed", 2)
    pending = await outbox(world)
    assert [row for row in pending if row[1] == "notice"] == [
        (1, "notice", 0, CHANNEL, epoch(NOW + timedelta(seconds=60)), 2)
    ]
    assert (1, "announcement", 0, OTHER_CHANNEL, epoch(EP1 + D), 2) in pending
    assert {GUILD, OTHER_GUILD} <= set(world.woken)


async def test_a_vanished_airing_is_checked_once_more_then_delayed_with_one_notice(
    world: World,
) -> None:
    await follow(world)
    await mark_sent(world, CHANNEL, 2, "reminder")
    gone = await world.catalog.apply_airings([ANILIST_ID], AIRINGS[:1], WINDOW_END, NOW)
    assert gone == [(ANILIST_ID, 2)]
    # Only reported: nothing changes until the show itself is checked.
    assert (await release_rows(world))[1][4] == "scheduled"
    # Found further ahead: a move, not a delay to TBA.
    later = Airing(ANILIST_ID, 2, epoch(EP2 + 20 * D))
    await world.catalog.confirm_vanished(ANILIST_ID, 2, [later], NOW)
    assert (await release_rows(world))[1][2:4] == (epoch(EP2 + 20 * D), "exact")
    # Gone for good: date TBA, delayed, one notice.
    for _ in range(2):
        await world.catalog.confirm_vanished(ANILIST_ID, 2, [], NOW)
    assert (await release_rows(world))[1] == (2, "Episode 2", None, "tba", "delayed", 3)
    notices = [row for row in await outbox(world) if row[1] == "notice"]
    assert notices == [(2, "notice", 0, CHANNEL, epoch(NOW + timedelta(seconds=60)), 3)]
    assert not [row for row in await outbox(world) if row[0] == 2 and row[1] != "notice"]


async def test_a_cancelled_show_cancels_its_releases_with_one_notice_and_stops_syncing(
    world: World,
) -> None:
    await follow(world)
    await mark_sent(world, CHANNEL, 1, "reminder")
    for _ in range(2):
        await world.catalog.apply_media([replace(OSHI, status=MediaStatus.CANCELLED)], NOW)
    assert [(r[0], r[3], r[4]) for r in await release_rows(world)] == [
        (1, "tba", "cancelled"),
        (2, "tba", "cancelled"),
    ]
    assert await outbox(world) == [(1, "notice", 0, CHANNEL, epoch(NOW + timedelta(seconds=60)), 2)]
    assert await world.catalog.shows_to_sync(NOW) == []


async def test_a_finished_show_stops_syncing(world: World) -> None:
    await follow(world)
    assert await world.catalog.shows_to_sync(NOW) == [ANILIST_ID]
    await world.catalog.apply_media([replace(OSHI, status=MediaStatus.FINISHED)], NOW)
    assert await world.catalog.shows_to_sync(NOW) == []


async def test_the_first_airing_makes_the_dated_release_exact_without_a_notice(
    world: World,
) -> None:
    result = await world.catalog.follow(GUILD, OSHI, (), None, None, True, NOW)
    assert result.status is FollowStatus.FOLLOWED
    july_3_tokyo = datetime(2024, 7, 2, 15, 0, tzinfo=UTC)
    assert await release_rows(world) == [(None, None, epoch(july_3_tokyo), "day", "scheduled", 1)]
    await mark_sent(world, CHANNEL, None, "reminder")  # the 1-day reminder of a day release
    await world.catalog.apply_airings([ANILIST_ID], AIRINGS[:1], WINDOW_END, NOW)
    assert await release_rows(world) == [(1, "Episode 1", epoch(EP1), "exact", "scheduled", 2)]
    pending = await outbox(world)
    assert not [row for row in pending if row[1] == "notice"]
    # The control: it is exact now, so its one-hour reminder is owed.
    assert (1, "reminder", 3600, CHANNEL, epoch(EP1 - H), 2) in pending


@pytest.mark.parametrize(
    ("start", "precision"),
    [
        (FuzzyDate(2025, 4), Precision.MONTH),
        (FuzzyDate(2025), Precision.YEAR),
        (FuzzyDate(), Precision.TBA),
    ],
)
async def test_a_show_without_airings_gets_one_release_at_its_real_precision(
    world: World, start: FuzzyDate, precision: Precision
) -> None:
    media = replace(OSHI, start_date=start, format=MediaFormat.MOVIE, episodes=1)
    await world.catalog.follow(GUILD, media, (), None, None, True, NOW)
    [(episode, _, _, stored, status, _)] = await release_rows(world)
    assert (episode, stored, status) == (None, precision.value, "scheduled")


async def test_two_guilds_each_get_their_own_rows_channel_and_delay(world: World) -> None:
    await SettingsService(world.changes).set_delay(OTHER_GUILD, "1h")
    await follow(world)
    await follow(world, OTHER_GUILD)
    announcements = {
        (row[0], row[3]): row[4] for row in await outbox(world) if row[1] == "announcement"
    }
    assert announcements == {
        (1, CHANNEL): epoch(EP1),
        (2, CHANNEL): epoch(EP2),
        (1, OTHER_CHANNEL): epoch(EP1 + H),
        (2, OTHER_CHANNEL): epoch(EP2 + H),
    }
    async with world.db.snapshot() as tx:
        guilds = await tx.fetchall("SELECT DISTINCT target_id, guild_id FROM deliveries")
    assert sorted(tuple(row) for row in guilds) == [(CHANNEL, GUILD), (OTHER_CHANNEL, OTHER_GUILD)]


async def test_a_delay_change_reschedules_without_a_notice(world: World) -> None:
    await follow(world)
    await mark_sent(world, CHANNEL, 1, "reminder")
    await SettingsService(world.changes).set_delay(GUILD, "2h")
    pending = await outbox(world)
    assert (1, "announcement", 0, CHANNEL, epoch(EP1 + 2 * H), 1) in pending
    assert (1, "announcement", 0, CHANNEL, epoch(EP1), 1) not in pending
    assert not [row for row in pending if row[1] == "notice"]
    await SettingsService(world.changes).set_delay(GUILD, "none")
    assert (1, "announcement", 0, CHANNEL, epoch(EP1), 1) in await outbox(world)


async def test_unfollowing_stops_that_guilds_rows_only(world: World) -> None:
    await follow(world)
    await follow(world, OTHER_GUILD)
    async with world.db.snapshot() as tx:
        show_id = (await catalog.shows_by_anilist_ids(tx, [ANILIST_ID]))[ANILIST_ID].show.id
    await FollowService(world.changes).unfollow(GUILD, CHANNEL, str(show_id))
    assert {row[3] for row in await outbox(world)} == {OTHER_CHANNEL}
    with pytest.raises(NotFound):
        await ReleaseService(world.changes).get(GUILD, "[Oshi no Ko] 2nd Season")
    assert await world.catalog.shows_to_sync(NOW) == [ANILIST_ID]
    await FollowService(world.changes).unfollow(OTHER_GUILD, OTHER_CHANNEL, str(show_id))
    assert await outbox(world) == []
    assert await world.catalog.shows_to_sync(NOW) == []


async def test_a_guild_following_only_all_does_not_see_catalog_shows(world: World) -> None:
    await follow(world)
    async with world.db.transaction() as tx:
        from bot.storage import follows

        await follows.save_follow(
            tx,
            guild_id=THIRD_GUILD,
            channel_id=THIRD_CHANNEL,
            show_id=None,
            role_id=None,
            episodes=True,
            now=NOW,
        )
    service = ReleaseService(world.changes)
    assert (await service.upcoming(THIRD_GUILD, 30 * D)).releases == []
    assert await service.suggest(THIRD_GUILD, "oshi") == []
    assert await FollowService(world.changes).suggest_shows(THIRD_GUILD, "oshi") == []
    with pytest.raises(NotFound):
        await service.get(THIRD_GUILD, "[Oshi no Ko] 2nd Season")
    assert THIRD_CHANNEL not in {row[3] for row in await outbox(world)}
    # The control: the guild that follows it sees it everywhere.
    assert [r.episode for r in (await service.upcoming(GUILD, 30 * D)).releases] == [1, 2]
    assert len(await service.suggest(GUILD, "oshi")) == 2


async def test_a_guild_reads_catalog_titles_in_its_language_and_finds_any_title(
    world: World,
) -> None:
    await follow(world)
    await SettingsService(world.changes).set_title_language(GUILD, TitleLanguage.ENGLISH)
    await SettingsService(world.changes).set_delay(GUILD, "30m")
    service = ReleaseService(world.changes)
    upcoming = (await service.upcoming(GUILD, 30 * D)).releases
    assert [r.display_title for r in upcoming] == [
        "Oshi no Ko Season 2 — Episode 1",
        "Oshi no Ko Season 2 — Episode 2",
    ]
    assert upcoming[0].time.at == EP1 + 30 * timedelta(minutes=1)
    for typed in ("推しの子", "onk s2", "season 2 episode 2", "2nd season"):
        assert await service.suggest(GUILD, typed), typed
    [first] = await service.suggest(GUILD, "onk episode 1")
    assert first.episode == 1
    card = await service.get(GUILD, "【推しの子】第2期 — Episode 2")
    assert card.episode == 2 and card.show.title == "Oshi no Ko Season 2"


async def test_release_edit_and_remove_refuse_a_catalog_release(world: World) -> None:
    await follow(world)
    service = ReleaseService(world.changes)
    card = await service.get(GUILD, "[Oshi no Ko] 2nd Season — Episode 1")
    with pytest.raises(ReadOnly, match="AniList"):
        await service.edit(GUILD, str(card.id), ReleaseChanges(when="2030-01-01"))
    with pytest.raises(ReadOnly):
        await service.remove(GUILD, str(card.id))
    with pytest.raises(ReadOnly):
        await service.add(GUILD, ReleaseDraft(title="oshi no ko season 2", when="2030-01-01"))
    assert (await release_rows(world))[0][2:5] == (epoch(EP1), "exact", "scheduled")
    assert card.status is ReleaseStatus.SCHEDULED
    # The control: a guild that does not follow it may use the title for its own show.
    added = await service.add(OTHER_GUILD, ReleaseDraft(title="Oshi no Ko Season 2", when="2030"))
    assert added.release.show.guild_id == OTHER_GUILD


async def test_episodes_false_keeps_the_premiere_and_the_finale_anilist_knows(
    world: World,
) -> None:
    three = (*AIRINGS, Airing(ANILIST_ID, 3, epoch(EP2 + 7 * D)))
    media = replace(OSHI, episodes=3)
    await world.catalog.follow(GUILD, media, three, 999, None, False, NOW)
    followed = {row[0] for row in await outbox(world) if row[3] == 999}
    assert followed == {1, 3}
    # The count grows: episode 3 is a regular episode now, and no longer owed there.
    await world.catalog.apply_media([replace(OSHI, episodes=12)], NOW)
    assert {row[0] for row in await outbox(world) if row[3] == 999} == {1}
    # The announcement channel (every show it sees) still gets every episode.
    assert {row[0] for row in await outbox(world) if row[3] == CHANNEL} == {1, 2, 3}
