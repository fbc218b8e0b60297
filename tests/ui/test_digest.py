"""The weekly digest's message: within Discord's limits however long the week, never a ping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.digest import digest_days
from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.ui.digest import EMPTY, digest_message

START = datetime(2027, 1, 4, 9, tzinfo=UTC)


def week(count: int, title: str) -> list[Release]:
    return [
        Release(
            n,
            Show(n, 1, f"{title} {n}"),
            "Episode 1" if n % 7 == 0 else "Episode 3",
            ReleaseTime(START + timedelta(minutes=5 * n + 1), Precision.EXACT, "UTC"),
            ReleaseStatus.SCHEDULED,
            1,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [1, 30, 60, 300, 2000])
@pytest.mark.parametrize(
    "title",
    [
        "Frieren",
        "x" * 256,
        # Escaped markdown and mentions make a title longer than it was typed.
        "*_~`|>\\" * 36 + "@everyone",
        "進撃の巨人 The Final Season 完結編" * 8,
    ],
)
def test_every_digest_fits_discords_limits(count: int, title: str) -> None:
    days = digest_days(week(count, title), START, "UTC")
    message = digest_message(days, START, "UTC")
    embeds = [embed.to_dict() for embed in message.embeds]
    assert 1 <= len(embeds) <= 10
    for embed in embeds:
        assert len(embed.get("title", "")) <= 256
        assert 0 < len(embed["description"]) <= 4096
    assert sum(len(e) for e in message.embeds) <= 6000
    assert len(message.content) <= 2000
    assert message.allowed_mentions.to_dict()["parse"] == []
    lines = "\n".join(e["description"] for e in embeds).splitlines()
    shown = sum(1 for line in lines if line.startswith("<t:"))
    if shown < count:
        assert lines[-1] == f"…and {count - shown} more"
    else:
        assert not lines[-1].startswith("…and")
    assert shown >= min(count, 15)


def test_a_week_with_nothing_says_so() -> None:
    message = digest_message([], START, "Europe/London")
    [embed] = message.embeds
    assert embed.description == EMPTY == "Nothing scheduled this week."
    assert embed.title == "Releases this week (Europe/London)"


def test_the_content_names_only_the_week() -> None:
    busy = digest_message(digest_days(week(5, "A"), START, "UTC"), START, "UTC")
    quiet = digest_message([], START, "UTC")
    # An attempt after the releases changed is still recognised as the same digest.
    assert busy.content == quiet.content
    assert f"<t:{int(START.timestamp())}:F>" in busy.content
