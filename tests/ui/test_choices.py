"""Autocomplete choices: a release's name fits Discord's limit and keeps its date."""

from __future__ import annotations

import discord
import pytest

from bot.domain.models import Precision, ReleaseTime
from bot.ui.choices import CHOICE_NAME_LIMIT, release_choice_name, release_choices
from tests.ui.samples import AT, DAY_TIME, release


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
    assert [c.value for c in choices] == [f"id:{i}" for i in range(25)]
    assert all(isinstance(c, discord.app_commands.Choice) for c in choices)
