"""Autocomplete of `/anilist follow query`: names, the cache, and asking AniList only when free."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from bot.anilist.autocomplete import AniListAutocomplete, Choice, choice_name
from bot.anilist.client import AniListClient
from bot.domain.catalog import CatalogMedia, MediaFormat, TitleLanguage, Titles
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin
from tests.anilist_standin.data import ANNOUNCED_MOVIE, OSHI_NO_KO


def show(
    anilist_id: int = 1,
    romaji: str | None = "Sousou no Frieren",
    *,
    english: str | None = "Frieren: Beyond Journey's End",
    format: MediaFormat | None = MediaFormat.TV,
    season: str | None = "FALL",
    year: int | None = 2023,
    episodes: int | None = 28,
    adult: bool = False,
) -> CatalogMedia:
    return CatalogMedia(
        anilist_id=anilist_id,
        titles=Titles(romaji=romaji, english=english),
        site_url=f"https://anilist.co/anime/{anilist_id}",
        is_adult=adult,
        format=format,
        season=season,
        season_year=year,
        episodes=episodes,
    )


@pytest.mark.parametrize(
    ("media", "language", "name"),
    [
        (show(), TitleLanguage.ROMAJI, "Sousou no Frieren · TV · Fall 2023 · 28 eps"),
        (show(), TitleLanguage.ENGLISH, "Frieren: Beyond Journey's End · TV · Fall 2023 · 28 eps"),
        (show(), TitleLanguage.NATIVE, "Sousou no Frieren · TV · Fall 2023 · 28 eps"),
        (
            show(format=MediaFormat.TV_SHORT),
            TitleLanguage.ROMAJI,
            "Sousou no Frieren · TV Short · Fall 2023 · 28 eps",
        ),
        (show(format=None), TitleLanguage.ROMAJI, "Sousou no Frieren · Fall 2023 · 28 eps"),
        (show(season=None), TitleLanguage.ROMAJI, "Sousou no Frieren · TV · 2023 · 28 eps"),
        (show(year=None), TitleLanguage.ROMAJI, "Sousou no Frieren · TV · Fall · 28 eps"),
        (
            show(season=None, year=None, episodes=None),
            TitleLanguage.ROMAJI,
            "Sousou no Frieren · TV",
        ),
        (
            show(format=MediaFormat.MOVIE, episodes=1),
            TitleLanguage.ROMAJI,
            "Sousou no Frieren · Movie · Fall 2023 · 1 ep",
        ),
        (
            show(format=None, season=None, year=None, episodes=None),
            TitleLanguage.ROMAJI,
            "Sousou no Frieren",
        ),
        (
            show(romaji=None),
            TitleLanguage.ROMAJI,
            "Frieren: Beyond Journey's End · TV · Fall 2023 · 28 eps",
        ),
    ],
)
def test_choice_names(media: CatalogMedia, language: TitleLanguage, name: str) -> None:
    assert choice_name(media, language) == name


def test_a_long_title_is_cut_and_keeps_its_details() -> None:
    name = choice_name(show(romaji="Re:Zero " * 30))
    assert len(name) == 100
    assert name.endswith("… · TV · Fall 2023 · 28 eps")


# ----------------------------------------------------------------- the cache and AniList
class Catalog:
    """The catalog's matches: a callable the autocomplete is handed."""

    def __init__(self, shows: Sequence[CatalogMedia] = ()) -> None:
        self.shows = list(shows)
        self.asked: list[str] = []

    async def __call__(self, text: str) -> Sequence[CatalogMedia]:
        self.asked.append(text)
        needle = text.casefold()
        return [m for m in self.shows if needle in (m.titles.romaji or "").casefold()]


def searches(standin: AniListStandin) -> int:
    return sum(1 for r in standin.requests if r.root == "Page.media")


def ids(choices: list[Choice]) -> list[str]:
    return [c.value for c in choices]


async def test_a_new_query_asks_anilist_once_then_the_cache_answers_for_ten_minutes(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    complete = AniListAutocomplete(client, Catalog(), clock=clock)
    first = await complete.choices("oshi no")
    assert ids(first) == [str(OSHI_NO_KO)]
    assert first[0].name == "[Oshi no Ko] 2nd Season · TV · Summer 2024 · 13 eps"
    assert searches(standin) == 1
    clock.advance(9 * 60)
    assert await complete.choices("Oshi  No") == first  # same query, tidied
    assert searches(standin) == 1
    clock.advance(61)
    assert await complete.choices("oshi no") == first
    assert searches(standin) == 2  # the cached answer was too old


async def test_short_queries_never_ask_anilist(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    catalog = Catalog([show(OSHI_NO_KO, "Oshi no Ko")])
    complete = AniListAutocomplete(client, catalog, clock=clock)
    assert ids(await complete.choices("os")) == [str(OSHI_NO_KO)]
    assert ids(await complete.choices("")) == [str(OSHI_NO_KO)]
    assert searches(standin) == 0
    # Control: three characters do.
    await complete.choices("osh")
    assert searches(standin) == 1


async def test_no_request_when_the_limiter_could_not_start_one_at_once(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    complete = AniListAutocomplete(client, Catalog(), clock=clock)
    await complete.choices("stand")  # asks: the movie
    assert searches(standin) == 1
    # Within the 2 s spacing, the next keystroke answers from the cache it can match.
    assert ids(await complete.choices("stand-in movie")) == [str(ANNOUNCED_MOVIE)]
    assert ids(await complete.choices("premiere")) == [str(ANNOUNCED_MOVIE)]
    assert searches(standin) == 1
    clock.advance(2)
    await complete.choices("cowboy")
    assert searches(standin) == 2  # control: free again, it asks


async def test_catalog_first_no_repeats_no_adult_at_most_25(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    mine = [show(OSHI_NO_KO, "Oshi no Ko (from the catalog)")]
    mine += [show(1000 + n, f"Oshi no Ko fan edit {n}") for n in range(30)]
    mine.insert(1, show(9, "Oshi no Ko adult", adult=True))
    complete = AniListAutocomplete(client, Catalog(mine), clock=clock)
    choices = await complete.choices("oshi no ko")
    assert len(choices) == 25
    assert choices[0].value == str(OSHI_NO_KO)
    assert choices[0].name.startswith("Oshi no Ko (from the catalog)")
    assert "9" not in ids(choices)
    assert len(set(ids(choices))) == 25


async def test_a_slow_anilist_does_not_hold_up_the_answer_and_fills_the_cache(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    catalog = Catalog([show(OSHI_NO_KO, "Oshi no Ko")])
    complete = AniListAutocomplete(client, catalog, clock=clock, answer_within_seconds=0.2)
    standin.fail("slow", delay=0.4)
    started = time.monotonic()
    choices = await complete.choices("cowboy")
    assert time.monotonic() - started < 0.35
    assert choices == []  # what the catalog knows (nothing), on time
    await asyncio.sleep(0.5)  # the search finishes in the background
    assert ids(await complete.choices("cowboy")) == ["1"]
    assert searches(standin) == 1


async def test_anilist_failing_still_answers_from_the_catalog(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    catalog = Catalog([show(OSHI_NO_KO, "Oshi no Ko")])
    complete = AniListAutocomplete(client, catalog, clock=clock)
    standin.fail("status", status=502, count=None)
    assert ids(await complete.choices("oshi")) == [str(OSHI_NO_KO)]
    assert complete.cache.get("oshi", clock.now) is None  # a failure is not cached
