"""Autocomplete of `/anilist follow`: AniList's shows as Discord lists them while one types."""

from __future__ import annotations

from collections.abc import Sequence

from discord import app_commands

from bot.domain.catalog import CatalogMedia, TitleLanguage
from bot.domain.text import truncate
from bot.ui.catalog_messages import show_title
from bot.ui.choices import CHOICE_NAME_LIMIT, MAX_CHOICES

#: AniList's `MediaSeason` values, shown title-cased; anything else is left out.
SEASONS = ("WINTER", "SPRING", "SUMMER", "FALL")


def media_facts(media: CatalogMedia) -> list[str]:
    """What tells one show from its namesakes: 'TV', 'Summer 2024', '12 eps' (known ones)."""
    facts = []
    if media.format is not None:
        facts.append(media.format.label)
    season = media.season.title() if media.season in SEASONS else None
    year = str(media.season_year) if media.season_year else None
    when = " ".join(part for part in (season, year) if part)
    if when:
        facts.append(when)
    if media.episodes:
        facts.append(f"{media.episodes} ep{'s' if media.episodes != 1 else ''}")
    return facts


def anilist_choice_name(media: CatalogMedia, language: TitleLanguage) -> str:
    """'Title · Format · Season Year · N eps', cut to Discord's 100 characters.

    The title gives way first: the facts after it are what tell namesakes apart.
    """
    suffix = "".join(f" · {fact}" for fact in media_facts(media))
    title = truncate(show_title(media, language), max(1, CHOICE_NAME_LIMIT - len(suffix)))
    return truncate(title + suffix, CHOICE_NAME_LIMIT)


def anilist_choices(
    found: Sequence[CatalogMedia], language: TitleLanguage
) -> list[app_commands.Choice[str]]:
    """Choices whose value is the AniList id, which `/anilist follow` also takes typed."""
    return [
        app_commands.Choice(name=anilist_choice_name(media, language), value=str(media.anilist_id))
        for media in found[:MAX_CHOICES]
    ]
