"""What a release owes, what overdue rows still deserve, and the nonce a send carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    Precision,
    ReleaseStatus,
    ReleaseTime,
)
from bot.domain.planning import (
    NONCE_LENGTH,
    DueRow,
    Verdict,
    delivery_nonce,
    owed_deliveries,
    triage,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NAIVE_NOW = datetime(2024, 6, 1, 12, 0)
RELEASE = 7
CHANNEL = 111
OTHER_CHANNEL = 222
DEFAULT_OFFSETS = (timedelta(days=7), timedelta(days=1), timedelta(hours=1))

REMINDER = DeliveryKind.REMINDER
ANNOUNCEMENT = DeliveryKind.ANNOUNCEMENT
NOTICE = DeliveryKind.NOTICE


def exact(at: datetime) -> ReleaseTime:
    return ReleaseTime(at, Precision.EXACT, "UTC")


def day(at: datetime, zone: str = "UTC") -> ReleaseTime:
    return ReleaseTime(at, Precision.DAY, zone)


def owed(
    time: ReleaseTime, offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS
) -> list[tuple[DeliveryKind, int, datetime]]:
    planned = owed_deliveries(
        release_id=RELEASE, time=time, revision=1, target_id=CHANNEL, offsets=offsets, now=NOW
    )
    return [(p.key.kind, p.key.offset_seconds, p.due_at) for p in planned]


IN_10_DAYS = NOW + timedelta(days=10)
IN_2_DAYS = NOW + timedelta(days=2)
DAY_SECONDS = 86_400
HOUR_SECONDS = 3_600

# release time, reminder offsets, (kind, offset seconds, due at) owed from NOW on
OWED = [
    pytest.param(
        exact(IN_10_DAYS),
        DEFAULT_OFFSETS,
        [
            (REMINDER, 7 * DAY_SECONDS, IN_10_DAYS - timedelta(days=7)),
            (REMINDER, DAY_SECONDS, IN_10_DAYS - timedelta(days=1)),
            (REMINDER, HOUR_SECONDS, IN_10_DAYS - timedelta(hours=1)),
            (ANNOUNCEMENT, 0, IN_10_DAYS),
        ],
        id="exact-gets-every-offset",
    ),
    pytest.param(
        day(IN_10_DAYS),
        (timedelta(days=7), timedelta(days=1), timedelta(hours=23), timedelta(minutes=15)),
        [
            (REMINDER, 7 * DAY_SECONDS, IN_10_DAYS - timedelta(days=7)),
            (REMINDER, DAY_SECONDS, IN_10_DAYS - timedelta(days=1)),
            (ANNOUNCEMENT, 0, IN_10_DAYS),
        ],
        id="day-gets-only-offsets-of-a-day-or-more",
    ),
    pytest.param(
        exact(IN_2_DAYS),
        DEFAULT_OFFSETS,
        [
            (REMINDER, DAY_SECONDS, IN_2_DAYS - timedelta(days=1)),
            (REMINDER, HOUR_SECONDS, IN_2_DAYS - timedelta(hours=1)),
            (ANNOUNCEMENT, 0, IN_2_DAYS),
        ],
        id="offsets-already-past-are-skipped",
    ),
    pytest.param(
        exact(NOW + timedelta(hours=1)),
        DEFAULT_OFFSETS,
        [(ANNOUNCEMENT, 0, NOW + timedelta(hours=1))],
        id="reminder-due-exactly-now-is-not-owed",
    ),
    pytest.param(
        exact(NOW + timedelta(hours=1, seconds=1)),
        DEFAULT_OFFSETS,
        [
            (REMINDER, HOUR_SECONDS, NOW + timedelta(seconds=1)),
            (ANNOUNCEMENT, 0, NOW + timedelta(hours=1, seconds=1)),
        ],
        id="reminder-due-one-second-from-now-is-owed",
    ),
    pytest.param(exact(NOW), DEFAULT_OFFSETS, [], id="announcement-due-exactly-now-is-not-owed"),
    pytest.param(
        exact(NOW - timedelta(minutes=5)), DEFAULT_OFFSETS, [], id="announcement-past-is-skipped"
    ),
    pytest.param(
        exact(IN_2_DAYS), (), [(ANNOUNCEMENT, 0, IN_2_DAYS)], id="no-offsets-announcement-only"
    ),
    pytest.param(
        exact(IN_2_DAYS),
        (timedelta(hours=1), timedelta(hours=1), timedelta(minutes=60)),
        [
            (REMINDER, HOUR_SECONDS, IN_2_DAYS - timedelta(hours=1)),
            (ANNOUNCEMENT, 0, IN_2_DAYS),
        ],
        id="repeated-offsets-owe-one-reminder",
    ),
    # Offsets are real durations: across the change to summer time in Berlin a 1-day
    # reminder is 24 hours before, so its "in 1 day" countdown is true.
    pytest.param(
        ReleaseTime(datetime(2025, 3, 30, 20, 0, tzinfo=UTC), Precision.EXACT, "Europe/Berlin"),
        (timedelta(days=1),),
        [
            (REMINDER, DAY_SECONDS, datetime(2025, 3, 29, 20, 0, tzinfo=UTC)),
            (ANNOUNCEMENT, 0, datetime(2025, 3, 30, 20, 0, tzinfo=UTC)),
        ],
        id="dst-change-offset-is-24-hours",
    ),
]


@pytest.mark.parametrize(("time", "offsets", "expected"), OWED)
def test_owed_deliveries(
    time: ReleaseTime,
    offsets: tuple[timedelta, ...],
    expected: list[tuple[DeliveryKind, int, datetime]],
) -> None:
    assert owed(time, offsets) == expected


@pytest.mark.parametrize(
    "precision", [Precision.MONTH, Precision.SEASON, Precision.YEAR, Precision.TBA]
)
def test_releases_without_a_day_owe_nothing(precision: Precision) -> None:
    at = None if precision is Precision.TBA else IN_10_DAYS
    assert owed(ReleaseTime(at, precision, "UTC")) == []


def test_owed_keys_name_the_release_revision_and_target() -> None:
    planned = owed_deliveries(
        release_id=42,
        time=exact(IN_2_DAYS),
        revision=3,
        target_id=OTHER_CHANNEL,
        offsets=(timedelta(hours=1),),
        now=NOW,
    )
    assert [p.key for p in planned] == [
        DeliveryKey(42, REMINDER, HOUR_SECONDS, 3, OTHER_CHANNEL),
        DeliveryKey(42, ANNOUNCEMENT, 0, 3, OTHER_CHANNEL),
    ]


def test_owed_deliveries_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        owed_deliveries(
            release_id=RELEASE,
            time=exact(IN_2_DAYS),
            revision=1,
            target_id=CHANNEL,
            offsets=DEFAULT_OFFSETS,
            now=NAIVE_NOW,
        )


def test_a_release_time_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="naive"):
        ReleaseTime(datetime(2024, 7, 3, 23, 0), Precision.EXACT, "UTC")


# --- triage ---------------------------------------------------------------------------


def row(
    delivery_id: int,
    kind: DeliveryKind,
    *,
    late_by: timedelta = timedelta(0),
    starts_in: timedelta = timedelta(hours=1),
    offset: timedelta = timedelta(0),
    target: int = CHANNEL,
    revision: int = 1,
    release_revision: int = 1,
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    release_id: int = RELEASE,
) -> DueRow:
    """A row that came due `late_by` before NOW, for a release starting `starts_in` from NOW."""
    return DueRow(
        delivery_id=delivery_id,
        key=DeliveryKey(release_id, kind, int(offset.total_seconds()), revision, target),
        due_at=NOW - late_by,
        release_time=exact(NOW + starts_in),
        release_status=status,
        release_revision=release_revision,
    )


def announcement(delivery_id: int, late_by: timedelta, release_id: int = RELEASE) -> DueRow:
    """An announcement due as its release started, `late_by` before NOW."""
    return row(
        delivery_id, ANNOUNCEMENT, late_by=late_by, starts_in=-late_by, release_id=release_id
    )


def reminder(
    delivery_id: int, offset: timedelta, starts_in: timedelta, target: int = CHANNEL
) -> DueRow:
    """A reminder `offset` before a release starting `starts_in` from NOW."""
    return row(
        delivery_id,
        REMINDER,
        offset=offset,
        starts_in=starts_in,
        late_by=offset - starts_in,
        target=target,
    )


SEND, SEND_LATE, SKIP = Verdict.SEND, Verdict.SEND_LATE, Verdict.SKIP
S = timedelta(seconds=1)
H = timedelta(hours=1)
D = timedelta(days=1)

# rows that came due, verdict per delivery id
TRIAGE = [
    pytest.param([announcement(1, timedelta(0))], {1: SEND}, id="announcement-on-time"),
    pytest.param([announcement(1, 30 * S)], {1: SEND}, id="announcement-30s-late"),
    pytest.param([announcement(1, 60 * S)], {1: SEND}, id="announcement-60s-late"),
    pytest.param([announcement(1, 61 * S)], {1: SEND_LATE}, id="announcement-61s-late"),
    pytest.param([announcement(1, 6 * H)], {1: SEND_LATE}, id="announcement-6h-late"),
    pytest.param([announcement(1, 6 * H + S)], {1: SKIP}, id="announcement-6h1s-late"),
    pytest.param(
        [
            row(1, ANNOUNCEMENT, status=ReleaseStatus.CANCELLED),
            row(2, REMINDER, offset=H, status=ReleaseStatus.CANCELLED),
            row(3, NOTICE, status=ReleaseStatus.CANCELLED),
        ],
        {1: SKIP, 2: SKIP, 3: SKIP},
        id="cancelled-release-skips-everything",
    ),
    pytest.param(
        [
            row(1, ANNOUNCEMENT, revision=1, release_revision=2),
            row(2, REMINDER, offset=H, revision=1, release_revision=2),
            row(3, NOTICE, revision=1, release_revision=2),
        ],
        {1: SKIP, 2: SKIP, 3: SKIP},
        id="old-revision-skips-everything",
    ),
    pytest.param([reminder(1, D, starts_in=D)], {1: SEND}, id="reminder-on-time"),
    pytest.param(
        # Back after two days offline: the 7d, 1d and 1h reminders are all due, 30 min ahead.
        [
            reminder(1, 7 * D, starts_in=30 * 60 * S),
            reminder(2, D, starts_in=30 * 60 * S),
            reminder(3, H, starts_in=30 * 60 * S),
        ],
        {1: SKIP, 2: SKIP, 3: SEND},
        id="several-reminders-only-latest-sent",
    ),
    pytest.param(
        [
            reminder(3, H, starts_in=30 * 60 * S),
            reminder(2, D, starts_in=30 * 60 * S),
            reminder(1, 7 * D, starts_in=30 * 60 * S),
        ],
        {1: SKIP, 2: SKIP, 3: SEND},
        id="several-reminders-in-any-order",
    ),
    pytest.param([reminder(1, H, starts_in=-S)], {1: SKIP}, id="reminder-after-release-started"),
    pytest.param(
        [reminder(1, H, starts_in=timedelta(0))], {1: SKIP}, id="reminder-as-release-starts"
    ),
    pytest.param(
        [
            reminder(1, D, starts_in=H, target=CHANNEL),
            reminder(2, H, starts_in=H, target=CHANNEL),
            reminder(3, D, starts_in=H, target=OTHER_CHANNEL),
        ],
        {1: SKIP, 2: SEND, 3: SEND},
        id="targets-are-independent",
    ),
    pytest.param(
        [
            row(1, REMINDER, offset=D, starts_in=H, late_by=D - H),
            row(2, REMINDER, offset=D, starts_in=H, late_by=D - H, release_id=RELEASE + 1),
        ],
        {1: SEND, 2: SEND},
        id="releases-are-independent",
    ),
    pytest.param(
        [row(1, NOTICE, late_by=10 * S), row(2, NOTICE, late_by=7 * H, target=OTHER_CHANNEL)],
        {1: SEND, 2: SEND},
        id="notices-are-sent",
    ),
    pytest.param(
        [
            reminder(1, H, starts_in=30 * 60 * S),
            announcement(2, 2 * H, release_id=RELEASE + 1),
            row(3, NOTICE),
        ],
        {1: SEND, 2: SEND_LATE, 3: SEND},
        id="mixed-batch",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), TRIAGE)
def test_triage(rows: list[DueRow], expected: dict[int, Verdict]) -> None:
    assert triage(rows, NOW) == expected


def test_triage_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        triage([announcement(1, timedelta(0))], NAIVE_NOW)


# --- nonce ----------------------------------------------------------------------------

KEY = DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 1, CHANNEL)
OTHER_KEY = DeliveryKey(RELEASE + 1, REMINDER, HOUR_SECONDS, 1, CHANNEL)


def test_nonce_is_short_and_deterministic() -> None:
    nonce = delivery_nonce([KEY, OTHER_KEY])
    assert 0 < len(nonce) <= 25
    assert len(nonce) == NONCE_LENGTH
    assert nonce == delivery_nonce([KEY, OTHER_KEY])
    assert nonce == delivery_nonce([OTHER_KEY, KEY])


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 1, OTHER_CHANNEL), id="target"),
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 2, CHANNEL), id="revision"),
        pytest.param(DeliveryKey(RELEASE, REMINDER, 0, 1, CHANNEL), id="kind"),
        pytest.param(DeliveryKey(RELEASE, NOTICE, 0, 1, CHANNEL), id="kind-notice"),
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 60, 1, CHANNEL), id="offset"),
        pytest.param(DeliveryKey(RELEASE + 1, ANNOUNCEMENT, 0, 1, CHANNEL), id="release"),
    ],
)
def test_nonce_differs_when_any_part_of_the_key_differs(changed: DeliveryKey) -> None:
    assert delivery_nonce([changed]) != delivery_nonce([KEY])


def test_nonce_of_a_batch_differs_from_its_parts() -> None:
    batch = delivery_nonce([KEY, OTHER_KEY])
    assert batch not in {delivery_nonce([KEY]), delivery_nonce([OTHER_KEY])}


def test_nonce_needs_a_key() -> None:
    with pytest.raises(ValueError):
        delivery_nonce([])
