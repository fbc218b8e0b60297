"""The AniList sync driving the real catalog core: every date kept in sync, with exactly
the messages design.md owes.

The sync (`AniListSync` with the real client and limiter) asks the stand-in over loopback
and stores what it read through `CatalogService` into a real migrated SQLite database,
whose reconcile writes the outbox; the delivery engine posts what is owed to a fake
Discord. One injected clock drives it all (see sync_world.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.models import DeliveryKind
from bot.services.catalog import FollowStatus
from tests.anilist.clock import NOW
from tests.anilist.sync_world import (
    SyncClock,
    World,
    start_world,
    stop_world,
    sync_in_process,
)
from tests.anilist_standin import AniListStandin, StandinMedia, bulk_catalogue
from tests.anilist_standin.data import ANNOUNCED_MOVIE, OSHI_NO_KO, WEEK

D = timedelta(days=1)
H = timedelta(hours=1)
GUILD_A, CHANNEL_A = 1001, 111
GUILD_B, CHANNEL_B = 2002, 222
#: Oshi no Ko in the stand-in: episodes 1-3 aired, episode 4 a day ahead, then weekly.
EP4 = NOW + D
EP5 = EP4 + WEEK
EP6 = EP5 + WEEK
WEEKLY = 900_101
DATED = 900_102

ANNOUNCEMENT, NOTICE, REMINDER = (
    DeliveryKind.ANNOUNCEMENT,
    DeliveryKind.NOTICE,
    DeliveryKind.REMINDER,
)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture
def clock() -> SyncClock:
    return SyncClock(NOW)


@pytest.fixture
async def world(tmp_path: Path, standin: AniListStandin, clock: SyncClock) -> AsyncIterator[World]:
    built = await start_world(tmp_path / "airdate.db", standin.url, clock)
    await built.engine.settings.set_channel(GUILD_A, CHANNEL_A)
    await built.engine.settings.set_channel(GUILD_B, CHANNEL_B)
    try:
        yield built
    finally:
        await stop_world(built)


async def tell_a_about_episode_5(world: World) -> None:
    """Guild A follows Oshi no Ko and is sent episode 5's 7-day reminder (a day later)."""
    await world.follow(GUILD_A, OSHI_NO_KO)
    await world.deliver_until(EP4 + timedelta(minutes=1))
    assert (OSHI_NO_KO, 5, "reminder", CHANNEL_A) in world.posted(REMINDER)


async def live(world: World, until: datetime, every: timedelta = D) -> None:
    """Let time pass as in the bot: a sync every `every`, messages delivered when due."""
    while world.clock.now < until:
        await world.deliver_until(min(world.clock.now + every, until))
        await world.run_sync()


def pending_times(world: World, episode: int) -> set[tuple[str, int, int, int]]:
    """(kind, offset, target, due) of the pending rows about one Oshi no Ko episode."""
    return {
        (row[2], row[3], row[5], row[6])
        for row in world.outbox()
        if row[:2] == (OSHI_NO_KO, episode)
    }


# ----------------------------------------------------------------- following, no change
async def test_a_sync_with_nothing_changed_changes_nothing(
    world: World, standin: AniListStandin
) -> None:
    followed = await world.follow(GUILD_A, OSHI_NO_KO)
    assert followed.status is FollowStatus.FOLLOWED
    assert followed.next_release is not None and followed.next_release.episode == 4
    assert [r[1:] for r in world.releases()] == [
        (episode, epoch(EP4 + (episode - 4) * WEEK), "exact", "scheduled", 1)
        for episode in range(4, 14)
    ]
    assert pending_times(world, 4) == {
        ("reminder", 3600, CHANNEL_A, epoch(EP4 - H)),
        ("announcement", 0, CHANNEL_A, epoch(EP4)),
    }
    before = (world.releases(), world.outbox(None))
    asked = len(standin.requests)
    for _ in range(2):
        report = await world.run_sync()
        assert (report.complete, report.requests, report.rechecked) == (True, 2, 0)
        assert (world.releases(), world.outbox(None)) == before
    assert len(standin.requests) == asked + 4
    assert world.notices() == []
    # The control: the same sync sees a move.
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + 2 * H)
    await world.run_sync()
    assert world.release(OSHI_NO_KO, 5)[2:] == (epoch(EP5 + 2 * H), "exact", "delayed", 2)


# ----------------------------------------------------------------- moves
async def test_a_moved_airing_owes_one_notice_to_those_told_and_none_to_others(
    world: World, standin: AniListStandin
) -> None:
    await tell_a_about_episode_5(world)
    await world.follow(GUILD_B, OSHI_NO_KO)  # after episode 5's 7-day reminder: not told
    later = EP5 + D
    standin.catalogue.move_airing(OSHI_NO_KO, 5, later)
    report = await world.run_sync()
    assert (report.complete, report.rechecked) == (True, 0)
    assert world.release(OSHI_NO_KO, 5)[2:] == (epoch(later), "exact", "delayed", 2)
    assert [(r[1], r[4], r[5]) for r in world.notices()] == [(5, 2, CHANNEL_A)]
    assert pending_times(world, 5) == {
        ("notice", 0, CHANNEL_A, epoch(world.clock.now) + 30),
        # A week before the new time is still ahead: owed again, the time having moved.
        ("reminder", 7 * 86400, CHANNEL_A, epoch(later - 7 * D)),
        ("reminder", 7 * 86400, CHANNEL_B, epoch(later - 7 * D)),
        ("reminder", 86400, CHANNEL_A, epoch(later - D)),
        ("reminder", 3600, CHANNEL_A, epoch(later - H)),
        ("announcement", 0, CHANNEL_A, epoch(later)),
        ("reminder", 86400, CHANNEL_B, epoch(later - D)),
        ("reminder", 3600, CHANNEL_B, epoch(later - H)),
        ("announcement", 0, CHANNEL_B, epoch(later)),
    }
    assert {row[4] for row in world.outbox() if row[1] == 5} == {2}
    # The same answer again changes nothing.
    before = world.outbox(None)
    await world.run_sync()
    assert world.outbox(None) == before

    await world.deliver_until(later + timedelta(minutes=1))
    assert world.posted(NOTICE) == [(OSHI_NO_KO, 5, "notice", CHANNEL_A)]
    fifth = [p for p in world.posted(ANNOUNCEMENT) if p[1] == 5]
    assert sorted(fifth) == [
        (OSHI_NO_KO, 5, "announcement", CHANNEL_A),
        (OSHI_NO_KO, 5, "announcement", CHANNEL_B),
    ]
    announced_at = {m.at for m in world.messages() if any(k.kind is ANNOUNCEMENT for k in m.keys)}
    assert later in announced_at and EP5 not in announced_at


async def test_a_move_undone_before_anyone_is_told_owes_nothing(
    world: World, standin: AniListStandin
) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO)
    before = pending_times(world, 5)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    await world.run_sync()
    assert ("announcement", 0, CHANNEL_A, epoch(EP5 + D)) in pending_times(world, 5)  # control
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5)
    await world.run_sync()
    assert pending_times(world, 5) == before
    assert world.release(OSHI_NO_KO, 5)[2:5] == (epoch(EP5), "exact", "scheduled")
    assert world.notices() == []
    await world.deliver_until(EP5 + timedelta(minutes=1))
    assert [p for p in world.posted() if p[1] == 5] == [
        (OSHI_NO_KO, 5, "reminder", CHANNEL_A),  # 7 days before
        (OSHI_NO_KO, 5, "reminder", CHANNEL_A),  # a day before
        (OSHI_NO_KO, 5, "reminder", CHANNEL_A),  # an hour before
        (OSHI_NO_KO, 5, "announcement", CHANNEL_A),
    ]


# ----------------------------------------------------------------- new episodes
async def test_new_episodes_are_scheduled_when_they_enter_the_window(
    world: World, standin: AniListStandin
) -> None:
    standin.catalogue.add(StandinMedia(WEEKLY, "Weekly Stand-in", start_date=(2026, 1, 9)))
    standin.catalogue.add_weekly(WEEKLY, NOW + 2 * D, range(1, 3))
    await world.follow(GUILD_A, WEEKLY)
    assert [r[1] for r in world.releases()] == [1, 2]
    standin.catalogue.add_episodes(WEEKLY, 2)  # episodes 3 and 4: 16 and 23 days ahead
    report = await world.run_sync()
    assert report.airings == 2 and [r[1] for r in world.releases()] == [1, 2]
    await world.deliver_until(NOW + 3 * D)
    report = await world.run_sync()  # episode 3 is 13 days ahead now
    assert [r[1] for r in world.releases()] == [1, 2, 3]
    third = NOW + 16 * D
    assert world.release(WEEKLY, 3)[2:] == (epoch(third), "exact", "scheduled", 1)
    assert {(r[2], r[3], r[5], r[6]) for r in world.outbox() if r[1] == 3} == {
        ("reminder", 7 * 86400, CHANNEL_A, epoch(third - 7 * D)),
        ("reminder", 86400, CHANNEL_A, epoch(third - D)),
        ("reminder", 3600, CHANNEL_A, epoch(third - H)),
        ("announcement", 0, CHANNEL_A, epoch(third)),
    }
    assert world.notices() == []


# ----------------------------------------------------------------- vanished airings
async def test_a_vanished_airing_is_checked_once_then_delayed_with_one_notice_and_can_return(
    world: World, standin: AniListStandin
) -> None:
    await tell_a_about_episode_5(world)
    await world.follow(GUILD_B, OSHI_NO_KO)
    standin.catalogue.remove_airing(OSHI_NO_KO, 5)
    asked = len(standin.requests)
    report = await world.run_sync()
    assert (report.complete, report.requests, report.rechecked) == (True, 3, 1)
    rechecks = [r for r in standin.requests[asked:] if r.root == "Media"]
    assert [r.variables for r in rechecks] == [{"id": OSHI_NO_KO}]
    assert world.release(OSHI_NO_KO, 5)[2:] == (None, "tba", "delayed", 2)
    assert [(r[1], r[5]) for r in world.notices()] == [(5, CHANNEL_A)]
    assert [r for r in world.outbox() if r[1] == 5 and r[2] != "notice"] == []
    # Checked once: the next sync asks the window only, and changes nothing.
    before = world.outbox(None)
    report = await world.run_sync()
    assert (report.requests, report.rechecked) == (2, 0)
    assert world.outbox(None) == before
    await world.deliver_until(world.clock.now + timedelta(minutes=1))
    assert world.posted(NOTICE) == [(OSHI_NO_KO, 5, "notice", CHANNEL_A)]

    # It comes back three hours later than it was: scheduled again, for both guilds.
    back = EP5 + 3 * H
    standin.catalogue.add_airing(OSHI_NO_KO, 5, back)
    report = await world.run_sync()
    assert report.rechecked == 0
    assert world.release(OSHI_NO_KO, 5)[2:] == (epoch(back), "exact", "scheduled", 3)
    assert {(r[2], r[5], r[6]) for r in world.outbox() if r[1] == 5 and r[3] in (0, 86400)} == {
        ("announcement", CHANNEL_A, epoch(back)),
        ("announcement", CHANNEL_B, epoch(back)),
        ("reminder", CHANNEL_A, epoch(back - D)),
        ("reminder", CHANNEL_B, epoch(back - D)),
    }
    await world.deliver_until(back + timedelta(minutes=1))
    assert world.posted(NOTICE) == [(OSHI_NO_KO, 5, "notice", CHANNEL_A)]
    assert sorted(p[3] for p in world.posted(ANNOUNCEMENT) if p[1] == 5) == [CHANNEL_A, CHANNEL_B]


async def test_an_airing_moved_past_the_window_is_found_by_the_recheck_and_moved(
    world: World, standin: AniListStandin
) -> None:
    # A week off: every later episode lands a week later; episode 6 leaves the window.
    await world.follow(GUILD_A, OSHI_NO_KO)
    await world.deliver_until(EP4 + timedelta(minutes=1))
    await world.run_sync()
    for episode in range(6, 14):
        standin.catalogue.move_airing(OSHI_NO_KO, episode, EP4 + (episode - 3) * WEEK)
    report = await world.run_sync()
    assert (report.requests, report.rechecked) == (3, 1)
    assert world.release(OSHI_NO_KO, 6)[2:] == (epoch(EP6 + WEEK), "exact", "delayed", 2)
    # Beyond the window the others are not known to have moved yet: each is re-checked
    # when its old time enters the window, a week before its first reminder.
    assert world.release(OSHI_NO_KO, 7)[2:] == (epoch(EP6 + WEEK), "exact", "scheduled", 1)
    assert world.notices() == []  # nobody was told of episode 6 yet
    await world.deliver_until(EP4 + 6 * D)
    assert (await world.run_sync()).rechecked == 0
    await world.deliver_until(EP4 + 7 * D + timedelta(minutes=1))
    report = await world.run_sync()
    assert (report.requests, report.rechecked) == (3, 1)
    assert world.release(OSHI_NO_KO, 7)[2:] == (epoch(EP6 + 2 * WEEK), "exact", "delayed", 2)
    assert world.notices() == []
    assert not [p for p in world.posted() if p[1] in (6, 7)]


# ----------------------------------------------------------------- cancelled, finished
async def test_a_cancelled_show_cancels_what_is_ahead_with_one_notice_and_stops_syncing(
    world: World, standin: AniListStandin
) -> None:
    await tell_a_about_episode_5(world)
    standin.catalogue.cancel(OSHI_NO_KO, world.clock.now)
    report = await world.run_sync()
    assert (report.complete, report.rechecked) == (True, 0)
    statuses = {r[1]: r[4] for r in world.releases()}
    assert statuses == {4: "scheduled", **{e: "cancelled" for e in range(5, 14)}}
    # Episode 4 aired before: it stays as it was, and owes nothing.
    assert world.release(OSHI_NO_KO, 4)[2:4] == (epoch(EP4), "exact")
    assert [(r[1], r[5]) for r in world.notices()] == [(5, CHANNEL_A)]
    assert [r for r in world.outbox() if r[2] != "notice"] == []
    asked = len(standin.requests)
    report = await world.run_sync()
    assert (report.shows, report.requests) == (0, 0)
    assert len(standin.requests) == asked
    await world.deliver_until(world.clock.now + timedelta(minutes=1))
    assert world.posted(NOTICE) == [(OSHI_NO_KO, 5, "notice", CHANNEL_A)]


async def test_a_finished_show_stops_syncing_and_the_others_go_on(
    world: World, standin: AniListStandin
) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO)
    await world.follow(GUILD_A, ANNOUNCED_MOVIE)
    await world.run_sync()
    standin.catalogue.finish(ANNOUNCED_MOVIE)
    await world.run_sync()
    asked = len(standin.requests)
    report = await world.run_sync()
    assert (report.shows, report.requests) == (1, 2)
    asked_for = [r.variables.get("ids") for r in standin.requests[asked:]]
    assert asked_for == [[OSHI_NO_KO], [OSHI_NO_KO]]


# ----------------------------------------------------------------- two guilds
async def test_two_guilds_get_their_own_rows_until_each_unfollows(
    world: World, standin: AniListStandin
) -> None:
    await world.engine.settings.set_delay(GUILD_B, "1h")
    await world.follow(GUILD_A, OSHI_NO_KO)
    await world.follow(GUILD_B, OSHI_NO_KO)
    announced = {(r[1], r[5]): r[6] for r in world.outbox() if r[2] == "announcement"}
    assert announced[(4, CHANNEL_A)] == epoch(EP4)
    assert announced[(4, CHANNEL_B)] == epoch(EP4 + H)
    guilds = world.engine.rows("SELECT DISTINCT target_id, guild_id FROM deliveries ORDER BY 1")
    assert guilds == [(CHANNEL_A, GUILD_A), (CHANNEL_B, GUILD_B)]
    standin.catalogue.move_airing(OSHI_NO_KO, 4, EP4 + 2 * H)
    await world.run_sync()
    assert pending_times(world, 4) >= {
        ("announcement", 0, CHANNEL_A, epoch(EP4 + 2 * H)),
        ("announcement", 0, CHANNEL_B, epoch(EP4 + 3 * H)),
    }

    show_id = world.engine.rows(
        "SELECT show_id FROM catalog_media WHERE anilist_id = ?", (OSHI_NO_KO,)
    )[0][0]
    a_rows = [r for r in world.outbox() if r[5] == CHANNEL_A]
    await world.engine.follows.unfollow(GUILD_B, CHANNEL_B, str(show_id))
    assert [r for r in world.outbox() if r[5] == CHANNEL_B] == []
    assert {r[7] for r in world.outbox(None) if r[5] == CHANNEL_B} == {"skipped"}
    assert [r for r in world.outbox() if r[5] == CHANNEL_A] == a_rows
    assert (await world.run_sync()).requests == 2
    await world.engine.follows.unfollow(GUILD_A, CHANNEL_A, str(show_id))
    asked = len(standin.requests)
    report = await world.run_sync()
    assert (report.shows, report.requests, len(standin.requests)) == (0, 0, asked)
    assert world.outbox() == []


# ----------------------------------------------------------------- a date made exact
async def test_the_date_only_release_becomes_exact_without_a_notice(
    world: World, standin: AniListStandin
) -> None:
    standin.catalogue.add(
        StandinMedia(DATED, "Dated Stand-in", status="NOT_YET_RELEASED", start_date=(2026, 1, 20))
    )
    await world.follow(GUILD_A, DATED)
    tokyo_day = datetime(2026, 1, 19, 15, 0, tzinfo=UTC)  # 20 January, 00:00 in Tokyo
    assert world.releases() == [(DATED, None, epoch(tokyo_day), "day", "scheduled", 1)]
    await world.deliver_until(tokyo_day - 7 * D + H)
    assert world.posted() == [(DATED, None, "reminder", CHANNEL_A)]  # its 7-day reminder
    first = datetime(2026, 1, 20, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
    standin.catalogue.add_airing(DATED, 1, first)
    await world.run_sync()
    assert world.releases() == [(DATED, 1, epoch(first), "exact", "scheduled", 2)]
    assert world.notices() == []
    assert {(r[2], r[3], r[6]) for r in world.outbox()} == {
        ("reminder", 86400, epoch(first - D)),
        ("reminder", 3600, epoch(first - H)),
        ("announcement", 0, epoch(first)),
    }
    await world.deliver_until(first + timedelta(minutes=1))
    assert [p[2] for p in world.posted()] == ["reminder", "reminder", "reminder", "announcement"]


# ----------------------------------------------------------------- failures
FAULTS = [
    pytest.param("slow", {"delay": 1.3}, id="slower-than-the-timeout"),
    pytest.param("status", {"status": 500}, id="500"),
    pytest.param("status", {"status": 503}, id="503"),
    pytest.param("disabled", {}, id="403-disabled"),
    pytest.param("html", {}, id="html"),
    pytest.param("errors_in_200", {}, id="errors-in-200"),
    pytest.param("malformed_json", {}, id="malformed-json"),
    pytest.param("partial", {}, id="partial-data"),
]


@pytest.mark.parametrize("part", ["metadata", "airings"])
@pytest.mark.parametrize(("fault", "options"), FAULTS)
async def test_a_failing_sync_keeps_what_it_knew_and_the_next_applies_the_change(
    world: World,
    standin: AniListStandin,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    options: dict[str, float],
    part: str,
) -> None:
    await tell_a_about_episode_5(world)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    standin.catalogue.remove_airing(OSHI_NO_KO, 6)
    before = (world.releases(), world.outbox(None))
    if part == "metadata":
        standin.fail(fault, count=None, **options)  # type: ignore[arg-type]
    else:

        def break_after_metadata(request: object) -> None:
            if getattr(request, "root", "") == "Page.media":
                standin.fail(fault, count=None, **options)  # type: ignore[arg-type]

        standin.after_answer = break_after_metadata
    caplog.set_level(logging.WARNING, logger="bot.anilist")
    report = await world.run_sync()
    assert not report.complete
    assert report.requests == (5 if part == "metadata" else 6)  # 5 tries of the failing one
    assert (world.releases(), world.outbox(None)) == before
    outage = [r for r in caplog.records if "not answering" in r.getMessage()]
    assert len(outage) == 1

    standin.after_answer = None
    standin.heal()
    report = await world.run_sync()
    assert report.complete and report.rechecked == 1
    assert world.release(OSHI_NO_KO, 5)[2:] == (epoch(EP5 + D), "exact", "delayed", 2)
    assert world.release(OSHI_NO_KO, 6)[2:] == (None, "tba", "delayed", 2)
    assert [(r[1], r[5]) for r in world.notices()] == [(5, CHANNEL_A)]
    assert [r for r in caplog.records if "not answering" in r.getMessage()] == outage
    assert len([r for r in caplog.records if "answers again" in r.getMessage()]) == 1


async def test_an_outage_over_several_syncs_is_one_log_line_and_loses_nothing(
    world: World, standin: AniListStandin, caplog: pytest.LogCaptureFixture
) -> None:
    await tell_a_about_episode_5(world)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    before = (world.releases(), world.outbox(None))
    standin.fail("status", count=None, status=502)
    caplog.set_level(logging.WARNING, logger="bot.anilist")
    for _ in range(3):
        report = await world.run_sync()
        assert not report.complete
        assert (world.releases(), world.outbox(None)) == before
    failed = [r for r in standin.requests if r.status == 502]
    assert len(failed) == 15
    # Backing off: each retry waited longer than the one before (on the injected clock).
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(failed)]
    assert gaps[1] > gaps[0] and max(gaps) <= 600 + 60
    # What was owed before the outage is still delivered meanwhile.
    await world.deliver_until(EP5 - H + timedelta(minutes=1))
    assert (OSHI_NO_KO, 5, "reminder", CHANNEL_A) in world.posted(REMINDER)
    standin.heal()
    assert (await world.run_sync()).complete
    assert world.release(OSHI_NO_KO, 5)[2:4] == (epoch(EP5 + D), "exact")
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "not answering" in m]) == 1
    assert len([m for m in messages if "answers again" in m]) == 1


async def test_a_429_pauses_for_retry_after_and_the_sync_completes(
    world: World, standin: AniListStandin, clock: SyncClock, caplog: pytest.LogCaptureFixture
) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    # Another program on the same address spends AniList's real budget (30 a minute).
    from tests.anilist.sync_world import make_client

    other = make_client(standin.url, clock, budget=90)
    try:
        for _ in range(29):  # the follow above was the 30th
            await other.media([OSHI_NO_KO])
    finally:
        await other.close()
    caplog.set_level(logging.WARNING, logger="bot.anilist")
    asked = len(standin.requests)
    report = await world.run_sync()
    assert report.complete and report.requests == 3
    refused, retried = standin.requests[asked], standin.requests[asked + 1]
    assert refused.status == 429 and retried.status == 200
    assert (retried.at - refused.at).total_seconds() >= 60  # Retry-After said 60
    assert world.release(OSHI_NO_KO, 5)[2:4] == (epoch(EP5 + D), "exact")
    assert len([r for r in caplog.records if "not answering" in r.getMessage()]) == 1


# ----------------------------------------------------------------- SIGKILL mid-sync
BULK = 60  # two metadata requests, three pages of airings
REPOSITORY = Path(__file__).resolve().parents[2]


def outbox_of(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return list(
            connection.execute(
                """
                SELECT c.anilist_id, r.episode, d.kind, d.offset_seconds, d.revision, d.target_id,
                       d.due_at, d.status, d.old_starts_at
                FROM deliveries d JOIN releases r ON r.id = d.release_id
                JOIN catalog_media c ON c.show_id = r.show_id
                ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
                """
            )
        )


def releases_of(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return list(
            connection.execute(
                """
                SELECT c.anilist_id, r.episode, r.label, r.starts_at, r.precision, r.status,
                       r.revision, r.revised_at
                FROM releases r JOIN catalog_media c ON c.show_id = r.show_id
                ORDER BY 1, 2
                """
            )
        )


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)


@pytest.mark.parametrize(
    "killed_during",
    [
        pytest.param(2, id="second-metadata-request"),
        pytest.param(4, id="second-airings-page"),
        pytest.param(6, id="a-recheck"),
    ],
)
async def test_a_sync_killed_mid_way_then_run_again_equals_one_clean_sync(
    world: World, standin: AniListStandin, tmp_path: Path, killed_during: int
) -> None:
    standin.mode = "off"  # two processes with clocks of their own ask it at once
    standin.catalogue = bulk_catalogue(BULK, world.clock.now)
    ids = [200_000 + n for n in range(BULK)]
    for chunk in (ids[:50], ids[50:]):
        media = await world.client.media(chunk)
        airings = await world.client.airings(chunk, world.clock.now, world.clock.now + 14 * D)
        for item in media:
            mine = [a for a in airings if a.anilist_id == item.anilist_id]
            await world.catalog.follow(GUILD_A, item, mine, None, None, True, world.clock.now)
    # Some targets are told (one-hour reminders of the first few shows), then AniList moves,
    # drops, cancels and adds, across both metadata chunks and every airings page.
    await world.deliver_until(world.clock.now + 30 * timedelta(minutes=1))
    told = {p[0] for p in world.posted(REMINDER)}
    assert len(told) >= 3
    now = world.clock.now
    catalogue = standin.catalogue
    for anilist_id in ids[:8]:
        catalogue.move_airing(anilist_id, 4, catalogue.airing(anilist_id, 4).airing_at + 86400)
    for anilist_id in (ids[20], ids[55]):
        catalogue.remove_airing(anilist_id, 5)
    catalogue.cancel(ids[52], now)
    catalogue.add_airing(ids[30], 6, catalogue.airing(ids[30], 5).airing_at + 3600)

    path = world.engine.path
    clean = tmp_path / "clean.db"
    copy_database(path, clean)
    base = len(standin.requests)
    before = releases_of(path)

    def stall(request: object) -> None:
        if len(standin.requests) == base + killed_during - 1:
            standin.fail("slow", delay=3.0)  # the next request hangs: the kill lands there

    standin.after_answer = stall
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.anilist.sync_world",
        str(path),
        standin.url,
        now.isoformat(),
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            while len(standin.requests) < base + killed_during:
                assert process.returncode is None, await process.communicate()
                await asyncio.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.communicate()
    assert process.returncode == -signal.SIGKILL
    standin.after_answer = None
    standin.heal()
    stalled = standin.requests[base + killed_during - 1]
    assert stalled.fault == "slow"
    if killed_during == 6:
        assert stalled.root == "Media"  # the first re-check of a dropped episode
    half_done = releases_of(path)

    # The sync again, in full, from the same moment; and a clean one on the copy.
    again = await sync_in_process(path, standin.url, now)
    reference = await sync_in_process(clean, standin.url, now)
    assert again.complete and reference.complete
    assert releases_of(path) == releases_of(clean)
    assert outbox_of(path) == outbox_of(clean)
    # The controls: the killed sync had stored part of it (past the second metadata
    # request: the cancelled show), and the clean one changed what it had not yet.
    assert (half_done != before) is (killed_during > 2)
    assert half_done != releases_of(clean)
    notices = [row for row in outbox_of(clean) if row[2] == "notice"]
    assert {row[0] for row in notices} == {i for i in ids[:8] if i in told}
    episodes = [(row[0], row[1]) for row in releases_of(path)]
    assert len(episodes) == len(set(episodes))


# ----------------------------------------------------------------- AniList as it behaves
async def test_past_rows_vanishing_while_a_show_airs_change_nothing(
    world: World, standin: AniListStandin
) -> None:
    await world.engine.settings.set_delay(GUILD_B, "2h")
    await world.follow(GUILD_A, OSHI_NO_KO)
    await world.follow(GUILD_B, OSHI_NO_KO)
    await world.deliver_until(EP4 + H)  # aired; B is told two hours after the broadcast
    assert (OSHI_NO_KO, 4, "announcement", CHANNEL_B) not in world.posted()
    for episode in (1, 2, 3, 4):
        standin.catalogue.remove_airing(OSHI_NO_KO, episode)
    before = (world.releases(), world.outbox(None))
    report = await world.run_sync()
    assert (report.complete, report.requests, report.rechecked) == (True, 2, 0)
    assert (world.releases(), world.outbox(None)) == before
    await world.deliver_until(EP4 + 2 * H + timedelta(minutes=1))
    assert (OSHI_NO_KO, 4, "announcement", CHANNEL_B) in world.posted()


async def test_a_double_episode_premiere_announces_both_in_one_message(
    world: World, standin: AniListStandin
) -> None:
    premiere = NOW + 10 * D
    standin.catalogue.add(
        StandinMedia(WEEKLY, "Premiere Stand-in", status="NOT_YET_RELEASED", episodes=12)
    )
    standin.catalogue.add_weekly(WEEKLY, premiere, range(1, 4))
    await world.follow(GUILD_A, WEEKLY)
    await world.deliver_until(premiere - 7 * D + H)  # told: episode 1's 7-day reminder
    # Episodes 1 and 2 air together: episode 2 is brought forward a week, 3 follows.
    standin.catalogue.move_airing(WEEKLY, 2, premiere)
    standin.catalogue.move_airing(WEEKLY, 3, premiere + WEEK)
    await world.run_sync()
    assert [r[1:] for r in world.releases()] == [
        (1, epoch(premiere), "exact", "scheduled", 1),
        (2, epoch(premiere), "exact", "scheduled", 2),
        (3, epoch(premiere + WEEK), "exact", "scheduled", 2),
    ]
    assert world.notices() == []  # nobody had been told of episodes 2 or 3
    await world.deliver_until(premiere + timedelta(minutes=1))
    # One message at the premiere: both announcements (and episode 3's 7-day reminder).
    (message,) = [m for m in world.messages() if m.at == premiere]
    assert sorted((k.kind.value, k.offset_seconds) for k in message.keys) == [
        ("announcement", 0),
        ("announcement", 0),
        ("reminder", 7 * 86400),
    ]
    assert world.posted(ANNOUNCEMENT) == [
        (WEEKLY, 1, "announcement", CHANNEL_A),
        (WEEKLY, 2, "announcement", CHANNEL_A),
    ]


async def test_regenerated_airing_ids_change_nothing(world: World, standin: AniListStandin) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO)
    before = (world.releases(), world.outbox(None))
    standin.catalogue.regenerate_ids(OSHI_NO_KO)
    report = await world.run_sync()
    assert (report.requests, report.rechecked) == (2, 0)
    assert (world.releases(), world.outbox(None)) == before


async def test_a_growing_episode_count_moves_the_finale(
    world: World, standin: AniListStandin
) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO, CHANNEL_B, episodes=False)
    assert {r[1] for r in world.outbox() if r[5] == CHANNEL_B} == {13}  # the finale
    standin.catalogue.add_episodes(OSHI_NO_KO, 11)  # a second cour: 24 episodes
    report = await world.run_sync()
    assert report.rechecked == 0
    assert {r[1] for r in world.outbox() if r[5] == CHANNEL_B} == set()
    assert {r[7] for r in world.outbox(None) if r[5] == CHANNEL_B} == {"skipped"}
    assert world.notices() == []
    # The announcement channel still gets every episode, the 13th included.
    assert {r[1] for r in world.outbox() if r[5] == CHANNEL_A} == set(range(4, 14))


async def test_an_airing_at_the_very_end_of_the_window_is_seen(
    world: World, standin: AniListStandin
) -> None:
    await world.follow(GUILD_A, OSHI_NO_KO)
    edge = world.clock.now + timedelta(days=14)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, edge)
    report = await world.run_sync()
    assert (report.airings, report.rechecked) == (2, 0)
    assert world.release(OSHI_NO_KO, 5)[2:4] == (epoch(edge), "exact")
    # A second past the end is not in the window: it is re-checked, found and moved.
    beyond = world.clock.now + timedelta(days=14, seconds=5)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, beyond)
    report = await world.run_sync()
    assert (report.airings, report.rechecked) == (1, 1)
    assert world.release(OSHI_NO_KO, 5)[2:4] == (epoch(beyond), "exact")


async def test_airings_that_appear_after_the_start_date_passed_are_scheduled(
    world: World, standin: AniListStandin
) -> None:
    # AniList knew the start date (past) but no airings yet: the show's one dated release
    # is history. When the schedule is entered, the episodes ahead are owed as usual.
    standin.catalogue.add(StandinMedia(DATED, "Late Schedule", start_date=(2026, 1, 1)))
    await world.follow(GUILD_A, DATED)
    new_year_tokyo = datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    assert [r[1:] for r in world.releases()] == [
        (None, epoch(new_year_tokyo), "day", "released", 1)
    ]
    standin.catalogue.add_weekly(DATED, NOW + D, range(2, 4))
    await world.run_sync()
    assert world.release(DATED, 2)[2:] == (epoch(NOW + D), "exact", "scheduled", 1)
    assert {(r[1], r[2]) for r in world.outbox() if r[3] == 0} == {
        (2, "announcement"),
        (3, "announcement"),
    }


async def test_a_premiere_date_that_passed_is_not_moved_by_a_later_first_airing(
    world: World, standin: AniListStandin
) -> None:
    # Announced for 8 January (a day), and announced then; AniList enters the schedule
    # two weeks later from episode 3 on: that is episode 3, not the premiere moving.
    standin.catalogue.add(StandinMedia(DATED, "Late Schedule", start_date=(2026, 1, 8)))
    await world.follow(GUILD_A, DATED)
    eighth_tokyo = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    await world.deliver_until(eighth_tokyo + D)
    assert world.posted() == [(DATED, None, "announcement", CHANNEL_A)]
    third = NOW + 15 * D
    standin.catalogue.add_airing(DATED, 3, third)
    await world.deliver_until(third - 14 * D + H)
    await world.run_sync()
    assert [r[1:] for r in world.releases()] == [
        (None, epoch(eighth_tokyo), "day", "scheduled", 1),
        (3, epoch(third), "exact", "scheduled", 1),
    ]
    assert world.notices() == []
    assert {(r[1], r[2], r[3]) for r in world.outbox()} == {
        (3, "reminder", 7 * 86400),
        (3, "reminder", 86400),
        (3, "reminder", 3600),
        (3, "announcement", 0),
    }
    # AniList corrects the start date it had: history, not a move worth a notice.
    standin.catalogue.media[DATED].start_date = (2026, 1, 6)
    before = world.outbox(None)
    await world.run_sync()
    assert world.release(DATED, None)[2:4] == (epoch(eighth_tokyo), "day")
    assert world.outbox(None) == before


async def test_a_finished_show_drops_the_episodes_anilist_no_longer_lists(
    world: World, standin: AniListStandin
) -> None:
    # The show ends three episodes early: after episode 10 AniList drops 11 to 13 and
    # calls it finished. Episode 13 is beyond the window, and the show is not synced again,
    # so this sync must see it go too.
    await world.follow(GUILD_A, OSHI_NO_KO)
    ten = NOW + D + 6 * WEEK
    await live(world, until=ten + timedelta(minutes=1))
    for episode in (11, 12, 13):
        standin.catalogue.remove_airing(OSHI_NO_KO, episode)
    standin.catalogue.media[OSHI_NO_KO].episodes = 10
    standin.catalogue.finish(OSHI_NO_KO)
    report = await world.run_sync()
    # One re-check of the show for its three missing episodes.
    assert (report.requests, report.rechecked) == (3, 3)
    assert (await world.run_sync()).requests == 0  # no longer synced
    assert [r[1:] for r in world.releases() if r[1] in (11, 12, 13)] == [
        (episode, None, "tba", "delayed", 2) for episode in (11, 12, 13)
    ]
    await world.deliver_until(NOW + D + 10 * WEEK)
    # Episode 11's 7-day reminder went out before; its notice is the only message since.
    assert [p[1:3] for p in world.posted() if p[1] in (11, 12, 13)] == [
        (11, "reminder"),
        (11, "notice"),
    ]
    assert (OSHI_NO_KO, 10, "announcement", CHANNEL_A) in world.posted()  # the control


async def test_a_move_under_thirty_minutes_tells_nobody_and_repeats_no_reminder(
    world: World, standin: AniListStandin
) -> None:
    await tell_a_about_episode_5(world)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + timedelta(minutes=20))
    await world.run_sync()
    assert world.release(OSHI_NO_KO, 5)[2:] == (
        epoch(EP5 + timedelta(minutes=20)),
        "exact",
        "scheduled",
        2,
    )
    assert world.notices() == []
    assert ("reminder", 7 * 86400) not in {(r[2], r[3]) for r in world.outbox() if r[1] == 5}
    await world.deliver_until(EP5 + H)
    assert [p[2] for p in world.posted() if p[1] == 5] == [
        "reminder",  # the 7-day one, before the move
        "reminder",
        "reminder",
        "announcement",
    ]


async def test_many_changes_applied_twice_change_nothing_the_second_time(
    world: World, standin: AniListStandin
) -> None:
    standin.catalogue.add(StandinMedia(WEEKLY, "Weekly Stand-in", start_date=(2026, 1, 8)))
    standin.catalogue.add_weekly(WEEKLY, NOW + 2 * D, range(1, 3))
    await tell_a_about_episode_5(world)
    await world.follow(GUILD_B, WEEKLY)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    standin.catalogue.remove_airing(OSHI_NO_KO, 6)
    standin.catalogue.add_airing(WEEKLY, 3, NOW + 12 * D)
    standin.catalogue.cancel(WEEKLY, NOW + 5 * D)  # episode 2 dropped, then the show
    first = await world.run_sync()
    assert (first.complete, first.rechecked) == (True, 1)
    after = (world.releases(), world.outbox(None))
    assert after[0] != [] and world.notices() != []
    second = await world.run_sync()
    assert (second.requests, second.rechecked) == (2, 0)
    assert (world.releases(), world.outbox(None)) == after


async def test_following_a_show_anilist_cancelled_owes_nothing(
    world: World, standin: AniListStandin
) -> None:
    standin.catalogue.add(
        StandinMedia(DATED, "Cancelled Stand-in", status="CANCELLED", start_date=(2026, 2, 1))
    )
    await world.follow(GUILD_A, DATED)
    assert world.outbox() == []
    assert [r[4] for r in world.releases()] == ["cancelled"]
    assert (await world.run_sync()).requests == 0  # not synced
    # The control: the same show, announced and not cancelled, is owed its premiere.
    standin.catalogue.add(
        StandinMedia(
            WEEKLY, "Announced Stand-in", status="NOT_YET_RELEASED", start_date=(2026, 2, 1)
        )
    )
    await world.follow(GUILD_A, WEEKLY)
    assert {(r[0], r[2]) for r in world.outbox() if r[3] == 0} == {(WEEKLY, "announcement")}


async def test_episode_numbers_bumped_after_a_double_episode_announce_each_broadcast_once(
    world: World, standin: AniListStandin
) -> None:
    # Episodes 4 and 5 aired together: AniList's editors record 5 on a past date, which
    # bumps every later number by one (episode 6 now airs when 5 was to).
    await tell_a_about_episode_5(world)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP4)
    for episode in range(6, 14):
        standin.catalogue.move_airing(OSHI_NO_KO, episode, EP4 + (episode - 5) * WEEK)
    standin.catalogue.add_airing(OSHI_NO_KO, 14, EP4 + 9 * WEEK)
    await live(world, until=EP6 + H)
    assert world.release(OSHI_NO_KO, 5)[2:] == (None, "tba", "delayed", 2)
    assert world.release(OSHI_NO_KO, 6)[2:4] == (epoch(EP5), "exact")
    # Told of episode 5 (its 7-day reminder): one notice. Each broadcast announced once.
    assert world.posted(NOTICE) == [(OSHI_NO_KO, 5, "notice", CHANNEL_A)]
    announced = [
        (m.at, k.release_id) for m in world.messages() for k in m.keys if k.kind is ANNOUNCEMENT
    ]
    assert [at for at, _ in announced] == [EP4, EP5, EP6]
    assert [p[1] for p in world.posted(ANNOUNCEMENT)] == [4, 6, 7]


async def test_a_move_undone_before_its_notice_goes_out_tells_nobody(
    world: World, standin: AniListStandin
) -> None:
    await tell_a_about_episode_5(world)
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5 + D)
    await world.run_sync()
    assert [r[5] for r in world.notices("pending")] == [CHANNEL_A]  # the control
    standin.catalogue.move_airing(OSHI_NO_KO, 5, EP5)
    await world.run_sync()  # seconds later, inside the notice's debounce
    assert world.notices("pending") == []
    await world.deliver_until(EP5 + timedelta(minutes=1))
    assert [p[2] for p in world.posted() if p[1] == 5] == [
        "reminder",  # 7 days before, not repeated
        "reminder",
        "reminder",
        "announcement",
    ]
