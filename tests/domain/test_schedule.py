"""The schedule page's rules: which releases it lists under which UTC day, and which it
marks as premieres and finales."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.domain.schedule import (
    DAYS,
    Schedule,
    ScheduleEntry,
    is_finale,
    is_premiere,
    reach,
    schedule,
    schedule_entry,
)

NOW = datetime(2024, 7, 1, 9, 30, 15, tzinfo=UTC)
TODAY = datetime(2024, 7, 1, tzinfo=UTC)
OWN = Show(7, 1, "Frieren", "A synopsis.", "https://img.example/f.png", "https://example.org/f")
CATALOG = Show(8, None, "Oshi no Ko", None, None, None)


def release(
    at: datetime | None,
    precision: Precision = Precision.EXACT,
    *,
    label: str | None = "Episode 5",
    show: Show = OWN,
    zone: str = "UTC",
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    release_id: int = 3,
    episode: int | None = None,
    finale: bool = False,
) -> Release:
    time = ReleaseTime(at, precision, zone)
    return Release(release_id, show, label, time, status, 1, episode=episode, finale=finale)


@pytest.mark.parametrize(
    ("label", "premiere", "finale"),
    [
        ("Episode 1", True, False),
        ("Ep. 01", True, False),
        ("#1", True, False),
        ("Season 2", True, False),
        ("Season 2 Premiere", True, False),
        ("Series premiere", True, False),
        ("Episode 10", False, False),
        ("Episode 12", False, False),
        ("Episode 12 (finale)", False, True),
        ("Season finale", False, True),
        ("Season 2 finale", False, True),
        ("Season 2 Part 2", True, False),
        ("Final episode", False, True),
        ("The last episode", False, True),
        ("Movie", False, False),
        ("Recap special", False, False),
        (None, False, False),
    ],
)
def test_a_guilds_label_says_premiere_or_finale(
    label: str | None, premiere: bool, finale: bool
) -> None:
    stored = release(NOW, label=label)
    assert (is_premiere(stored), is_finale(stored)) == (premiere, finale)


@pytest.mark.parametrize(
    ("episode", "finale_flag", "premiere", "finale"),
    [
        (1, False, True, False),
        (None, False, True, False),  # the show's one release, dated from its start date
        (2, False, False, False),
        (13, True, False, True),
        (1, True, True, True),  # a one-episode show
    ],
)
def test_a_catalog_release_is_marked_as_anilist_says(
    episode: int | None, finale_flag: bool, premiere: bool, finale: bool
) -> None:
    # The label says nothing to a catalog release: AniList's episode and count decide.
    stored = release(NOW, label="Season 2", show=CATALOG, episode=episode, finale=finale_flag)
    assert (is_premiere(stored), is_finale(stored)) == (premiere, finale)


@pytest.mark.parametrize(
    ("stored", "at"),
    [
        (release(datetime(2024, 7, 3, 23, 0, tzinfo=UTC)), datetime(2024, 7, 3, 23, 0, tzinfo=UTC)),
        # A `day` release is its date in its own zone: midnight in Tokyo is 15:00 UTC before.
        (release(datetime(2024, 7, 9, 15, 0, tzinfo=UTC), Precision.DAY, zone="Asia/Tokyo"),
         date(2024, 7, 10)),
        (release(datetime(2024, 7, 1, tzinfo=UTC), Precision.MONTH), None),
        (release(datetime(2024, 7, 1, tzinfo=UTC), Precision.SEASON), None),
        (release(datetime(2024, 1, 1, tzinfo=UTC), Precision.YEAR), None),
        (release(None, Precision.TBA), None),
        (release(NOW, status=ReleaseStatus.CANCELLED), None),
        (release(NOW, status=ReleaseStatus.RELEASED), NOW),
        (release(NOW, status=ReleaseStatus.DELAYED), NOW),
    ],
    ids=["exact", "day-in-its-zone", "month", "season", "year", "tba", "cancelled",
         "released", "delayed"],
)  # fmt: skip
def test_which_releases_have_a_place_and_when(stored: Release, at: datetime | date | None) -> None:
    entry = schedule_entry(stored)
    assert (entry.at if entry is not None else None) == at


def test_an_entry_carries_what_the_card_shows() -> None:
    entry = schedule_entry(release(NOW, label="Episode 1"))
    assert entry == ScheduleEntry(
        release_id=3,
        title="Frieren",
        label="Episode 1",
        at=NOW,
        premiere=True,
        finale=False,
        cover_url="https://img.example/f.png",
        link="https://example.org/f",
    )
    bare = schedule_entry(release(NOW, label="", show=replace(OWN, image_url="", link=None)))
    assert bare is not None and (bare.label, bare.cover_url, bare.link) == (None, None, None)
    with pytest.raises(ValueError, match="naive"):
        ScheduleEntry(1, "x", None, datetime(2024, 7, 1))


def test_the_page_covers_14_utc_days_from_the_start_of_today() -> None:
    assert reach(NOW) == (TODAY - timedelta(days=1), TODAY + timedelta(days=DAYS + 1))
    page = schedule([], NOW)
    assert page.today == date(2024, 7, 1)
    assert page.days == tuple(date(2024, 7, 1) + timedelta(days=n) for n in range(14))
    assert page.days[-1] == date(2024, 7, 14)
    with pytest.raises(ValueError, match="naive"):
        reach(datetime(2024, 7, 1))


def test_the_window_keeps_a_day_either_side_for_other_zones() -> None:
    def at(moment: datetime, release_id: int) -> Release:
        return release(moment, release_id=release_id)

    moments = {
        1: TODAY - timedelta(days=1, seconds=1),  # out: before the margin
        2: TODAY - timedelta(days=1),  # beyond: yesterday in UTC, today east of it
        3: TODAY - timedelta(seconds=1),  # beyond
        4: TODAY,  # today, already past at NOW: still listed
        5: NOW + timedelta(hours=1),
        6: TODAY + timedelta(days=14) - timedelta(seconds=1),  # the last day's last second
        7: TODAY + timedelta(days=14),  # beyond: tomorrow's day 14 west of UTC
        8: TODAY + timedelta(days=15) - timedelta(seconds=1),  # beyond
        9: TODAY + timedelta(days=15),  # out
    }
    page = schedule([at(moment, key) for key, moment in reversed(moments.items())], NOW)
    assert [entry.release_id for entry in page.entries] == [2, 3, 4, 5, 6, 7, 8]
    assert [entry.release_id for entry in page.beyond] == [2, 3, 7, 8]
    assert [entry.release_id for entry in page.on(date(2024, 7, 1))] == [4, 5]
    assert [entry.release_id for entry in page.on(date(2024, 7, 14))] == [6]


def test_all_day_releases_come_first_in_their_day_then_by_time() -> None:
    def day(moment: date, release_id: int) -> Release:
        midnight = datetime.combine(moment, datetime.min.time(), UTC)
        return release(midnight, Precision.DAY, release_id=release_id)

    releases = [
        release(datetime(2024, 7, 2, 18, 0, tzinfo=UTC), release_id=1),
        release(datetime(2024, 7, 2, 0, 0, tzinfo=UTC), release_id=2),
        day(date(2024, 7, 2), 3),
        day(date(2024, 6, 30), 4),  # beyond, for readers whose today is still 30 June
        day(date(2024, 6, 29), 5),  # out
        day(date(2024, 7, 15), 6),  # beyond
        day(date(2024, 7, 16), 7),  # out
        release(datetime(2024, 7, 2, 18, 0, tzinfo=UTC), release_id=0),
    ]
    page = schedule(releases, NOW)
    assert [entry.release_id for entry in page.on(date(2024, 7, 2))] == [3, 2, 0, 1]
    assert [entry.release_id for entry in page.beyond] == [4, 6]
    assert isinstance(page, Schedule)
