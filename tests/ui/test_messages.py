"""What members see in the channel: posted reminders, announcements and notices."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.models import DeliveryKind, Precision, Release, ReleaseTime
from bot.domain.notifications import Notification
from bot.ui.messages import (
    OutgoingMessage,
    bold_title,
    compose,
    help_embed,
    sample_announcement,
)
from tests.ui.samples import AT, AT_UNIX, DAY_TIME, NOW, ROLE, as_dict, body_text, release

MENTIONS = "@everyone @here <@&323456789012345678> <@423456789012345678> <@!523456789012345678>"
ABSOLUTE_TIMESTAMP = re.compile(r"<t:-?\d+:[FfDdTtS]>")


def announcement(r: Release, *, late: bool = False) -> Notification:
    due = r.time.at or AT
    return Notification(DeliveryKind.ANNOUNCEMENT, r, due_at=due, late=late)


def reminder(r: Release, offset: timedelta = timedelta(days=1)) -> Notification:
    due = (r.time.at or AT) - offset
    return Notification(DeliveryKind.REMINDER, r, due_at=due, offset=offset)


def notice(r: Release, old: ReleaseTime) -> Notification:
    return Notification(DeliveryKind.NOTICE, r, due_at=NOW, old_time=old)


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


def test_help_names_every_settings_subcommand_a_moderator_can_run() -> None:
    moderators = help_embed(None).fields[1].value or ""
    for sub in ("threads", "digest", "events", "calendar", "titles|delay", "view|test"):
        assert sub in moderators, sub
    assert len(moderators) <= 1024
