"""Rules about a release's time that used to sit in services: ahead or not, a move, a
retry's deadline, a schedulable time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.models import DeliveryKind, Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.domain.notifications import Notification
from bot.domain.when import parse_schedule

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def exact(at: datetime) -> ReleaseTime:
    return ReleaseTime(at, Precision.EXACT, "UTC")


def day(at: datetime) -> ReleaseTime:
    return ReleaseTime(at, Precision.DAY, "UTC")


TBA = ReleaseTime(None, Precision.TBA, "UTC")
MONTH = ReleaseTime(datetime(2024, 6, 1, tzinfo=UTC), Precision.MONTH, "UTC")


def release(time: ReleaseTime, status: ReleaseStatus = ReleaseStatus.SCHEDULED) -> Release:
    return Release(7, Show(1, 1, "Frieren"), "Season 2", time, status, 3)


@pytest.mark.parametrize(
    ("time", "ahead"),
    [
        (exact(NOW + timedelta(seconds=1)), True),
        (exact(NOW), False),  # the moment itself has come
        (exact(NOW - timedelta(seconds=1)), False),
        (day(NOW - 12 * H), True),  # today, begun 12 h ago, is not over
        (day(NOW - 24 * H), False),  # yesterday is over at this very moment
        (day(NOW + 12 * H), True),
        (MONTH, False),  # June began: a month counts from its start
        (TBA, False),
    ],
)
def test_ahead_of(time: ReleaseTime, ahead: bool) -> None:
    assert time.ahead_of(NOW) is ahead


@pytest.mark.parametrize(
    ("before", "after", "status"),
    [
        (exact(NOW + H), exact(NOW + 3 * H), ReleaseStatus.DELAYED),
        (exact(NOW + 3 * H), exact(NOW + H), ReleaseStatus.SCHEDULED),
        (TBA, exact(NOW + H), ReleaseStatus.SCHEDULED),  # a date found is no delay
        (exact(NOW + H), TBA, ReleaseStatus.SCHEDULED),
    ],
)
def test_a_move_is_a_new_revision_delayed_only_when_later(
    before: ReleaseTime, after: ReleaseTime, status: ReleaseStatus
) -> None:
    moved = release(before, ReleaseStatus.DELAYED).moved_to(after)
    assert (moved.time, moved.revision, moved.status) == (after, 4, status)
    assert (moved.id, moved.show, moved.label) == (7, Show(1, 1, "Frieren"), "Season 2")


@pytest.mark.parametrize(
    ("kind", "time", "due", "deadline"),
    [
        (DeliveryKind.REMINDER, exact(NOW + H), NOW, NOW + H),  # never after the release
        (DeliveryKind.ANNOUNCEMENT, exact(NOW), NOW, NOW + 6 * H),
        (DeliveryKind.NOTICE, exact(NOW + 48 * H), NOW, NOW + 6 * H),
        (DeliveryKind.REMINDER, TBA, NOW, NOW + 6 * H),
    ],
)
def test_a_retry_deadline(
    kind: DeliveryKind, time: ReleaseTime, due: datetime, deadline: datetime
) -> None:
    assert Notification(kind, release(time), due_at=due).retry_deadline == deadline


@pytest.mark.parametrize(
    ("typed", "zone", "precision"),
    [
        ("in 2h", None, Precision.EXACT),
        ("2024-06-01", None, Precision.DAY),  # today is still ahead until it is over
        ("2024-06-01 23:00", "Asia/Tokyo", Precision.EXACT),  # 14:00 UTC, ahead
        ("June 2024", None, Precision.MONTH),  # not scheduled: no past check
        ("TBA", None, Precision.TBA),
    ],
)
def test_parse_schedule_accepts_what_is_ahead(
    typed: str, zone: str | None, precision: Precision
) -> None:
    assert parse_schedule(typed, zone=zone, default_zone="UTC", now=NOW).precision is precision


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("2024-05-31", None), ("2024-06-01 11:59", None), ("2024-06-01 20:00", "Asia/Tokyo")],
)
def test_parse_schedule_refuses_the_past_saying_what_to_type(typed: str, zone: str | None) -> None:
    with pytest.raises(InvalidInput, match=r"in the past\. Type a time still ahead"):
        parse_schedule(typed, zone=zone, default_zone="UTC", now=NOW)


def test_parse_schedule_refuses_an_unknown_zone() -> None:
    with pytest.raises(InvalidInput):
        parse_schedule("in 2h", zone="Mars/Olympus", default_zone="UTC", now=NOW)
