"""The pure rules of calendar events: what a release shows, which are in a calendar, and
how versions grow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.calendar import (
    EventContent,
    EventVersion,
    event_content,
    feed_links,
    in_calendar,
    next_boundary,
    next_version,
)
from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
AT = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)
TOKYO_MIDNIGHT = datetime(2024, 7, 9, 15, 0, tzinfo=UTC)  # 10 July in Tokyo
SHOW = Show(7, 1, "Frieren", "A synopsis.", None, "https://example.org/f")


def release(
    at: datetime | None,
    precision: Precision,
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    zone: str = "UTC",
) -> Release:
    return Release(3, SHOW, "Episode 1", ReleaseTime(at, precision, zone), status, 1)


def version(content: EventContent, sequence: int, changed_at: datetime) -> EventVersion:
    return EventVersion(
        content.fingerprint, sequence, changed_at, content.starts_at, content.ends_at,
        content.all_day,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("stored", "duration", "start", "end"),
    [
        (release(AT, Precision.EXACT), None, AT, AT + timedelta(minutes=30)),
        (release(AT, Precision.EXACT), timedelta(minutes=24), AT, AT + timedelta(minutes=24)),
        (release(TOKYO_MIDNIGHT, Precision.DAY, zone="Asia/Tokyo"), None,
         date(2024, 7, 10), date(2024, 7, 11)),
        (release(AT.replace(day=1), Precision.MONTH), None, None, None),
        (release(AT, Precision.SEASON), None, None, None),
        (release(AT, Precision.YEAR), None, None, None),
        (release(None, Precision.TBA), None, None, None),
        (release(None, Precision.TBA, ReleaseStatus.CANCELLED), None, None, None),
    ],
    ids=["exact", "exact-duration", "day-in-its-zone", "month", "season", "year", "tba",
         "cancelled-never-published"],
)  # fmt: skip
def test_what_a_release_shows(
    stored: Release,
    duration: timedelta | None,
    start: datetime | date | None,
    end: datetime | date | None,
) -> None:
    content = event_content(stored, duration, None)
    if start is None:
        assert content is None
        return
    assert content is not None
    assert (content.start, content.end) == (start, end)
    assert content.summary == "Frieren — Episode 1"
    assert (content.description, content.url) == ("A synopsis.", "https://example.org/f")


def test_a_cancelled_release_without_a_date_keeps_its_published_time() -> None:
    published = event_content(release(AT, Precision.EXACT), None, None)
    assert published is not None
    previous = version(published, 2, NOW)
    cancelled = release(None, Precision.TBA, ReleaseStatus.CANCELLED)
    content = event_content(cancelled, None, previous)
    assert content is not None and content.cancelled
    assert (content.start, content.end) == (published.start, published.end)


@pytest.mark.parametrize(
    ("start", "cancelled", "shown"),
    [
        (NOW - timedelta(days=7), False, True),
        (NOW - timedelta(days=7, seconds=1), False, False),
        (NOW + timedelta(days=365), False, True),
        (NOW + timedelta(days=365, seconds=1), False, False),
        (NOW + timedelta(seconds=1), True, True),
        (NOW, True, False),
        (NOW - timedelta(days=1), True, False),
    ],
)
def test_the_calendar_window(start: datetime, cancelled: bool, shown: bool) -> None:
    content = EventContent(1, 1, "x", start, start + timedelta(minutes=30), cancelled)
    assert in_calendar(content, NOW) is shown
    boundary = next_boundary(content, NOW)
    if boundary is not None:  # nothing changes before the boundary, something at it
        assert in_calendar(content, boundary - timedelta(seconds=1)) is shown
        assert in_calendar(content, boundary) is not shown


def test_an_all_day_cancelled_event_stays_until_its_day_is_over() -> None:
    day = EventContent(1, 1, "x", date(2024, 7, 1), date(2024, 7, 2), cancelled=True)
    assert in_calendar(day, NOW)
    assert not in_calendar(day, datetime(2024, 7, 2, tzinfo=UTC))


def test_versions_grow_with_every_change_and_only_then() -> None:
    content = EventContent(1, 1, "Frieren — Episode 1", AT, AT + timedelta(minutes=30))
    created = NOW - timedelta(days=2, microseconds=5)
    first = next_version(None, content, created, NOW)
    assert (first.sequence, first.changed_at) == (0, created.replace(microsecond=0))
    assert next_version(first, content, NOW, NOW + timedelta(hours=1)) is first

    later = AT + timedelta(days=1)
    moved = EventContent(1, 1, "Frieren — Episode 1", later, later + timedelta(minutes=30))
    edited_at = NOW - timedelta(hours=1)
    second = next_version(first, moved, edited_at, NOW)
    assert (second.sequence, second.changed_at) == (1, edited_at)  # the edit's own time
    # A change outside the release (its show's title, the guild's delay): dated when seen.
    renamed = EventContent(1, 1, "Sousou no Frieren — Episode 1", moved.start, moved.end)
    third = next_version(second, renamed, edited_at, NOW)
    assert (third.sequence, third.changed_at) == (2, NOW)
    # Never at or before the stamp before it, even within the same second.
    fourth = next_version(third, content, edited_at, NOW)
    assert (fourth.sequence, fourth.changed_at) == (3, NOW + timedelta(seconds=1))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        EventContent(1, 1, "x", datetime(2024, 7, 1), datetime(2024, 7, 1, 1))
    with pytest.raises(ValueError, match="timed or all-day"):
        EventContent(1, 1, "x", date(2024, 7, 1), AT)


@pytest.mark.parametrize(
    ("base", "https", "webcal"),
    [
        ("https://airdate.example.org", "https://airdate.example.org/c/T.ics",
         "webcal://airdate.example.org/c/T.ics"),
        ("https://example.org/airdate/", "https://example.org/airdate/c/T.ics",
         "webcal://example.org/airdate/c/T.ics"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/c/T.ics",
         "webcal://127.0.0.1:8080/c/T.ics"),
    ],
)  # fmt: skip
def test_feed_links(base: str, https: str, webcal: str) -> None:
    links = feed_links(base, "T")
    assert (links.https, links.webcal) == (https, webcal)
