"""Who should hear about a release now, and since when: `release_targets`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.audience import DmSubscriber, release_targets
from bot.domain.models import (
    Follow,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    Show,
    TargetKind,
)
from bot.domain.owed import Target

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GUILD = 1001
SHOW = Show(1, GUILD, "Frieren")
OTHER_SHOW_ID = 2
ANNOUNCEMENTS = 111
CHAT = 222
SPOILERS = 333
ANNOUNCE_ROLE = 901
FANS = 902
HARDCORE = 903
ALICE = 501
BOB = 502

EARLY = NOW - timedelta(days=30)
MIDDLE = NOW - timedelta(days=10)
LATE = NOW - timedelta(days=1)


def release(label: str | None = "Season 2") -> Release:
    time = ReleaseTime(NOW + timedelta(days=3), Precision.EXACT, "UTC")
    return Release(7, SHOW, label, time, ReleaseStatus.SCHEDULED, revision=1)


def follow(
    channel_id: int,
    *,
    show_id: int | None = SHOW.id,
    role_id: int | None = None,
    episodes: bool = True,
    disabled_reason: str | None = None,
    since: datetime | None = None,
    follow_id: int = 1,
) -> Follow:
    return Follow(
        follow_id,
        GUILD,
        channel_id,
        show_id,
        role_id=role_id,
        episodes=episodes,
        disabled_reason=disabled_reason,
        since=since,
    )


#: A guild announcing in ANNOUNCEMENTS, pinging ANNOUNCE_ROLE, set up EARLY.
GUILD_SETTINGS = GuildSettings(
    GUILD, channel_id=ANNOUNCEMENTS, role_id=ANNOUNCE_ROLE, channel_since=EARLY
)
#: A guild with no announcement channel: only its follows and subscribers.
NO_CHANNEL = replace(GUILD_SETTINGS, channel_id=None, role_id=None, channel_since=None)


# label, settings, follows, DM subscribers, the targets
TARGETS = [
    pytest.param(
        "Season 2",
        GUILD_SETTINGS,
        [],
        [],
        (Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE,), EARLY),),
        id="the-announcement-channel-with-its-role",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, removed=True),
        [follow(CHAT)],
        [DmSubscriber(ALICE)],
        (),
        id="a-removed-guild-has-no-targets",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, channel_disabled_reason="channel deleted"),
        [],
        [],
        (),
        id="a-disabled-announcement-channel-is-no-target",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, channel_disabled_reason="channel deleted"),
        [follow(CHAT, role_id=FANS, since=MIDDLE)],
        [],
        (Target(CHAT, TargetKind.CHANNEL, (FANS,), MIDDLE),),
        id="a-disabled-announcement-channel-leaves-the-follows",
    ),
    pytest.param(
        "Season 2",
        NO_CHANNEL,
        [],
        [],
        (),
        id="no-announcement-channel",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, channel_since=MIDDLE),
        [follow(ANNOUNCEMENTS, role_id=FANS, since=EARLY)],
        [],
        (Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE, FANS), EARLY),),
        id="announcement-channel-and-a-follow-one-target-earliest-since",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, channel_since=EARLY),
        [follow(ANNOUNCEMENTS, role_id=FANS, since=MIDDLE)],
        [],
        (Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE, FANS), EARLY),),
        id="follow-after-the-announcement-channel-keeps-its-since",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, channel_since=None),
        [follow(ANNOUNCEMENTS, since=MIDDLE)],
        [],
        (Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE,), None),),
        id="covered-since-always-by-one-is-since-always",
    ),
    pytest.param(
        "Season 2",
        NO_CHANNEL,
        [
            follow(CHAT, role_id=FANS, since=MIDDLE, follow_id=1),
            follow(CHAT, show_id=None, role_id=HARDCORE, since=EARLY, follow_id=2),
            follow(CHAT, show_id=None, role_id=FANS, since=LATE, follow_id=3),
        ],
        [],
        (Target(CHAT, TargetKind.CHANNEL, (FANS, HARDCORE), EARLY),),
        id="several-follows-of-a-channel-one-target-every-role-once",
    ),
    pytest.param(
        "Season 2",
        replace(
            GUILD_SETTINGS,
            channel_id=CHAT,
            channel_since=LATE,
            previous_channel_id=ANNOUNCEMENTS,
            previous_channel_since=EARLY,
        ),
        [],
        [],
        (
            Target(
                CHAT,
                TargetKind.CHANNEL,
                (ANNOUNCE_ROLE,),
                LATE,
                inherits_from=ANNOUNCEMENTS,
                inherits_since=EARLY,
            ),
        ),
        id="a-moved-announcement-channel-inherits-from-the-previous",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, present_since=LATE),
        [follow(CHAT, since=MIDDLE)],
        [DmSubscriber(ALICE, since=EARLY), DmSubscriber(BOB)],
        (
            Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE,), LATE),
            Target(CHAT, TargetKind.CHANNEL, (), LATE),
            Target(ALICE, TargetKind.USER, (), LATE),
            Target(BOB, TargetKind.USER, (), LATE),
        ),
        id="rejoined-later-than-every-since-wins",
    ),
    pytest.param(
        "Season 2",
        replace(GUILD_SETTINGS, present_since=MIDDLE),
        [follow(CHAT, since=LATE)],
        [],
        (
            Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE,), MIDDLE),
            Target(CHAT, TargetKind.CHANNEL, (), LATE),
        ),
        id="a-since-later-than-the-rejoin-stays",
    ),
    pytest.param(
        "Season 2",
        NO_CHANNEL,
        [],
        [DmSubscriber(ALICE, since=MIDDLE), DmSubscriber(BOB)],
        (Target(ALICE, TargetKind.USER, (), MIDDLE), Target(BOB, TargetKind.USER, (), None)),
        id="dm-subscribers-are-user-targets",
    ),
    pytest.param(
        "Season 2",
        NO_CHANNEL,
        [
            follow(CHAT, show_id=OTHER_SHOW_ID, role_id=FANS),
            follow(SPOILERS, disabled_reason="missing permissions"),
        ],
        [],
        (),
        id="follows-of-another-show-or-disabled-cover-nothing",
    ),
]


@pytest.mark.parametrize(("label", "settings", "follows", "subscribers", "expected"), TARGETS)
def test_release_targets(
    label: str | None,
    settings: GuildSettings,
    follows: list[Follow],
    subscribers: list[DmSubscriber],
    expected: tuple[Target, ...],
) -> None:
    assert release_targets(release(label), settings, follows, subscribers) == expected


# label, whether an `episodes: false` follow covers it
EPISODES = [
    pytest.param("Episode 5", False, id="regular-episode"),
    pytest.param("Ep. 12", False, id="regular-episode-short"),
    pytest.param("#7", False, id="regular-episode-hash"),
    pytest.param("Episode 1", True, id="premiere"),
    pytest.param("Episode 12 (Finale)", True, id="finale"),
    pytest.param("Season 2", True, id="season"),
    pytest.param(None, True, id="unlabelled"),
]


@pytest.mark.parametrize(("label", "covered"), EPISODES)
def test_a_follow_without_episodes_skips_regular_episodes(label: str | None, covered: bool) -> None:
    settings = NO_CHANNEL
    follows = [
        follow(CHAT, role_id=FANS, episodes=False, follow_id=1),
        follow(SPOILERS, role_id=HARDCORE, episodes=True, follow_id=2),
    ]
    found = release_targets(release(label), settings, follows)
    assert [t.id for t in found] == ([CHAT, SPOILERS] if covered else [SPOILERS])


def test_an_episodes_follow_does_not_add_its_role_where_it_does_not_cover() -> None:
    # The announcement channel covers everything; a follow of it without episodes adds
    # its role only to what it covers.
    follows = [follow(ANNOUNCEMENTS, role_id=FANS, episodes=False, since=NOW)]
    [regular] = release_targets(release("Episode 5"), GUILD_SETTINGS, follows)
    [premiere] = release_targets(release("Episode 1"), GUILD_SETTINGS, follows)
    assert regular == Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE,), EARLY)
    assert premiere == Target(ANNOUNCEMENTS, TargetKind.CHANNEL, (ANNOUNCE_ROLE, FANS), EARLY)
