"""When a guild's weekly digest falls, by its clock, and what a week of it lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digest import (
    DigestSetting,
    Weekday,
    digest_days,
    digest_nonce,
    listed,
    next_digest_at,
    parse_time,
    release_mark,
    still_owed,
    week_end,
)
from bot.domain.errors import InvalidInput
from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (None, time(9, 0)),
        ("", time(9, 0)),
        ("09:00", time(9, 0)),
        ("9:05", time(9, 5)),
        (" 18:30 ", time(18, 30)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_digest_times_are_read_as_hh_mm(typed: str | None, expected: time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["24:00", "09:60", "9am", "9", "09:00:00", "noon", "-1:00"])
def test_other_times_are_refused_with_an_example(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"HH:MM.*`09:00`"):
        parse_time(typed)


@pytest.mark.parametrize(
    ("weekday", "at", "zone", "after", "expected"),
    [
        # 09:00 London is 09:00 UTC in winter and 08:00 UTC in summer.
        (Weekday.MONDAY, time(9), "Europe/London", utc(2027, 1, 4, 8, 0), utc(2027, 1, 4, 9, 0)),
        (Weekday.MONDAY, time(9), "Europe/London", utc(2027, 7, 5, 7, 0), utc(2027, 7, 5, 8, 0)),
        # Across the spring change: the week after keeps 09:00 local.
        (Weekday.MONDAY, time(9), "Europe/London", utc(2027, 3, 22, 9, 0), utc(2027, 3, 29, 8, 0)),
        # Already past this week (even by a minute): next week.
        (Weekday.MONDAY, time(9), "Europe/London", utc(2027, 1, 4, 9, 1), utc(2027, 1, 11, 9, 0)),
        # Exactly at the moment: the next one (strictly after).
        (Weekday.MONDAY, time(9), "UTC", utc(2027, 1, 4, 9, 0), utc(2027, 1, 11, 9, 0)),
        # Another day of the week, later this week.
        (Weekday.FRIDAY, time(18, 30), "UTC", utc(2027, 1, 4, 9, 0), utc(2027, 1, 8, 18, 30)),
        # New York over its spring change: 09:00 EST is 14:00 UTC, 09:00 EDT 13:00 UTC.
        (Weekday.MONDAY, time(9), "America/New_York", utc(2027, 3, 8, 14), utc(2027, 3, 15, 13)),
        # A zone ahead of UTC: Monday 08:00 in Tokyo is Sunday 23:00 UTC.
        (Weekday.MONDAY, time(8), "Asia/Tokyo", utc(2027, 1, 3, 12, 0), utc(2027, 1, 3, 23, 0)),
        # 01:30 does not exist in London on 28 March 2027: it moves forward to 02:30 BST.
        (Weekday.SUNDAY, time(1, 30), "Europe/London", utc(2027, 3, 27), utc(2027, 3, 28, 1, 30)),
        # 01:30 happens twice in London on 31 October 2027: the first (BST) is taken.
        (Weekday.SUNDAY, time(1, 30), "Europe/London", utc(2027, 10, 30), utc(2027, 10, 31, 0, 30)),
    ],
)
def test_the_next_digest_keeps_the_local_time(
    weekday: Weekday, at: time, zone: str, after: datetime, expected: datetime
) -> None:
    assert next_digest_at(weekday, at, zone, after) == expected


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        next_digest_at(Weekday.MONDAY, time(9), "UTC", datetime(2027, 1, 4))


def test_each_digest_has_its_own_nonce_within_discords_length() -> None:
    monday = utc(2027, 1, 4, 9)
    nonces = {
        digest_nonce(1, 2, monday),
        digest_nonce(1, 3, monday),
        digest_nonce(4, 2, monday),
        digest_nonce(1, 2, monday + timedelta(days=7)),
    }
    assert len(nonces) == 4
    assert all(len(n) <= 25 for n in nonces)
    assert digest_nonce(1, 2, monday) == digest_nonce(1, 2, monday)


SHOW = Show(1, 10, "Show")
CATALOG = Show(2, None, "Catalog show")


def release(
    at: datetime,
    label: str | None = None,
    *,
    precision: Precision = Precision.EXACT,
    zone: str = "UTC",
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    show: Show = SHOW,
    episode: int | None = None,
    finale: bool = False,
    id: int = 1,
) -> Release:
    return Release(
        id, show, label, ReleaseTime(at, precision, zone), status, 1, episode=episode, finale=finale
    )


@pytest.mark.parametrize(
    ("r", "mark"),
    [
        (release(utc(2027, 1, 5), "Episode 1"), "premiere"),
        (release(utc(2027, 1, 5), "Ep 1"), "premiere"),
        (release(utc(2027, 1, 5), "Episode 2"), None),
        (release(utc(2027, 1, 5), "Episode 12 (finale)"), "finale"),
        (release(utc(2027, 1, 5), "Season 2"), "premiere"),
        (release(utc(2027, 1, 5), "Season 2 finale"), "finale"),
        (release(utc(2027, 1, 5), "Series premiere"), "premiere"),
        (release(utc(2027, 1, 5), "Episode 1.5"), None),
        (release(utc(2027, 1, 5), "Episode 10"), None),
        (release(utc(2027, 1, 5), "Movie"), None),
        (release(utc(2027, 1, 5), None), None),
        (release(utc(2027, 1, 5), "Episode 1", show=CATALOG, episode=1), "premiere"),
        (release(utc(2027, 1, 5), "Episode 12", show=CATALOG, episode=12, finale=True), "finale"),
        (release(utc(2027, 1, 5), "Episode 5", show=CATALOG, episode=5), None),
    ],
)
def test_premieres_and_finales_are_marked(r: Release, mark: str | None) -> None:
    assert release_mark(r) == mark


START = utc(2027, 1, 4, 9)  # a Monday, 09:00 UTC


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (release(START), True),
        (release(START - timedelta(seconds=1)), False),
        (release(START + timedelta(days=7) - timedelta(seconds=1)), True),
        (release(START + timedelta(days=7)), False),
        (release(START + timedelta(days=8)), False),
        # A whole day still under way at the digest's moment is listed, as /upcoming does.
        (release(utc(2027, 1, 4), precision=Precision.DAY), True),
        (release(utc(2027, 1, 3), precision=Precision.DAY), False),
        (release(utc(2027, 1, 10), precision=Precision.DAY), True),
        (release(utc(2027, 1, 1), precision=Precision.MONTH), False),
        (release(START + timedelta(days=1), status=ReleaseStatus.CANCELLED), False),
    ],
)
def test_the_week_from_the_digests_moment(r: Release, expected: bool) -> None:
    assert listed(r, START, START + timedelta(days=7)) is expected


def test_releases_are_grouped_by_the_guilds_day_whole_days_first() -> None:
    late_monday = release(utc(2027, 1, 4, 23, 30), "late", id=1)  # Tuesday 08:30 in Tokyo
    wednesday = release(utc(2027, 1, 5, 16), "small hours", id=2)  # Wednesday 01:00 in Tokyo
    whole_tuesday = release(
        utc(2027, 1, 4, 15), "day", precision=Precision.DAY, zone="Asia/Tokyo", id=3
    )
    days = digest_days([wednesday, late_monday, whole_tuesday], START, "Asia/Tokyo")
    assert [(d.day, [r.label for r in d.releases]) for d in days] == [
        (date(2027, 1, 5), ["day", "late"]),
        (date(2027, 1, 6), ["small hours"]),
    ]


@pytest.mark.parametrize(
    ("start", "zone", "end"),
    [
        (utc(2027, 1, 4, 9), "UTC", utc(2027, 1, 11, 9)),
        # The clocks go forward within the week: it ends at the next digest, 167 hours on.
        (utc(2027, 3, 22, 9), "Europe/London", utc(2027, 3, 29, 8)),
        # And back: 169 hours.
        (utc(2027, 10, 25, 8), "Europe/London", utc(2027, 11, 1, 9)),
    ],
)
def test_a_week_ends_where_the_next_digest_begins(
    start: datetime, zone: str, end: datetime
) -> None:
    assert week_end(start, zone) == end
    local = start.astimezone(ZoneInfo(zone))
    assert next_digest_at(Weekday(local.weekday()), local.time(), zone, start) == end


def test_a_claimed_digest_is_checked_against_the_setting_as_it_is_now() -> None:
    monday = utc(2027, 1, 4, 9)
    setting = DigestSetting(1, 2, Weekday.MONDAY, time(9), since=utc(2027, 1, 1))
    assert still_owed(setting, 2, monday, "UTC")
    assert not still_owed(None, 2, monday, "UTC")  # turned off
    assert not still_owed(setting, 3, monday, "UTC")  # another channel now
    assert not still_owed(setting, 2, monday + timedelta(hours=1), "UTC")  # another time
    assert not still_owed(setting, 2, monday, "Europe/Berlin")  # 09:00 there is 08:00 UTC
