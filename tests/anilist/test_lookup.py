"""What `/anilist follow query` reads: ids and links, or a title to search."""

from __future__ import annotations

import pytest

from bot.anilist.lookup import (
    MAX_REFERENCES,
    AniListId,
    MalId,
    MangaLink,
    References,
    SearchText,
    exact_match,
    parse_follow_query,
)
from bot.domain.catalog import CatalogMedia, Titles
from bot.domain.errors import InvalidInput

# typed, what it means
CASES = [
    ("166531", References((AniListId(166531),))),
    (" 166531 ", References((AniListId(166531),))),
    ("https://anilist.co/anime/166531", References((AniListId(166531),))),
    ("https://anilist.co/anime/166531/", References((AniListId(166531),))),
    ("https://anilist.co/anime/166531/Oshi-no-Ko-2nd-Season", References((AniListId(166531),))),
    ("https://anilist.co/anime/166531/Oshi-no-Ko-2nd-Season/", References((AniListId(166531),))),
    ("anilist.co/anime/166531", References((AniListId(166531),))),
    ("http://www.AniList.co/anime/166531", References((AniListId(166531),))),
    ("<https://anilist.co/anime/166531>", References((AniListId(166531),))),
    ("https://anilist.co/anime/166531?ref=share#top", References((AniListId(166531),))),
    ("https://myanimelist.net/anime/55791", References((MalId(55791),))),
    ("https://myanimelist.net/anime/55791/Oshi_no_Ko_2nd_Season", References((MalId(55791),))),
    ("myanimelist.net/anime/55791/", References((MalId(55791),))),
    ("https://myanimelist.net/anime.php?id=55791", References((MalId(55791),))),
    ("https://www.myanimelist.net/anime.php?id=55791&x=1", References((MalId(55791),))),
    ("https://myanimelist.net/anime.php?q=a&id=55791", References((MalId(55791),))),
    (
        "https://anilist.co/manga/107941/Oshi-no-Ko",
        References((MangaLink("https://anilist.co/manga/107941/Oshi-no-Ko"),)),
    ),
    (
        "https://myanimelist.net/manga/126146",
        References((MangaLink("https://myanimelist.net/manga/126146"),)),
    ),
    (
        "1, 166531 https://myanimelist.net/anime/55791,anilist.co/anime/21",
        References((AniListId(1), AniListId(166531), MalId(55791), AniListId(21))),
    ),
    ("1 1 anilist.co/anime/1", References((AniListId(1),))),
    ("1\n2\t3", References((AniListId(1), AniListId(2), AniListId(3)))),
    # Anything else is a title to search, as typed (spaces tidied).
    ("Oshi no Ko", SearchText("Oshi no Ko")),
    ("  Oshi   no Ko ", SearchText("Oshi no Ko")),
    ("Bocchi the Rock 2", SearchText("Bocchi the Rock 2")),
    ("166531 Oshi no Ko", SearchText("166531 Oshi no Ko")),
    ("0", SearchText("0")),
    ("-5", SearchText("-5")),
    ("1.5", SearchText("1.5")),
    ("\uff11\uff12\uff13", SearchText("\uff11\uff12\uff13")),  # full-width digits: text
    ("12345678901", SearchText("12345678901")),
    ("https://anilist.co/anime/", SearchText("https://anilist.co/anime/")),
    ("https://anilist.co/anime/abc", SearchText("https://anilist.co/anime/abc")),
    ("https://anilist.co/character/1", SearchText("https://anilist.co/character/1")),
    ("https://kitsu.io/anime/1", SearchText("https://kitsu.io/anime/1")),
    (
        "https://evil.example/anilist.co/anime/1",
        SearchText("https://evil.example/anilist.co/anime/1"),
    ),
    (
        "https://anilist.co.evil.example/anime/1",
        SearchText("https://anilist.co.evil.example/anime/1"),
    ),
    ("myanimelist.net/anime.php?id=", SearchText("myanimelist.net/anime.php?id=")),
]


@pytest.mark.parametrize(("typed", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_follow_query(typed: str, expected: References | SearchText) -> None:
    assert parse_follow_query(typed) == expected


def test_up_to_200_references_at_once() -> None:
    typed = ", ".join(str(n) for n in range(1, MAX_REFERENCES + 1))
    parsed = parse_follow_query(typed)
    assert isinstance(parsed, References)
    assert len(parsed.items) == MAX_REFERENCES == 200


def test_more_than_200_are_refused_with_what_to_do() -> None:
    typed = " ".join(str(n) for n in range(1, MAX_REFERENCES + 2))
    with pytest.raises(InvalidInput, match="at most 200"):
        parse_follow_query(typed)


def test_repeats_do_not_count_twice_toward_the_limit() -> None:
    typed = " ".join(["1"] * 500 + [str(n) for n in range(2, 201)])
    parsed = parse_follow_query(typed)
    assert isinstance(parsed, References) and len(parsed.items) == 200


@pytest.mark.parametrize("typed", ["", "   ", "\n"])
def test_an_empty_query_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        parse_follow_query(typed)


def media(anilist_id: int, romaji: str, english: str | None = None, *synonyms: str) -> CatalogMedia:
    return CatalogMedia(
        anilist_id=anilist_id,
        titles=Titles(romaji=romaji, english=english),
        site_url=f"https://anilist.co/anime/{anilist_id}",
        is_adult=False,
        synonyms=synonyms,
    )


RESULTS = [
    media(166531, "[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", "My Star Season 2"),
    media(150672, "[Oshi no Ko]", "Oshi no Ko"),
]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("[Oshi no Ko] 2nd Season", 166531),
        ("oshi no ko season 2", 166531),
        ("  MY STAR   season 2 ", 166531),
        ("Oshi no Ko", None),  # the second result's title: not the best match, so ask
        ("Oshi no Ko Season", None),
        ("", None),
    ],
)
def test_a_search_is_followed_only_when_its_best_match_is_named_exactly(
    typed: str, found: int | None
) -> None:
    match = exact_match(RESULTS, typed)
    assert (None if match is None else match.anilist_id) == found


def test_no_results_no_match() -> None:
    assert exact_match([], "Oshi no Ko") is None
