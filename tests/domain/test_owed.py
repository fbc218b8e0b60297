"""The one rule of what a release owes its targets now: `owed(state, history, now)`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    Show,
    TargetKind,
)
from bot.domain.owed import Owed, ReleaseState, Sent, Target, owed

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NAIVE_NOW = datetime(2024, 6, 1, 12, 0)
#: A release known (at its current time) for a month: nothing of it is cut by its revision.
LONG_AGO = NOW - timedelta(days=30)
GUILD = 1001
RELEASE = 7
CHANNEL = 111
OTHER_CHANNEL = 222
USER = 333
SHOW = Show(1, GUILD, "Frieren")

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
DEFAULT_OFFSETS = (7 * D, D, H)

REMINDER = DeliveryKind.REMINDER
ANNOUNCEMENT = DeliveryKind.ANNOUNCEMENT
NOTICE = DeliveryKind.NOTICE

IN_10_DAYS = NOW + 10 * D
IN_2_DAYS = NOW + 2 * D
DAY_SECONDS = 86_400
HOUR_SECONDS = 3_600

TBA = ReleaseTime(None, Precision.TBA, "UTC")


def exact(at: datetime, zone: str = "UTC") -> ReleaseTime:
    return ReleaseTime(at, Precision.EXACT, zone)


def day(at: datetime, zone: str = "UTC") -> ReleaseTime:
    return ReleaseTime(at, Precision.DAY, zone)


def month(at: datetime, zone: str = "UTC") -> ReleaseTime:
    return ReleaseTime(at, Precision.MONTH, zone)


def state(
    time: ReleaseTime,
    *,
    offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS,
    targets: tuple[Target, ...] = (Target(CHANNEL),),
    revised_at: datetime = LONG_AGO,
    offsets_since: datetime | None = None,
    notice_due_at: datetime | None = None,
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    release_id: int = RELEASE,
    revision: int = 1,
) -> ReleaseState:
    release = Release(release_id, SHOW, "Season 2", time, status, revision)
    return ReleaseState(
        release=release,
        targets=targets,
        offsets=offsets,
        revised_at=revised_at,
        offsets_since=offsets_since,
        notice_due_at=notice_due_at,
    )


def told(
    kind: DeliveryKind,
    about: ReleaseTime,
    sent_at: datetime,
    *,
    offset: timedelta = timedelta(0),
    target: int = CHANNEL,
) -> Sent:
    """What Discord accepted: a message to `target` telling `about`."""
    return Sent(target, kind, int(offset.total_seconds()), about, sent_at)


# What a test expects of one owed message: target, kind, offset in seconds, due at.
Row = tuple[int, DeliveryKind, int, datetime]


def reminder(offset: timedelta, due_at: datetime, target: int = CHANNEL) -> Row:
    return (target, REMINDER, int(offset.total_seconds()), due_at)


def announcement(due_at: datetime, target: int = CHANNEL) -> Row:
    return (target, ANNOUNCEMENT, 0, due_at)


def notice(due_at: datetime, target: int = CHANNEL) -> Row:
    return (target, NOTICE, 0, due_at)


def ordered(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r[3], r[0], r[1].value, r[2]))


def check(messages: Sequence[Owed], release_state: ReleaseState) -> list[Row]:
    """Check what holds for every owed message, and return them in due order."""
    keys = [m.key for m in messages]
    assert len(set(keys)) == len(keys), "a message is owed twice"
    release = release_state.release
    kinds = {t.id: t.kind for t in release_state.targets}
    for message in messages:
        assert message.key.release_id == release.id
        assert message.key.revision == release.revision
        assert message.key.target_kind is kinds[message.key.target_id]
        if message.key.kind is not NOTICE:
            assert message.old_time is None
        if message.key.kind is not REMINDER:
            assert message.key.offset_seconds == 0
    return ordered(
        [(m.key.target_id, m.key.kind, m.key.offset_seconds, m.due_at) for m in messages]
    )


def run(release_state: ReleaseState, history: Sequence[Sent] = ()) -> list[Row]:
    return check(owed(release_state, history, NOW), release_state)


# --- a release just added (its revision set now) ------------------------------------

# release time, reminder offsets, what it owes from NOW on
JUST_ADDED = [
    pytest.param(
        exact(IN_10_DAYS),
        DEFAULT_OFFSETS,
        [
            reminder(7 * D, IN_10_DAYS - 7 * D),
            reminder(D, IN_10_DAYS - D),
            reminder(H, IN_10_DAYS - H),
            announcement(IN_10_DAYS),
        ],
        id="exact-gets-every-offset",
    ),
    pytest.param(
        day(datetime(2024, 6, 11, tzinfo=UTC)),
        (7 * D, D, 23 * H, 15 * M),
        [
            reminder(7 * D, datetime(2024, 6, 4, tzinfo=UTC)),
            reminder(D, datetime(2024, 6, 10, tzinfo=UTC)),
            announcement(datetime(2024, 6, 11, tzinfo=UTC)),
        ],
        id="day-gets-only-offsets-of-a-day-or-more",
    ),
    pytest.param(
        exact(IN_2_DAYS),
        DEFAULT_OFFSETS,
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="offsets-already-past-are-not-owed",
    ),
    pytest.param(
        exact(NOW + H),
        DEFAULT_OFFSETS,
        [announcement(NOW + H)],
        id="reminder-due-exactly-now-is-not-owed",
    ),
    pytest.param(
        exact(NOW + H + S),
        DEFAULT_OFFSETS,
        [reminder(H, NOW + S), announcement(NOW + H + S)],
        id="reminder-due-one-second-from-now-is-owed",
    ),
    pytest.param(exact(NOW), DEFAULT_OFFSETS, [], id="announcement-due-exactly-now-is-not-owed"),
    pytest.param(
        exact(NOW + S), DEFAULT_OFFSETS, [announcement(NOW + S)], id="announcement-in-1s-is-owed"
    ),
    pytest.param(
        exact(NOW - 5 * M), DEFAULT_OFFSETS, [], id="announcement-already-past-is-not-owed"
    ),
    pytest.param(
        exact(IN_2_DAYS), (), [announcement(IN_2_DAYS)], id="no-offsets-announcement-only"
    ),
    pytest.param(
        exact(IN_2_DAYS),
        (H, H, timedelta(minutes=60)),
        [reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="repeated-offsets-owe-one-reminder",
    ),
    # Offsets are real durations: across the change to summer time in Berlin a 1-day
    # reminder is 24 hours before, so its "in 1 day" countdown is true.
    pytest.param(
        exact(datetime(2025, 3, 30, 20, 0, tzinfo=UTC), "Europe/Berlin"),
        (D,),
        [
            reminder(D, datetime(2025, 3, 29, 20, 0, tzinfo=UTC)),
            announcement(datetime(2025, 3, 30, 20, 0, tzinfo=UTC)),
        ],
        id="dst-change-offset-is-24-hours",
    ),
]


@pytest.mark.parametrize(("time", "offsets", "expected"), JUST_ADDED)
def test_a_release_just_added_owes(
    time: ReleaseTime, offsets: tuple[timedelta, ...], expected: list[Row]
) -> None:
    assert run(state(time, offsets=offsets, revised_at=NOW)) == ordered(expected)


@pytest.mark.parametrize(
    "precision", [Precision.MONTH, Precision.SEASON, Precision.YEAR, Precision.TBA]
)
@pytest.mark.parametrize("revised_at", [NOW, LONG_AGO], ids=["just-added", "added-long-ago"])
def test_releases_without_a_day_owe_nothing_scheduled(
    precision: Precision, revised_at: datetime
) -> None:
    at = None if precision is Precision.TBA else datetime(2024, 7, 1, tzinfo=UTC)
    assert run(state(ReleaseTime(at, precision, "UTC"), revised_at=revised_at)) == []


def test_owed_keys_name_the_release_revision_and_target() -> None:
    found = owed(
        state(
            exact(IN_2_DAYS),
            offsets=(H,),
            targets=(Target(OTHER_CHANNEL),),
            release_id=42,
            revision=3,
            revised_at=NOW,
        ),
        [],
        NOW,
    )
    assert [(m.key, m.due_at, m.old_time) for m in found] == [
        (DeliveryKey(42, REMINDER, HOUR_SECONDS, 3, OTHER_CHANNEL), IN_2_DAYS - H, None),
        (DeliveryKey(42, ANNOUNCEMENT, 0, 3, OTHER_CHANNEL), IN_2_DAYS, None),
    ]


def test_owed_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="naive"):
        owed(state(exact(IN_2_DAYS)), [], NAIVE_NOW)


def test_a_release_time_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="naive"):
        ReleaseTime(datetime(2024, 7, 3, 23, 0), Precision.EXACT, "UTC")


# --- who is owed, and since when -----------------------------------------------------

OLD = exact(IN_2_DAYS - 2 * H)

# release state, history, what it owes
AUDIENCE = [
    pytest.param(
        state(exact(IN_2_DAYS), offsets=(D, H)),
        [],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="a-listed-target-gets-everything-ahead",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), offsets=(D, H), targets=()),
        [],
        [],
        id="no-targets-nothing-owed",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), status=ReleaseStatus.CANCELLED),
        [],
        [],
        id="cancelled-owes-nothing",
    ),
    pytest.param(
        # Told about a time it has moved far from: still nothing, not even a notice.
        state(exact(IN_2_DAYS), status=ReleaseStatus.CANCELLED, revision=2, revised_at=NOW),
        [told(REMINDER, OLD, NOW - 5 * D, offset=7 * D)],
        [],
        id="cancelled-owes-no-notice",
    ),
    pytest.param(
        # OTHER_CHANNEL was told about a time the release moved from, but is no longer
        # listed (unfollowed): no notice for it, and nothing scheduled.
        state(exact(IN_2_DAYS), offsets=(D, H), revision=2, revised_at=NOW - 5 * M),
        [told(REMINDER, OLD, NOW - 5 * D, offset=7 * D, target=OTHER_CHANNEL)],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="a-target-not-listed-gets-nothing",
    ),
    pytest.param(
        # Listed since always: the 7d reminder (5 days ago) missed is caught up.
        state(exact(IN_2_DAYS)),
        [],
        [
            reminder(7 * D, NOW - 5 * D),
            reminder(D, IN_2_DAYS - D),
            reminder(H, IN_2_DAYS - H),
            announcement(IN_2_DAYS),
        ],
        id="a-target-since-always-catches-up-the-missed-reminder",
    ),
    pytest.param(
        # A follow made a day ago covers only what is ahead of it: not the 7d reminder.
        state(exact(IN_2_DAYS), targets=(Target(CHANNEL, since=NOW - D),)),
        [],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="a-follow-made-later-covers-only-what-is-ahead",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), targets=(Target(CHANNEL, since=NOW - 5 * D),)),
        [],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="since-exactly-at-a-reminder-cuts-it",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), targets=(Target(CHANNEL, since=NOW - 5 * D - S),)),
        [],
        [
            reminder(7 * D, NOW - 5 * D),
            reminder(D, IN_2_DAYS - D),
            reminder(H, IN_2_DAYS - H),
            announcement(IN_2_DAYS),
        ],
        id="since-just-before-a-reminder-keeps-it",
    ),
    pytest.param(
        state(exact(NOW - H)),
        [],
        [announcement(NOW - H)],
        id="since-always-gets-a-late-announcement",
    ),
    pytest.param(
        state(exact(NOW - H), targets=(Target(CHANNEL, since=NOW - 30 * M),)),
        [],
        [],
        id="since-after-the-release-cuts-the-announcement",
    ),
    pytest.param(
        state(
            exact(IN_2_DAYS),
            targets=(Target(CHANNEL), Target(OTHER_CHANNEL, since=NOW - D)),
        ),
        [],
        [
            reminder(7 * D, NOW - 5 * D),
            reminder(D, IN_2_DAYS - D),
            reminder(H, IN_2_DAYS - H),
            announcement(IN_2_DAYS),
            reminder(D, IN_2_DAYS - D, OTHER_CHANNEL),
            reminder(H, IN_2_DAYS - H, OTHER_CHANNEL),
            announcement(IN_2_DAYS, OTHER_CHANNEL),
        ],
        id="each-target-has-its-own-since",
    ),
    pytest.param(
        # The announcement channel moved from CHANNEL to OTHER_CHANNEL a day ago; CHANNEL
        # had the 7d reminder 5 days ago: the new channel does not get it again.
        state(
            exact(IN_2_DAYS),
            targets=(Target(OTHER_CHANNEL, since=NOW - D, inherits_from=CHANNEL),),
        ),
        [told(REMINDER, exact(IN_2_DAYS), NOW - 5 * D, offset=7 * D)],
        [
            reminder(D, IN_2_DAYS - D, OTHER_CHANNEL),
            reminder(H, IN_2_DAYS - H, OTHER_CHANNEL),
            announcement(IN_2_DAYS, OTHER_CHANNEL),
        ],
        id="a-moved-announcement-channel-is-not-sent-what-the-old-one-had",
    ),
    pytest.param(
        # Nothing reached the old channel (the bot was down): the new one catches up.
        state(
            exact(IN_2_DAYS),
            targets=(Target(OTHER_CHANNEL, since=NOW - D, inherits_from=CHANNEL),),
        ),
        [],
        [
            reminder(7 * D, NOW - 5 * D, OTHER_CHANNEL),
            reminder(D, IN_2_DAYS - D, OTHER_CHANNEL),
            reminder(H, IN_2_DAYS - H, OTHER_CHANNEL),
            announcement(IN_2_DAYS, OTHER_CHANNEL),
        ],
        id="a-moved-announcement-channel-inherits-what-the-old-one-was-owed",
    ),
    pytest.param(
        # Offsets changed a day ago: the 7d reminder (5 days ago) is not caught up.
        state(exact(IN_2_DAYS), offsets_since=NOW - D),
        [],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="offsets-since-cuts-reminders-due-before-it",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), offsets_since=NOW - 5 * D - S),
        [],
        [
            reminder(7 * D, NOW - 5 * D),
            reminder(D, IN_2_DAYS - D),
            reminder(H, IN_2_DAYS - H),
            announcement(IN_2_DAYS),
        ],
        id="offsets-since-keeps-reminders-due-after-it",
    ),
    pytest.param(
        state(exact(NOW - H), offsets_since=NOW - 30 * M),
        [],
        [announcement(NOW - H)],
        id="offsets-since-never-cuts-the-announcement",
    ),
    pytest.param(
        # The 1h reminder came due 30 minutes ago and was not sent (the bot was down);
        # the offsets changed 15 minutes ago: it is no longer owed.
        state(exact(NOW + 30 * M), offsets_since=NOW - 15 * M),
        [],
        [announcement(NOW + 30 * M)],
        id="offsets-since-cuts-the-catch-up-reminder",
    ),
]


@pytest.mark.parametrize(("release_state", "history", "expected"), AUDIENCE)
def test_who_is_owed_and_since_when(
    release_state: ReleaseState, history: list[Sent], expected: list[Row]
) -> None:
    assert run(release_state, history) == ordered(expected)


# --- catch-up after downtime ---------------------------------------------------------

# release time, reminder offsets, what it owes NOW (back after being down; nothing sent)
CATCH_UP = [
    pytest.param(
        exact(NOW + 30 * M),
        DEFAULT_OFFSETS,
        [reminder(H, NOW - 30 * M), announcement(NOW + 30 * M)],
        id="several-reminders-past-only-the-latest",
    ),
    pytest.param(
        exact(NOW + 30 * M),
        (H, 7 * D, D),
        [reminder(H, NOW - 30 * M), announcement(NOW + 30 * M)],
        id="several-reminders-past-in-any-order",
    ),
    pytest.param(
        exact(IN_2_DAYS),
        DEFAULT_OFFSETS,
        [
            reminder(7 * D, NOW - 5 * D),
            reminder(D, IN_2_DAYS - D),
            reminder(H, IN_2_DAYS - H),
            announcement(IN_2_DAYS),
        ],
        id="one-reminder-past-and-the-rest-ahead",
    ),
    pytest.param(
        exact(NOW + S),
        DEFAULT_OFFSETS,
        [reminder(H, NOW - H + S), announcement(NOW + S)],
        id="reminder-while-the-release-is-one-second-ahead",
    ),
    pytest.param(exact(NOW), DEFAULT_OFFSETS, [announcement(NOW)], id="release-starting-now"),
    pytest.param(
        exact(NOW - S), DEFAULT_OFFSETS, [announcement(NOW - S)], id="release-started-no-reminder"
    ),
    pytest.param(
        exact(NOW - 6 * H), DEFAULT_OFFSETS, [announcement(NOW - 6 * H)], id="announcement-6h-late"
    ),
    pytest.param(exact(NOW - 6 * H - S), DEFAULT_OFFSETS, [], id="announcement-6h1s-late"),
    pytest.param(
        # A day in Los Angeles starts at 07:00 UTC: five hours before NOW.
        day(datetime(2024, 6, 1, 7, 0, tzinfo=UTC), "America/Los_Angeles"),
        DEFAULT_OFFSETS,
        [announcement(datetime(2024, 6, 1, 7, 0, tzinfo=UTC))],
        id="day-release-started-in-its-zone",
    ),
    pytest.param(
        day(datetime(2024, 6, 3, 7, 0, tzinfo=UTC), "America/Los_Angeles"),
        (7 * D, 2 * D, D, H),
        [
            reminder(2 * D, datetime(2024, 6, 1, 7, 0, tzinfo=UTC)),
            reminder(D, datetime(2024, 6, 2, 7, 0, tzinfo=UTC)),
            announcement(datetime(2024, 6, 3, 7, 0, tzinfo=UTC)),
        ],
        id="day-release-latest-past-reminder-of-a-day-or-more",
    ),
]


@pytest.mark.parametrize(("time", "offsets", "expected"), CATCH_UP)
def test_catch_up_after_downtime(
    time: ReleaseTime, offsets: tuple[timedelta, ...], expected: list[Row]
) -> None:
    assert run(state(time, offsets=offsets)) == ordered(expected)


def test_catch_up_only_counts_reminders_due_since_the_revision() -> None:
    # Moved two hours ago to 30 minutes from now: the 1d reminder's moment came before the
    # move, so only the 1h reminder is caught up.
    assert run(state(exact(NOW + 30 * M), revised_at=NOW - 2 * H)) == [
        reminder(H, NOW - 30 * M),
        announcement(NOW + 30 * M),
    ]


# --- what was already sent -----------------------------------------------------------

#: A reminder a day ahead was sent 10 minutes ago; the release moved 5 minutes ago.
REMINDED_AT = NOW + D - 10 * M
MOVED_AT = NOW - 5 * M
NOTICE_DUE = MOVED_AT + M
#: An announcement was sent 10 minutes ago; the release moved 5 minutes ago.
ANNOUNCED_AT = NOW - 10 * M


def moved(time: ReleaseTime, *, targets: tuple[Target, ...] = (Target(CHANNEL),)) -> ReleaseState:
    return state(
        time,
        offsets=(D, H),
        targets=targets,
        revision=2,
        revised_at=MOVED_AT,
        notice_due_at=NOTICE_DUE,
    )


def reminded_day_ahead(target: int = CHANNEL) -> list[Sent]:
    return [told(REMINDER, exact(REMINDED_AT), NOW - 10 * M, offset=D, target=target)]


def announced(target: int = CHANNEL) -> list[Sent]:
    return [told(ANNOUNCEMENT, exact(ANNOUNCED_AT), ANNOUNCED_AT, target=target)]


# release state, history, what it owes
HISTORY = [
    pytest.param(
        moved(exact(REMINDED_AT + 20 * M)),
        reminded_day_ahead(),
        [reminder(H, REMINDED_AT + 20 * M - H), announcement(REMINDED_AT + 20 * M)],
        id="reminded-then-moved-20m-not-reminded-again",
    ),
    pytest.param(
        moved(exact(REMINDED_AT + 30 * M - S)),
        reminded_day_ahead(),
        [reminder(H, REMINDED_AT + 30 * M - S - H), announcement(REMINDED_AT + 30 * M - S)],
        id="reminded-then-moved-29m59s-not-reminded-again",
    ),
    pytest.param(
        moved(exact(REMINDED_AT + 30 * M)),
        reminded_day_ahead(),
        [
            reminder(D, NOW + 20 * M),
            reminder(H, REMINDED_AT + 30 * M - H),
            announcement(REMINDED_AT + 30 * M),
            notice(NOTICE_DUE),
        ],
        id="reminded-then-moved-30m-reminded-again",
    ),
    pytest.param(
        moved(exact(REMINDED_AT + 20 * M)),
        reminded_day_ahead(OTHER_CHANNEL),
        [
            reminder(D, NOW + 10 * M),
            reminder(H, REMINDED_AT + 20 * M - H),
            announcement(REMINDED_AT + 20 * M),
        ],
        id="another-targets-reminder-does-not-count",
    ),
    pytest.param(
        state(exact(IN_2_DAYS), offsets=(D, H)),
        [told(REMINDER, exact(IN_2_DAYS), NOW - 5 * D, offset=7 * D)],
        [reminder(D, IN_2_DAYS - D), reminder(H, IN_2_DAYS - H), announcement(IN_2_DAYS)],
        id="a-reminder-at-another-offset-does-not-count",
    ),
    pytest.param(
        # Both reminders are past; the latest (1h) was sent, so nothing is caught up.
        state(exact(NOW + 10 * M), offsets=(D, H)),
        [told(REMINDER, exact(NOW + 10 * M), NOW - 50 * M, offset=H)],
        [announcement(NOW + 10 * M)],
        id="the-latest-past-reminder-was-sent",
    ),
    pytest.param(
        moved(exact(ANNOUNCED_AT + 20 * M)),
        announced(),
        [],
        id="announced-then-moved-20m-not-announced-again",
    ),
    pytest.param(
        moved(exact(ANNOUNCED_AT + 30 * M)),
        announced(),
        [announcement(ANNOUNCED_AT + 30 * M), notice(NOTICE_DUE)],
        id="announced-then-moved-30m-announced-again",
    ),
    pytest.param(
        moved(exact(ANNOUNCED_AT + 20 * M)),
        announced(OTHER_CHANNEL),
        [announcement(ANNOUNCED_AT + 20 * M)],
        id="another-targets-announcement-does-not-count",
    ),
    pytest.param(
        moved(exact(ANNOUNCED_AT + 20 * M)),
        [told(REMINDER, exact(ANNOUNCED_AT), ANNOUNCED_AT - H, offset=H)],
        [announcement(ANNOUNCED_AT + 20 * M)],
        id="a-reminder-is-no-announcement",
    ),
    pytest.param(
        # The 1h reminder went out about the old time, then the release came 20 minutes
        # earlier: its moment is before the move, so it is not owed again either way.
        moved(exact(NOW + 30 * M)),
        [told(REMINDER, exact(NOW + 50 * M), NOW - 10 * M, offset=H)],
        [announcement(NOW + 30 * M)],
        id="reminded-then-moved-earlier",
    ),
]


@pytest.mark.parametrize(("release_state", "history", "expected"), HISTORY)
def test_what_was_already_sent(
    release_state: ReleaseState, history: list[Sent], expected: list[Row]
) -> None:
    assert run(release_state, history) == ordered(expected)


def test_history_order_does_not_matter() -> None:
    release_state = moved(exact(REMINDED_AT + 30 * M))
    history = [
        *reminded_day_ahead(),
        told(NOTICE, exact(REMINDED_AT + 30 * M), NOW - M),
        told(REMINDER, exact(REMINDED_AT), NOW - 2 * D, offset=2 * D),
    ]
    forward = owed(release_state, history, NOW)
    backward = owed(release_state, history[::-1], NOW)
    assert set(forward) == set(backward)
    assert all(m.key.kind is not NOTICE for m in forward)


# --- date-change notices ---------------------------------------------------------------

#: The release was at 4 June 12:00 UTC when the channel was reminded 7 days ahead.
TOLD = exact(NOW + 3 * D)
TOLD_AT = NOW - 4 * D
REMINDED = told(REMINDER, TOLD, TOLD_AT, offset=7 * D)


def told_moved(about: ReleaseTime, sent_at: datetime = NOW - 30 * M) -> Sent:
    """A notice Discord accepted, telling `about`."""
    return told(NOTICE, about, sent_at)


# current release time, history, targets, the notices owed: target and old time
NOTICES = [
    pytest.param(exact(NOW + 3 * D + H), [], None, [], id="never-told-no-notice"),
    pytest.param(
        exact(NOW + 3 * D + 30 * M), [REMINDED], None, [(CHANNEL, TOLD)], id="moved-30m-later"
    ),
    pytest.param(
        exact(NOW + 3 * D - 30 * M), [REMINDED], None, [(CHANNEL, TOLD)], id="moved-30m-earlier"
    ),
    pytest.param(exact(NOW + 3 * D + 29 * M), [REMINDED], None, [], id="moved-29m-no-notice"),
    pytest.param(exact(NOW + 3 * D - 29 * M), [REMINDED], None, [], id="moved-29m-earlier"),
    pytest.param(TBA, [REMINDED], None, [(CHANNEL, TOLD)], id="became-tba"),
    pytest.param(
        month(datetime(2024, 6, 1, tzinfo=UTC)),
        [REMINDED],
        None,
        [(CHANNEL, TOLD)],
        id="became-a-vaguer-month",
    ),
    pytest.param(
        exact(datetime(2024, 6, 4, 23, 0, tzinfo=UTC)),
        [told(REMINDER, day(datetime(2024, 6, 4, tzinfo=UTC)), TOLD_AT, offset=7 * D)],
        None,
        [],
        id="a-day-gaining-its-hour-is-no-move",
    ),
    pytest.param(
        day(datetime(2024, 6, 20, tzinfo=UTC)),
        [told_moved(month(datetime(2024, 6, 1, tzinfo=UTC)))],
        None,
        [],
        id="a-month-gaining-its-day-is-no-move",
    ),
    pytest.param(
        exact(datetime(2024, 6, 5, 0, 30, tzinfo=UTC)),
        [told(REMINDER, day(datetime(2024, 6, 4, tzinfo=UTC)), TOLD_AT, offset=7 * D)],
        None,
        [(CHANNEL, day(datetime(2024, 6, 4, tzinfo=UTC)))],
        id="a-day-becoming-an-hour-30m-after-it",
    ),
    pytest.param(
        exact(datetime(2024, 7, 3, 23, 0, tzinfo=UTC)),
        [told_moved(month(datetime(2024, 6, 1, tzinfo=UTC)))],
        None,
        [(CHANNEL, month(datetime(2024, 6, 1, tzinfo=UTC)))],
        id="a-month-becoming-a-day-of-another-month",
    ),
    pytest.param(exact(NOW + 3 * D), [told_moved(TBA)], None, [], id="leaving-tba-is-no-move"),
    pytest.param(
        exact(NOW + 4 * D),
        [REMINDED, told_moved(exact(NOW + 4 * D))],
        None,
        [],
        id="already-told-the-current-time",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [told_moved(exact(NOW + 4 * D)), REMINDED],
        None,
        [],
        id="already-told-the-current-time-in-any-order",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [told(REMINDER, TOLD, NOW - M, offset=D), told_moved(exact(NOW + 4 * D), NOW - M)],
        None,
        [],
        id="told-at-one-moment-and-one-told-the-current-time",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [told(REMINDER, TOLD, NOW - M, offset=D), told(ANNOUNCEMENT, TOLD, NOW - M)],
        None,
        [(CHANNEL, TOLD)],
        id="told-at-one-moment-all-the-old-time",
    ),
    pytest.param(
        exact(NOW + 4 * D + 45 * M),
        [REMINDED, told_moved(exact(NOW + 4 * D))],
        None,
        [(CHANNEL, exact(NOW + 4 * D))],
        id="moved-again-after-a-notice-tells-the-last-time-told",
    ),
    pytest.param(exact(NOW + 3 * D), [REMINDED], None, [], id="moved-back-to-the-time-told"),
    pytest.param(
        TOLD,
        [REMINDED, told_moved(exact(NOW + 4 * D))],
        None,
        [(CHANNEL, exact(NOW + 4 * D))],
        id="moved-back-after-a-notice",
    ),
    pytest.param(
        exact(NOW + 3 * D + 40 * M),
        [REMINDED],
        None,
        [(CHANNEL, TOLD)],
        id="two-small-moves-add-up",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [REMINDED],
        (Target(CHANNEL), Target(OTHER_CHANNEL)),
        [(CHANNEL, TOLD)],
        id="only-targets-told-get-one",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [told(REMINDER, TOLD, TOLD_AT, offset=7 * D, target=OTHER_CHANNEL)],
        (Target(CHANNEL),),
        [],
        id="a-told-target-no-longer-listed-gets-none",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [
            REMINDED,
            told(REMINDER, exact(NOW + 4 * D), NOW - M, offset=7 * D, target=OTHER_CHANNEL),
        ],
        (Target(CHANNEL), Target(OTHER_CHANNEL)),
        [(CHANNEL, TOLD)],
        id="each-target-by-what-it-was-told",
    ),
    pytest.param(
        exact(NOW + 4 * D),
        [told(ANNOUNCEMENT, TOLD, TOLD_AT)],
        None,
        [(CHANNEL, TOLD)],
        id="an-announcement-counts-as-told",
    ),
]


@pytest.mark.parametrize(("time", "history", "targets", "expected"), NOTICES)
def test_notices(
    time: ReleaseTime,
    history: list[Sent],
    targets: tuple[Target, ...] | None,
    expected: list[tuple[int, ReleaseTime]],
) -> None:
    release_state = state(
        time,
        targets=targets or (Target(CHANNEL),),
        revision=3,
        revised_at=MOVED_AT,
        notice_due_at=NOTICE_DUE,
    )
    found = owed(release_state, history, NOW)
    check(found, release_state)
    notices = [m for m in found if m.key.kind is NOTICE]
    assert all(m.due_at == NOTICE_DUE for m in notices)
    assert [(m.key.target_id, m.old_time) for m in notices] == expected


def test_a_notice_without_a_debounce_is_due_now() -> None:
    release_state = state(exact(NOW + 4 * D), revision=2, revised_at=MOVED_AT)
    [message] = [m for m in owed(release_state, [REMINDED], NOW) if m.key.kind is NOTICE]
    assert message == Owed(DeliveryKey(RELEASE, NOTICE, 0, 2, CHANNEL), NOW, old_time=TOLD)


# --- members by DM -------------------------------------------------------------------


def test_a_member_by_dm_is_owed_like_a_channel() -> None:
    targets = (Target(CHANNEL), Target(USER, TargetKind.USER))
    release_state = state(exact(IN_2_DAYS), offsets=(D, H), targets=targets, revised_at=NOW)
    found = owed(release_state, [], NOW)
    rows = check(found, release_state)
    for target in (CHANNEL, USER):
        assert [row[1:] for row in rows if row[0] == target] == [
            (REMINDER, DAY_SECONDS, IN_2_DAYS - D),
            (REMINDER, HOUR_SECONDS, IN_2_DAYS - H),
            (ANNOUNCEMENT, 0, IN_2_DAYS),
        ]
    assert {m.key.target_kind for m in found if m.key.target_id == USER} == {TargetKind.USER}


def test_a_member_told_by_dm_gets_a_notice_by_dm() -> None:
    targets = (Target(USER, TargetKind.USER, since=NOW - 10 * D),)
    release_state = state(
        exact(NOW + 4 * D),
        targets=targets,
        revision=2,
        revised_at=MOVED_AT,
        notice_due_at=NOTICE_DUE,
    )
    found = owed(release_state, [told(REMINDER, TOLD, TOLD_AT, offset=7 * D, target=USER)], NOW)
    assert [m for m in found if m.key.kind is NOTICE] == [
        Owed(DeliveryKey(RELEASE, NOTICE, 0, 2, USER, TargetKind.USER), NOTICE_DUE, old_time=TOLD)
    ]
    # The 7d reminder told the old time, but its moment for the new time (3 days ago) came
    # before the move: only what is ahead is scheduled again.
    assert check(found, release_state) == [
        notice(NOTICE_DUE, USER),
        reminder(D, NOW + 3 * D, USER),
        reminder(H, NOW + 4 * D - H, USER),
        announcement(NOW + 4 * D, USER),
    ]
