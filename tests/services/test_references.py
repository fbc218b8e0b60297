"""The one resolver every command uses: what it looks up, and what never reaches int()."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotFound
from bot.services.references import resolve

TITLES = {"86": "the show 86", "Frieren": "Frieren"}
IDS = {86: "release #86", 3: "release #3"}


class Lookups:
    """A guild's titles and ids, recording every lookup the resolver makes."""

    def __init__(self) -> None:
        self.titles_asked: list[str] = []
        self.ids_asked: list[int] = []

    async def titled(self, text: str) -> list[str]:
        self.titles_asked.append(text)
        return [TITLES[text]] if text in TITLES else []

    async def by_id(self, number: int) -> str | None:
        self.ids_asked.append(number)
        return IDS.get(number)


@pytest.mark.parametrize(
    ("typed", "found", "ids_asked"),
    [
        ("86", "the show 86", []),  # a title: the id is not even looked up
        (" Frieren ", "Frieren", []),
        ("3", "release #3", [3]),
        ("003", "release #3", [3]),
    ],
)
async def test_a_title_first_then_an_id(typed: str, found: str, ids_asked: list[int]) -> None:
    lookups = Lookups()
    assert await resolve(typed, lookups.titled, lookups.by_id, noun="show", hint="") == found
    assert lookups.ids_asked == ids_asked


@pytest.mark.parametrize("typed", ["²", "٣", "٨٦", "\uff18\uff16", "9" * 25, "", "Naruto"])
async def test_what_is_no_title_and_no_ascii_number_is_not_found(typed: str) -> None:
    lookups = Lookups()
    with pytest.raises(NotFound):
        await resolve(typed, lookups.titled, lookups.by_id, noun="show", hint="")
    assert lookups.ids_asked == []
