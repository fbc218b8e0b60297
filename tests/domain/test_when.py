import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.models import Precision
from bot.domain.when import parse_when, search_zones, validate_zone

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
EXAMPLE = re.compile(r"like `[^`]+`")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# text, timezone option, guild zone, expected moment (UTC), precision, zone kept
READABLE = [
    ("2024-07-03 23:00", None, "UTC", utc(2024, 7, 3, 23), Precision.EXACT, "UTC"),
    ("2024-07-03 23:00", None, "Asia/Tokyo", utc(2024, 7, 3, 14), Precision.EXACT, "Asia/Tokyo"),
    ("2024-07-03 23:00", "Asia/Tokyo", "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "Asia/Tokyo"),
    ("2024-07-03 23:00", "asia/tokyo", "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "Asia/Tokyo"),
    (
        "2024-07-03 23:00:30",
        "Asia/Tokyo",
        "UTC",
        utc(2024, 7, 3, 14, 0, 30),
        Precision.EXACT,
        "Asia/Tokyo",
    ),
    (
        "2024-07-03T23:00:00",
        "Asia/Tokyo",
        "UTC",
        utc(2024, 7, 3, 14),
        Precision.EXACT,
        "Asia/Tokyo",
    ),
    # New York is UTC-4 in summer and UTC-5 in winter.
    (
        "2024-07-03 23:00",
        "America/New_York",
        "UTC",
        utc(2024, 7, 4, 3),
        Precision.EXACT,
        "America/New_York",
    ),
    (
        "2024-01-15 20:00",
        "America/New_York",
        "UTC",
        utc(2024, 1, 16, 1),
        Precision.EXACT,
        "America/New_York",
    ),
    # Written offsets: the guild's zone is kept when it has that offset then, else UTC.
    ("2024-07-03T14:00Z", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    ("2024-07-03t14:00z", None, "Asia/Tokyo", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    ("2024-07-03T14:00:00.000Z", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    ("2024-07-03 23:00 +09:00", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    (
        "2024-07-03 23:00 +09:00",
        None,
        "Asia/Tokyo",
        utc(2024, 7, 3, 14),
        Precision.EXACT,
        "Asia/Tokyo",
    ),
    ("2024-07-03T23:00+09:00", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    ("2024-07-03 23:00 +0900", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    ("2024-07-03 23:00 UTC+9", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "UTC"),
    (
        "2024-07-03 10:00 -04:00",
        None,
        "America/New_York",
        utc(2024, 7, 3, 14),
        Precision.EXACT,
        "America/New_York",
    ),
    (
        "2024-07-03 10:00 -05:00",
        None,
        "America/New_York",
        utc(2024, 7, 3, 15),
        Precision.EXACT,
        "UTC",
    ),
    ("2024-07-03 23:00 UTC", None, "Asia/Tokyo", utc(2024, 7, 3, 23), Precision.EXACT, "UTC"),
    (
        "2024-07-03 23:00 Asia/Tokyo",
        None,
        "UTC",
        utc(2024, 7, 3, 14),
        Precision.EXACT,
        "Asia/Tokyo",
    ),
    ("2024-07-03 23:00 JST", None, "UTC", utc(2024, 7, 3, 14), Precision.EXACT, "Asia/Tokyo"),
    # Broadcast hours past midnight roll over into the next day.
    (
        "2024-07-03 25:15",
        "Asia/Tokyo",
        "UTC",
        utc(2024, 7, 3, 16, 15),
        Precision.EXACT,
        "Asia/Tokyo",
    ),
    ("2024-07-31 24:00", None, "UTC", utc(2024, 8, 1), Precision.EXACT, "UTC"),
    ("2024-12-31 29:59", None, "UTC", utc(2025, 1, 1, 5, 59), Precision.EXACT, "UTC"),
    # Clocks going back: 01:30 happens twice in New York; the first (EDT) is meant.
    (
        "2024-11-03 01:30",
        "America/New_York",
        "UTC",
        utc(2024, 11, 3, 5, 30),
        Precision.EXACT,
        "America/New_York",
    ),
    (
        "2024-11-03 02:00",
        "America/New_York",
        "UTC",
        utc(2024, 11, 3, 7),
        Precision.EXACT,
        "America/New_York",
    ),
    ("  2024-07-03   23:00  ", None, "UTC", utc(2024, 7, 3, 23), Precision.EXACT, "UTC"),
    ("2024-07-03", None, "UTC", utc(2024, 7, 3), Precision.DAY, "UTC"),
    ("2024-07-03", "Asia/Tokyo", "UTC", utc(2024, 7, 2, 15), Precision.DAY, "Asia/Tokyo"),
    (
        "2024-07-03",
        None,
        "America/Los_Angeles",
        utc(2024, 7, 3, 7),
        Precision.DAY,
        "America/Los_Angeles",
    ),
    # Santiago skips midnight on 8 September 2024: the day begins at 01:00 (-03).
    (
        "2024-09-08",
        None,
        "America/Santiago",
        utc(2024, 9, 8, 4),
        Precision.DAY,
        "America/Santiago",
    ),
    ("2024-07", "Asia/Tokyo", "UTC", utc(2024, 6, 30, 15), Precision.MONTH, "Asia/Tokyo"),
    ("2024-7", None, "UTC", utc(2024, 7, 1), Precision.MONTH, "UTC"),
    ("July 2024", None, "UTC", utc(2024, 7, 1), Precision.MONTH, "UTC"),
    ("jul 2024", None, "UTC", utc(2024, 7, 1), Precision.MONTH, "UTC"),
    ("Sept. 2024", None, "UTC", utc(2024, 9, 1), Precision.MONTH, "UTC"),
    ("Winter 2025", None, "UTC", utc(2025, 1, 1), Precision.SEASON, "UTC"),
    ("Spring 2024", None, "UTC", utc(2024, 4, 1), Precision.SEASON, "UTC"),
    ("Summer 2024", "Asia/Tokyo", "UTC", utc(2024, 6, 30, 15), Precision.SEASON, "Asia/Tokyo"),
    ("Fall 2024", None, "UTC", utc(2024, 10, 1), Precision.SEASON, "UTC"),
    ("autumn 2024", None, "UTC", utc(2024, 10, 1), Precision.SEASON, "UTC"),
    ("2024", None, "UTC", utc(2024, 1, 1), Precision.YEAR, "UTC"),
    ("2025", "Asia/Tokyo", "UTC", utc(2024, 12, 31, 15), Precision.YEAR, "Asia/Tokyo"),
    ("1970", None, "UTC", utc(1970, 1, 1), Precision.YEAR, "UTC"),
    ("2100-12-31", None, "UTC", utc(2100, 12, 31), Precision.DAY, "UTC"),
    # Relative times count from now, whatever the zone.
    ("in 45s", None, "UTC", utc(2024, 6, 1, 12, 0, 45), Precision.EXACT, "UTC"),
    ("in 10m", None, "UTC", utc(2024, 6, 1, 12, 10), Precision.EXACT, "UTC"),
    ("IN 2H", "Asia/Tokyo", "UTC", utc(2024, 6, 1, 14), Precision.EXACT, "Asia/Tokyo"),
    ("in 3d", None, "Asia/Tokyo", utc(2024, 6, 4, 12), Precision.EXACT, "Asia/Tokyo"),
    ("in 365d", None, "UTC", utc(2025, 6, 1, 12), Precision.EXACT, "UTC"),
]


@pytest.mark.parametrize(("text", "zone", "default_zone", "at", "precision", "kept"), READABLE)
def test_parse_when_reads_each_form(
    text: str, zone: str | None, default_zone: str, at: datetime, precision: Precision, kept: str
) -> None:
    time = parse_when(text, zone=zone, default_zone=default_zone, now=NOW)

    assert time.at == at
    assert time.at is not None and time.at.utcoffset() == timedelta(0)
    assert time.precision is precision
    assert time.timezone == kept


@pytest.mark.parametrize(("text", "zone"), [("TBA", None), ("tbd", None), (" tba ", "Asia/Tokyo")])
def test_parse_when_reads_tba_without_a_moment(text: str, zone: str | None) -> None:
    time = parse_when(text, zone=zone, default_zone="UTC", now=NOW)

    assert time.at is None
    assert time.precision is Precision.TBA
    assert time.timezone == (zone or "UTC")


def test_relative_time_counts_from_an_aware_now_in_any_zone() -> None:
    tokyo_now = NOW.astimezone(timezone(timedelta(hours=9))).replace(microsecond=500_000)

    time = parse_when("in 2h", zone=None, default_zone="UTC", now=tokyo_now)

    assert time.at == utc(2024, 6, 1, 14)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        parse_when("in 2h", zone=None, default_zone="UTC", now=datetime(2024, 6, 1, 12))


# text, timezone option, what the message must say
UNREADABLE = [
    ("2024-02-30", None, "February 2024 has 29 days"),
    ("2023-02-29 12:00", None, "February 2023 has 28 days"),
    ("2024-04-31", None, "April 2024 has 30 days"),
    ("2024-13-01", None, "months go from 01 to 12"),
    ("2024-00", None, "months go from 01 to 12"),
    ("2024-07-03 24:60", None, "minutes go from 00 to 59"),
    ("2024-07-03 30:00", None, "hours go from 00 to 29"),
    ("2024-07-03 23:00:60", None, "seconds go from 00 to 59"),
    ("1969-12-31", None, "years go from 1970 to 2100"),
    ("2101", None, "years go from 1970 to 2100"),
    ("Summer 1969", None, "years go from 1970 to 2100"),
    ("", None, "The time is empty"),
    ("   ", None, "The time is empty"),
    ("2024-07-03 23:00 " + "x" * 100, None, "at most 100 characters; yours has 117"),
    ("2024-07-03\x0023:00", None, "control characters"),
    ("2024-07-03 23:00\u202e", None, "control characters"),
    ("next tuesday", None, "`next tuesday` is not a date I can read"),
    ("2024-07-03 +09:00", None, "is not a date I can read"),
    ("\uff12\uff10\uff12\uff14-07-03", None, "is not a date I can read"),
    ("in", None, "is not a date I can read"),
    ("Jly 2024", None, "`Jly` is not a month or a season"),
    ("in 0m", None, "`0m` is zero"),
    ("in 366d", None, "longer than the limit of 365 days"),
    ("in -1h", None, "has a sign"),
    ("in 2 hours", None, "`2 hours` is not a duration"),
    ("in 1.5h", None, "has a fraction"),
    ("2024-07-03 23:00 Mars/Olympus", None, "`Mars/Olympus` is not a time zone"),
    ("2024-07-03 23:00 +15:00", None, "`+15:00` is not a UTC offset"),
    ("2024-07-03 11:00 pm", None, "12-hour clock"),
    ("2024-07-03 11:00 PM", "Asia/Tokyo", "12-hour clock"),
    # New York skips from 02:00 to 03:00 on 10 March 2024.
    ("2024-03-10 02:30", "America/New_York", "does not exist in America/New_York"),
    ("2024-03-10 02:30", "America/New_York", "`2024-03-10 03:30`"),
    ("2024-07-03 23:00 +09:00", "Asia/Tokyo", "Give the time zone once"),
    ("2024-07-03T14:00Z", "UTC", "Give the time zone once"),
    ("2024-07-03 23:00 Asia/Tokyo", "Asia/Tokyo", "Give the time zone once"),
    ("2024-07-03", "Mars/Olympus", "`Mars/Olympus` is not a time zone. Pick one from the list"),
    ("TBA", "Mars/Olympus", "`Mars/Olympus` is not a time zone"),
]


@pytest.mark.parametrize(("text", "zone", "says"), UNREADABLE)
def test_parse_when_refuses_with_guidance(text: str, zone: str | None, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_when(text, zone=zone, default_zone="UTC", now=NOW)

    message = raised.value.message
    assert says in message
    assert EXAMPLE.search(message), message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Asia/Tokyo", "Asia/Tokyo"),
        ("asia/tokyo", "Asia/Tokyo"),
        (" UTC ", "UTC"),
        ("utc", "UTC"),
        ("America/New York", "America/New_York"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_validate_zone_returns_the_canonical_name(name: str, canonical: str) -> None:
    assert validate_zone(name) == canonical


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../../etc/passwd", "Asia/Tokyo\x00", "+09:00", "Tokyo"]
)
def test_validate_zone_refuses_unknown_names(name: str) -> None:
    with pytest.raises(InvalidInput, match=r"is not a time zone\. Pick one from the list, like"):
        validate_zone(name)


def test_validate_zone_message_names_the_zone() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_zone("Mars/Olympus")

    assert raised.value.message == (
        "`Mars/Olympus` is not a time zone. Pick one from the list, like `Asia/Tokyo` or `UTC`."
    )


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tok", "Asia/Tokyo"),
        ("TOKYO", "Asia/Tokyo"),
        ("new york", "America/New_York"),
        ("new_y", "America/New_York"),
        ("utc", "UTC"),
        ("los", "America/Los_Angeles"),
        ("berlin", "Europe/Berlin"),
        ("america/", "America/New_York"),
        ("buenos", "America/Argentina/Buenos_Aires"),
    ],
)
def test_search_zones_puts_the_likely_zone_first(query: str, first: str) -> None:
    found = search_zones(query)

    assert found[0] == first
    assert len(found) <= 25
    assert all(query.replace(" ", "_").lower() in name.lower() for name in found)


def test_search_zones_suggests_popular_zones_for_an_empty_query() -> None:
    found = search_zones("")

    assert found[:3] == ["UTC", "Asia/Tokyo", "America/New_York"]
    assert {"Europe/London", "Europe/Berlin", "Australia/Sydney"} <= set(found)
    assert len(found) == 25


def test_search_zones_prefers_current_names_to_legacy_aliases() -> None:
    found = search_zones("eastern")

    assert found == ["Canada/Eastern", "US/Eastern"]
    assert search_zones("tokyo") == ["Asia/Tokyo"]


@pytest.mark.parametrize(("query", "limit", "count"), [("a", 3, 3), ("", 0, 0), ("zzzz", 25, 0)])
def test_search_zones_respects_the_limit(query: str, limit: int, count: int) -> None:
    assert len(search_zones(query, limit)) == count


def test_every_suggested_zone_validates() -> None:
    for name in search_zones("") + search_zones("a", 100):
        assert validate_zone(name) == name
