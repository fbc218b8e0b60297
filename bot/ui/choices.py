"""Autocomplete answers: what Discord shows while a user types an option."""

from __future__ import annotations

from discord import app_commands

from bot.domain import dates, references, when
from bot.domain.models import Release
from bot.domain.text import truncate

CHOICE_NAME_LIMIT = 100
MAX_CHOICES = 25


def release_choice_name(release: Release) -> str:
    """'Show — Label (date)', cut to fit Discord's 100 characters with the date kept."""
    suffix = f" ({dates.short_when(release.time)})"
    return truncate(release.display_title, CHOICE_NAME_LIMIT - len(suffix)) + suffix


def release_choices(releases: list[Release]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=release_choice_name(r), value=references.picked_value(r.id))
        for r in releases[:MAX_CHOICES]
    ]


def zone_choices(typed: str) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=zone, value=zone)
        for zone in when.search_zones(typed[:50], limit=MAX_CHOICES)
    ]
