from datetime import UTC, datetime

import pytest

from bot.domain.dates import display_relative, display_when, moved_enough, short_when
from bot.domain.models import Precision, ReleaseTime
from bot.domain.when import parse_when

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def when(text: str, zone: str = "Asia/Tokyo") -> ReleaseTime:
    return parse_when(text, zone=None, default_zone=zone, now=NOW)


def at(zone: str, precision: Precision, *parts: int) -> ReleaseTime:
    """Build a release time from its UTC moment: year, month, day[, hour, minute, second]."""
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return ReleaseTime(
        datetime(year, month, day, hour, minute, second, tzinfo=UTC), precision, zone
    )


TBA = ReleaseTime(None, Precision.TBA, "UTC")

# release time, shown in a message, countdown, plain text
DISPLAYS = [
    (
        at("Asia/Tokyo", Precision.EXACT, 2024, 7, 3, 14),
        "<t:1720015200:F>",
        "<t:1720015200:R>",
        "2024-07-03 23:00 Asia/Tokyo",
    ),
    (
        at("Asia/Tokyo", Precision.EXACT, 2024, 7, 3, 14, 0, 30),
        "<t:1720015230:F>",
        "<t:1720015230:R>",
        "2024-07-03 23:00:30 Asia/Tokyo",
    ),
    # Midnight of 3 July in Tokyo is still 2 July in UTC: the release's own day is shown.
    (
        at("Asia/Tokyo", Precision.DAY, 2024, 7, 2, 15),
        "3 July 2024",
        "<t:1719932400:R>",
        "2024-07-03",
    ),
    (
        at("America/Los_Angeles", Precision.DAY, 2024, 7, 3, 7),
        "3 July 2024",
        "<t:1719990000:R>",
        "2024-07-03",
    ),
    (at("UTC", Precision.DAY, 2024, 12, 25), "25 December 2024", "<t:1735084800:R>", "2024-12-25"),
    (at("Asia/Tokyo", Precision.MONTH, 2024, 6, 30, 15), "July 2024", None, "July 2024"),
    (at("Asia/Tokyo", Precision.SEASON, 2024, 6, 30, 15), "Summer 2024", None, "Summer 2024"),
    (at("UTC", Precision.SEASON, 2025, 1, 1), "Winter 2025", None, "Winter 2025"),
    (at("UTC", Precision.SEASON, 2024, 4, 1), "Spring 2024", None, "Spring 2024"),
    (at("UTC", Precision.SEASON, 2024, 10, 1), "Fall 2024", None, "Fall 2024"),
    (at("Asia/Tokyo", Precision.YEAR, 2024, 12, 31, 15), "2025", None, "2025"),
    (TBA, "TBA", None, "TBA"),
]


@pytest.mark.parametrize(("time", "shown", "countdown", "plain"), DISPLAYS)
def test_release_times_are_shown_in_their_own_zone(
    time: ReleaseTime, shown: str, countdown: str | None, plain: str
) -> None:
    assert display_when(time) == shown
    assert display_relative(time) == countdown
    assert short_when(time) == plain
    assert "<" not in plain


@pytest.mark.parametrize(
    "time", [time for time, _, _, _ in DISPLAYS], ids=[plain for _, _, _, plain in DISPLAYS]
)
def test_short_when_reads_back_as_the_same_time(time: ReleaseTime) -> None:
    assert when(short_when(time), zone=time.timezone) == time


# old, new, notice owed
MOVES = [
    (when("2024-07-03 23:00"), when("2024-07-03 23:00"), False),
    (when("2024-07-03 23:00"), when("2024-07-03 23:29:59"), False),
    (when("2024-07-03 23:00"), when("2024-07-03 23:30"), True),
    (when("2024-07-03 23:00"), when("2024-07-03 22:30"), True),
    (when("2024-07-03 23:00"), when("2024-07-03 22:31"), False),
    (when("2024-07-03 23:00"), when("2024-07-10 23:00"), True),
    # The same moment typed in another zone has not moved.
    (when("2024-07-03 23:00"), when("2024-07-03 14:00", "UTC"), False),
    # Gaining precision within the old period is not a move.
    (when("2024-07-03"), when("2024-07-03 23:00"), False),
    (when("2024-07-03"), when("2024-07-03 00:00"), False),
    (when("July 2024"), when("2024-07-20"), False),
    (when("July 2024"), when("2024-07-31 23:59"), False),
    (when("Summer 2024"), when("September 2024"), False),
    (when("2024"), when("Summer 2024"), False),
    (when("TBA"), when("2024-07-03 23:00"), False),
    (when("TBA"), when("TBA"), False),
    # Gaining precision outside it is, once 30 minutes or more outside.
    (when("2024-07-03"), when("2024-07-05 23:00"), True),
    (when("2024-07-03"), when("2024-07-02 23:50"), False),
    (when("2024-07-03"), when("2024-07-02 23:30"), True),
    (when("2024-07-03"), when("2024-07-04 00:29"), False),
    (when("2024-07-03"), when("2024-07-04 00:30"), True),
    (when("July 2024"), when("2024-08-01"), True),
    (when("Summer 2024"), when("October 2024"), True),
    (when("2024"), when("Winter 2025"), True),
    # Same precision, another period.
    (when("2024-07-03"), when("2024-07-04"), True),
    (when("July 2024"), when("August 2024"), True),
    (when("Summer 2024"), when("Fall 2024"), True),
    # The same day in another zone starts 16 hours later.
    (when("2024-07-03"), when("2024-07-03", "America/Los_Angeles"), True),
    # Losing precision moves the start (and the announcement) unless it stays put.
    (when("2024-07-03 23:00"), when("2024-07-03"), True),
    (when("2024-07-03 00:10"), when("2024-07-03"), False),
    (when("2024-07-03 23:00"), when("July 2024"), True),
    (when("2024-07-03 23:00"), when("TBA"), True),
    (when("July 2024"), when("TBA"), True),
]


@pytest.mark.parametrize(("old", "new", "owed"), MOVES)
def test_moved_enough_follows_the_notice_rule(
    old: ReleaseTime, new: ReleaseTime, owed: bool
) -> None:
    assert moved_enough(old, new) is owed
