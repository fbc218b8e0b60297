"""A release as the ui tests see it, and how to read what Discord would receive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
AT = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
AT_UNIX = 1720015200
ROLE = 123456789012345678
CHANNEL = 223456789012345678
DAY_TIME = ReleaseTime(datetime(2024, 7, 2, 15, tzinfo=UTC), Precision.DAY, "Asia/Tokyo")


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


def as_dict(embed: discord.Embed) -> dict[str, Any]:
    """The embed as Discord receives it."""
    data: dict[str, Any] = dict(embed.to_dict())
    return data


def body_text(embed: dict[str, Any]) -> str:
    """The parts of an embed where Discord renders timestamps: description and fields."""
    parts = [embed.get("description", "")]
    for field in embed.get("fields", []):
        parts += [field["name"], field["value"]]
    return "\n".join(parts)
