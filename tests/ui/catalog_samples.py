"""A catalog show as the ui tests see it, and Discord's limits computed on what it receives."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.catalog import (
    CatalogMedia,
    MediaFormat,
    MediaStatus,
    StreamingLink,
    TitleLanguage,
    Titles,
)
from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from tests.ui.samples import AT

MENTIONS = "@everyone @here <@&323456789012345678> <@423456789012345678> <@!523456789012345678>"
#: What would ping if it reached `content` raw (a mention cut short, `<@&3234…`, does not).
PING = re.compile(r"@everyone|@here|<@[!&]?[0-9]+>")

CRUNCHYROLL = StreamingLink("Crunchyroll", "https://www.crunchyroll.com/series/oshi-no-ko")
HIDIVE = StreamingLink("HIDIVE", "https://www.hidive.com/tv/oshi-no-ko")

OSHI = CatalogMedia(
    anilist_id=166531,
    titles=Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", "【推しの子】第2期"),
    site_url="https://anilist.co/anime/166531",
    is_adult=False,
    mal_id=55791,
    cover_url="https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx166531.jpg",
    synopsis="The second season of Oshi no Ko.\n\n(Source: Crunchyroll)",
    format=MediaFormat.TV,
    status=MediaStatus.RELEASING,
    episodes=13,
    season="SUMMER",
    season_year=2024,
    streaming=(CRUNCHYROLL, HIDIVE),
)


def media(**changes: Any) -> CatalogMedia:
    return replace(OSHI, **changes)


def catalog_release(
    label: str | None = "Episode 5",
    at: datetime = AT,
    precision: Precision = Precision.EXACT,
    release_id: int = 7,
    show_id: int = 70,
) -> Release:
    """A catalog release as storage keeps it: the show's title is romaji, whatever the guild."""
    show = Show(id=show_id, guild_id=None, title=OSHI.titles.pick(TitleLanguage.ROMAJI))
    time = ReleaseTime(at, precision, "Asia/Tokyo")
    return Release(release_id, show, label, time, ReleaseStatus.SCHEDULED, 1)


def embed_total(embed: dict[str, Any]) -> int:
    """The characters Discord counts against the 6,000 of a message's embeds."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for field in embed.get("fields", []):
        total += len(field["name"]) + len(field["value"])
    return total


def assert_embed_fits(embed: dict[str, Any]) -> None:
    """Every per-embed limit of Discord's, and web addresses only where URLs go."""
    assert 0 < len(embed.get("title", "")) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert len(embed.get("author", {}).get("name", "")) <= 256
    assert len(embed.get("footer", {}).get("text", "")) <= 2048
    assert len(embed.get("fields", [])) <= 25
    for field in embed.get("fields", []):
        assert 0 < len(field["name"]) <= 256
        assert 0 < len(field["value"]) <= 1024
    assert embed_total(embed) <= 6000
    for url in (embed.get("url"), embed.get("image", {}).get("url")):
        assert url is None or url.startswith(("https://", "http://"))


def assert_components_fit(components: list[dict[str, Any]]) -> None:
    """Five rows of at most five buttons; labels of 80, link URLs of 512, http(s) only."""
    assert len(components) <= 5
    for row in components:
        assert row["type"] == 1
        assert 1 <= len(row["components"]) <= 5
        for button in row["components"]:
            assert 0 < len(button["label"]) <= 80
            if "url" in button:
                assert len(button["url"]) <= 512
                assert button["url"].startswith(("https://", "http://"))
            else:
                assert len(button["custom_id"]) <= 100
