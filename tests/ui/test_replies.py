"""What a command answers: what was stored and what Airdate will post."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.models import GuildSettings, Precision, Release, ReleaseTime
from bot.services.releases import ScheduleResult
from bot.ui import replies
from tests.ui.samples import AT_UNIX, CHANNEL, ROLE, as_dict, body_text, release

FOLLOWING = 323456789012345678


def result(
    r: Release,
    *,
    channel: int | None = CHANNEL,
    reminders: int = 0,
    announcement_planned: bool = False,
    moved: bool = False,
    notices: int = 0,
    channels: tuple[int, ...] | None = None,
    dms: int = 0,
    heard: bool | None = None,
) -> ScheduleResult:
    """What the service says it planned; by default everything goes to `channel`."""
    planned = bool(reminders or announcement_planned)
    if channels is None:
        channels = (channel,) if channel is not None and planned else ()
    return ScheduleResult(
        r,
        GuildSettings(1, channel),
        reminders,
        announcement_planned,
        moved,
        channel_ids=channels,
        dm_count=dms,
        notices_planned=notices,
        heard=channel is not None or bool(channels) if heard is None else heard,
    )


@pytest.mark.parametrize(
    ("outcome", "says", "never_says"),
    [
        (
            result(release(), reminders=2, announcement_planned=True),
            ["2 reminders and the announcement", f"<#{CHANNEL}>", f"<t:{AT_UNIX}:F>"],
            ["/settings channel", "notice"],
        ),
        (
            result(release(), reminders=1),
            ["post 1 reminder in", f"<#{CHANNEL}>"],
            ["announcement", "reminders"],
        ),
        (
            result(release(), announcement_planned=True),
            ["post the announcement in", f"<#{CHANNEL}>"],
            ["reminder"],
        ),
        (
            result(release(), channel=None),
            ["/settings channel"],
            ["Airdate will post"],
        ),
        (
            result(
                release(time=ReleaseTime(datetime(2024, 7, 1, tzinfo=UTC), Precision.MONTH, "UTC"))
            ),
            ["July 2024", "/release edit"],
            ["Airdate will post", "<t:"],
        ),
        (
            result(release(), moved=True, notices=1),
            ["Its time has come", "notice of the new date"],
            ["Airdate will post"],
        ),
        (
            # Moved, but nobody was told anything yet: no notice to promise.
            result(release(), moved=True, reminders=1),
            ["post 1 reminder in"],
            ["notice"],
        ),
        (
            # No announcement channel, but a channel follows the show.
            result(release(), channel=None, reminders=1, channels=(FOLLOWING,)),
            ["post 1 reminder in", f"<#{FOLLOWING}>"],
            ["Nothing will be posted", "/settings channel"],
        ),
        (
            result(release(), announcement_planned=True, channels=(CHANNEL, FOLLOWING), dms=3),
            [f"in <#{CHANNEL}> and <#{FOLLOWING}> and by DM to 3 members"],
            ["/settings channel"],
        ),
        (
            result(release(), announcement_planned=True, channels=(1, 2, 3, 4, 5)),
            ["in <#1>, <#2>, <#3> and 2 more channels"],
            ["<#4>"],
        ),
        (
            result(release(), channel=None, announcement_planned=True, channels=(), dms=1),
            ["post the announcement by DM to 1 member."],
            ["/settings channel", " in "],
        ),
    ],
    ids=[
        "planned",
        "one-reminder",
        "announcement-only",
        "no-channel",
        "month",
        "moved-past",
        "moved-untold",
        "follows-no-channel",
        "channels-and-dms",
        "many-channels",
        "dms-only",
    ],
)
def test_scheduled_reply(outcome: ScheduleResult, says: list[str], never_says: list[str]) -> None:
    reply = replies.scheduled(outcome, "Added")
    assert reply.startswith("Added **Oshi no Ko — Season 2**")
    for text in says:
        assert text in reply
    for text in never_says:
        assert text not in reply


def test_replies_fit_and_escape_markdown() -> None:
    long = release(title="*" * 256, label="_" * 100)
    reply = replies.scheduled(result(long, reminders=3, announcement_planned=True), "Changed")
    assert len(reply) <= 2000
    assert "***" not in reply  # the title's stars are escaped, not bold markers
    assert len(replies.removed(long)) <= 2000


def test_removed_reply_says_nothing_more_is_posted() -> None:
    reply = replies.removed(release())
    assert "Oshi no Ko — Season 2" in reply
    assert "Nothing more will be posted" in reply


@pytest.mark.parametrize(
    ("what", "changed", "says"),
    [
        ("channel", GuildSettings(1, channel_id=CHANNEL), f"<#{CHANNEL}>"),
        ("channel", GuildSettings(1), "cleared"),
        ("role", GuildSettings(1, role_id=ROLE), f"<@&{ROLE}>"),
        ("role", GuildSettings(1), "ping nobody"),
        ("reminders", GuildSettings(1, offsets=()), "turned off"),
        ("reminders", GuildSettings(1), "7d, 1d, 1h"),
        ("timezone", GuildSettings(1, timezone="Asia/Tokyo"), "Asia/Tokyo"),
    ],
)
def test_settings_changed_reply(what: str, changed: GuildSettings, says: str) -> None:
    assert says in replies.settings_changed(what, changed)


def test_release_card_is_the_release_embed() -> None:
    card = as_dict(replies.release_card(release()))
    assert card["title"] == "Oshi no Ko — Season 2"
    assert f"<t:{AT_UNIX}:F>" in body_text(card)


def test_clearing_the_channel_of_a_guild_with_follows_does_not_say_nothing_is_posted() -> None:
    reply = replies.settings_changed("channel", GuildSettings(1), follows=2)
    assert "cleared" in reply and "/follows" in reply and "post nothing" not in reply
