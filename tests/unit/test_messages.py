"""What members see: posted messages, command replies and autocomplete choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.domain.models import (
    DeliveryKind,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    Show,
)
from bot.domain.notifications import Notification
from bot.services.releases import ScheduleResult
from bot.ui import replies
from bot.ui.choices import CHOICE_NAME_LIMIT, release_choice_name, release_choices
from bot.ui.messages import OutgoingMessage, bold_title, compose, sample_announcement

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
AT = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
AT_UNIX = 1720015200
ROLE = 123456789012345678
CHANNEL = 223456789012345678

MENTIONS = "@everyone @here <@&323456789012345678> <@423456789012345678> <@!523456789012345678>"
ABSOLUTE_TIMESTAMP = re.compile(r"<t:-?\d+:[FfDdTtS]>")


def release(
    title: str = "Oshi no Ko",
    label: str | None = "Season 2",
    time: ReleaseTime | None = None,
    description: str | None = "The idol drama returns.",
    release_id: int = 1,
) -> Release:
    show = Show(
        id=release_id,
        guild_id=1,
        title=title,
        description=description,
        image_url="https://example.com/cover.png",
        link="https://example.com/oshi",
    )
    return Release(
        release_id,
        show,
        label,
        time or ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo"),
        ReleaseStatus.SCHEDULED,
        1,
    )


def announcement(r: Release, *, late: bool = False) -> Notification:
    due = r.time.at or AT
    return Notification(DeliveryKind.ANNOUNCEMENT, r, due_at=due, late=late)


def reminder(r: Release, offset: timedelta = timedelta(days=1)) -> Notification:
    due = (r.time.at or AT) - offset
    return Notification(DeliveryKind.REMINDER, r, due_at=due, offset=offset)


def notice(r: Release, old: ReleaseTime) -> Notification:
    return Notification(DeliveryKind.NOTICE, r, due_at=NOW, old_time=old)


def as_dict(embed: discord.Embed) -> dict[str, Any]:
    """The embed as Discord receives it."""
    data: dict[str, Any] = dict(embed.to_dict())
    return data


def mentions_of(message: OutgoingMessage) -> dict[str, Any]:
    """The allowed mentions as Discord receives them."""
    data: dict[str, Any] = dict(message.allowed_mentions.to_dict())
    return data


def embeds_of(message: OutgoingMessage) -> list[dict[str, Any]]:
    return [as_dict(embed) for embed in message.embeds]


def embed_text(embed: dict[str, Any]) -> str:
    """Every piece of text an embed shows."""
    parts = [
        embed.get("title", ""),
        embed.get("description", ""),
        embed.get("footer", {}).get("text", ""),
        embed.get("author", {}).get("name", ""),
    ]
    for field in embed.get("fields", []):
        parts += [field["name"], field["value"]]
    return "\n".join(parts)


def body_text(embed: dict[str, Any]) -> str:
    """The parts of an embed where Discord renders timestamps: description and fields."""
    parts = [embed.get("description", "")]
    for field in embed.get("fields", []):
        parts += [field["name"], field["value"]]
    return "\n".join(parts)


# --- fitting Discord's limits ---------------------------------------------------------

HUGE = release(title="T" * 256, label="L" * 100, description="D" * 4096, release_id=9)
HUGE_MARKDOWN = release(
    title=("_*@everyone~`|" * 30)[:256],
    label=("<@&323456789012345678>" * 5)[:100],
    description=("**@here** " * 500)[:4096],
)
OLD_TIME = ReleaseTime(AT - timedelta(days=2), Precision.EXACT, "Asia/Tokyo")


def mixed(r: Release, count: int) -> list[Notification]:
    kinds = [
        announcement(r, late=True),
        reminder(r),
        notice(r, OLD_TIME),
        announcement(r),
        reminder(r, timedelta(hours=1, minutes=30)),
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 10])
@pytest.mark.parametrize(
    "source", [HUGE, HUGE_MARKDOWN, release()], ids=["huge", "markup", "plain"]
)
@pytest.mark.parametrize("ping", [None, ROLE], ids=["no-ping", "ping"])
def test_composed_messages_fit_discord_limits(
    count: int, source: Release, ping: int | None
) -> None:
    message = compose(mixed(source, count), () if ping is None else (ping,))
    assert 0 < len(message.content) <= 2000
    assert 1 <= len(message.embeds) <= 10
    assert len(message.embeds) == count
    assert sum(len(embed) for embed in message.embeds) <= 6000
    for embed in embeds_of(message):
        assert 0 < len(embed.get("title", "")) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert len(embed.get("author", {}).get("name", "")) <= 256
        assert len(embed.get("footer", {}).get("text", "")) <= 2048
        assert len(embed.get("fields", [])) <= 25
        for field in embed.get("fields", []):
            assert 0 < len(field["name"]) <= 256
            assert 0 < len(field["value"]) <= 1024


def test_every_release_in_a_message_is_named() -> None:
    releases = [release(title=f"Show {i}", release_id=i) for i in range(10)]
    message = compose([reminder(r) for r in releases])
    for i, embed in enumerate(embeds_of(message)):
        assert embed["title"] == f"Show {i} — Season 2"
        assert f"Show {i}" in message.content


def test_a_message_carries_one_to_ten_notifications() -> None:
    with pytest.raises(ValueError):
        compose([])
    with pytest.raises(ValueError):
        compose([reminder(release())] * 11)


# --- mentions -------------------------------------------------------------------------


def test_without_a_ping_role_nobody_is_pinged() -> None:
    message = compose([announcement(release(title=MENTIONS))])
    assert mentions_of(message) == {"parse": []}


def test_a_ping_role_allows_exactly_that_role() -> None:
    message = compose([announcement(release()), reminder(release())], (ROLE,))
    allowed = mentions_of(message)
    assert allowed["parse"] == []
    assert [int(role) for role in allowed["roles"]] == [ROLE]
    assert not allowed.get("users")
    assert not allowed.get("replied_user")
    assert message.content.splitlines()[0] == f"<@&{ROLE}>"
    assert message.content.count("<@&") == 1


@pytest.mark.parametrize(
    "notification",
    [
        announcement(release(title=MENTIONS, label=MENTIONS[:100])),
        reminder(release(title=MENTIONS, label=MENTIONS[:100])),
        notice(release(title=MENTIONS, label=MENTIONS[:100]), OLD_TIME),
    ],
    ids=["announcement", "reminder", "notice"],
)
@pytest.mark.parametrize("ping", [None, ROLE], ids=["no-ping", "ping"])
def test_user_text_in_content_never_pings(notification: Notification, ping: int | None) -> None:
    content = compose([notification], () if ping is None else (ping,)).content
    lines = content.splitlines()
    if ping is not None:
        assert lines.pop(0) == f"<@&{ROLE}>"
    text = "\n".join(lines)
    assert "everyone" in text  # the title is there, made inert
    for raw in ("@everyone", "@here", "<@&", "<@4", "<@!"):
        assert raw not in text


# --- announcements, reminders and notices --------------------------------------------


def test_announcement_counts_down_in_content_and_shows_the_time_in_the_embed() -> None:
    message = compose([announcement(release())])
    [embed] = embeds_of(message)
    assert f"<t:{AT_UNIX}:R>" in message.content
    assert f"<t:{AT_UNIX}:F>" in body_text(embed)
    assert "<t:" not in embed["title"]
    assert "<t:" not in embed.get("footer", {}).get("text", "")
    assert "<t:" not in embed.get("author", {}).get("name", "")
    assert embed["title"] == "Oshi no Ko — Season 2"
    assert embed["description"] == "The idol drama returns."
    assert embed["image"]["url"] == "https://example.com/cover.png"
    assert embed["url"] == "https://example.com/oshi"


@pytest.mark.parametrize(("late", "says_late"), [(False, False), (True, True)])
def test_a_late_announcement_says_so(late: bool, says_late: bool) -> None:
    message = compose([announcement(release(), late=late)])
    [embed] = embeds_of(message)
    assert ("late" in message.content.lower()) is says_late
    assert ("late" in embed_text(embed).lower()) is says_late


def test_reminder_says_how_far_ahead() -> None:
    message = compose([reminder(release(), timedelta(days=1))])
    [embed] = embeds_of(message)
    assert "Oshi no Ko — Season 2" in message.content
    assert f"<t:{AT_UNIX}:R>" in message.content
    assert f"<t:{AT_UNIX}:F>" in body_text(embed)
    assert "1 day" in embed_text(embed)


DAY_TIME = ReleaseTime(datetime(2024, 7, 2, 15, tzinfo=UTC), Precision.DAY, "Asia/Tokyo")


@pytest.mark.parametrize(
    "build",
    [
        lambda r: announcement(r),
        lambda r: reminder(r),
        lambda r: notice(
            r, ReleaseTime(datetime(2024, 6, 30, 15, tzinfo=UTC), Precision.DAY, "Asia/Tokyo")
        ),
    ],
    ids=["announcement", "reminder", "notice"],
)
def test_a_day_release_shows_its_date_as_text(build: Callable[[Release], Notification]) -> None:
    # A timestamp would show readers west of Tokyo 2 July; the release's own day is 3 July.
    message = compose([build(release(time=DAY_TIME))])
    [embed] = embeds_of(message)
    assert "3 July 2024" in body_text(embed)
    assert not ABSOLUTE_TIMESTAMP.search(message.content)
    assert not ABSOLUTE_TIMESTAMP.search(embed_text(embed))
    assert "2 July" not in message.content + embed_text(embed)


@pytest.mark.parametrize(
    ("old", "new", "old_shown", "new_shown"),
    [
        (
            OLD_TIME,
            ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo"),
            f"<t:{AT_UNIX - 2 * 86400}:F>",
            f"<t:{AT_UNIX}:F>",
        ),
        (
            ReleaseTime(datetime(2024, 6, 30, 15, tzinfo=UTC), Precision.DAY, "Asia/Tokyo"),
            DAY_TIME,
            "1 July 2024",
            "3 July 2024",
        ),
        (
            ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo"),
            ReleaseTime(None, Precision.TBA, "UTC"),
            f"<t:{AT_UNIX}:F>",
            "TBA",
        ),
    ],
    ids=["exact", "day", "to-tba"],
)
def test_a_notice_shows_old_and_new(
    old: ReleaseTime, new: ReleaseTime, old_shown: str, new_shown: str
) -> None:
    message = compose([notice(release(time=new), old)])
    [embed] = embeds_of(message)
    assert old_shown in message.content and new_shown in message.content
    assert message.content.index(old_shown) < message.content.index(new_shown)
    assert old_shown in body_text(embed) and new_shown in body_text(embed)


def test_the_sample_announcement_is_an_hour_ahead() -> None:
    message = compose([sample_announcement(NOW)])
    assert f"<t:{int((NOW + timedelta(hours=1)).timestamp())}:R>" in message.content
    assert mentions_of(message) == {"parse": []}


# --- command replies ------------------------------------------------------------------


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


# --- autocomplete ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "label", "time", "suffix"),
    [
        (
            "Oshi no Ko",
            "Season 2",
            ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo"),
            " (2024-07-03 23:00 Asia/Tokyo)",
        ),
        (
            "T" * 256,
            "L" * 100,
            ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo"),
            " (2024-07-03 23:00 Asia/Tokyo)",
        ),
        (
            "T" * 256,
            None,
            ReleaseTime(AT, Precision.EXACT, "America/Argentina/ComodRivadavia"),
            " (2024-07-03 11:00 America/Argentina/ComodRivadavia)",
        ),
        ("T" * 256, "L" * 100, DAY_TIME, " (2024-07-03)"),
        ("T" * 256, "L" * 100, ReleaseTime(None, Precision.TBA, "UTC"), " (TBA)"),
    ],
    ids=["short", "long", "long-zone", "day", "tba"],
)
def test_release_choice_name_fits_and_keeps_the_date(
    title: str, label: str | None, time: ReleaseTime, suffix: str
) -> None:
    name = release_choice_name(release(title=title, label=label, time=time))
    assert 1 <= len(name) <= CHOICE_NAME_LIMIT == 100
    assert name.endswith(suffix)
    assert name.startswith(title[:10])


def test_short_choice_names_are_not_cut() -> None:
    name = release_choice_name(release())
    assert name == "Oshi no Ko — Season 2 (2024-07-03 23:00 Asia/Tokyo)"


def test_release_choices_are_at_most_25_with_ids_as_values() -> None:
    choices = release_choices([release(release_id=i) for i in range(40)])
    assert len(choices) == 25
    assert [c.value for c in choices] == [str(i) for i in range(25)]
    assert all(isinstance(c, discord.app_commands.Choice) for c in choices)


def test_clearing_the_channel_of_a_guild_with_follows_does_not_say_nothing_is_posted() -> None:
    reply = replies.settings_changed("channel", GuildSettings(1), follows=2)
    assert "cleared" in reply and "/follows" in reply and "post nothing" not in reply


@pytest.mark.parametrize(
    ("title", "limit", "expected"),
    [
        ("Oshi no Ko", 200, "**Oshi no Ko**"),
        ("*Ultra* _Maniac_", 200, "**\\*Ultra\\* \\_Maniac\\_**"),
        # Cut first, then escaped: the ellipsis follows whole escapes, never a lone "\".
        ("*" * 10, 5, "**" + "\\*" * 4 + "…**"),
        ("ab*cd", 3, "**ab…**"),
        ("ab*cd", 4, "**ab\\*…**"),
    ],
)
def test_bold_title_cuts_before_it_escapes(title: str, limit: int, expected: str) -> None:
    assert bold_title(title, limit) == expected


def test_bold_title_never_pings_and_never_unbolds() -> None:
    shown = bold_title(MENTIONS + " *" * 300)
    assert "@everyone" not in shown and "@here" not in shown
    inner = shown[2:-2]
    assert not inner.endswith("\\")  # a trailing backslash would escape the closing **
    assert "**" not in inner.replace("\\*", "")
