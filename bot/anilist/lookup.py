"""What a moderator typed in `/anilist follow query`: ids and links, or a title to search.

Accepted references: an AniList id (`166531`), `anilist.co/anime/<id>[/slug]`,
`myanimelist.net/anime/<id>[/slug]`, `myanimelist.net/anime.php?id=<id>`, with or without
`https://` and `www.`, or up to 200 of these separated by spaces or commas. Manga links
are recognised so the reply can say Airdate follows anime. Anything else is a search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.catalog import CatalogMedia
from bot.domain.errors import InvalidInput

MAX_REFERENCES = 200

_HOST_PREFIX = r"(?:https?://)?(?:www\.)?"
_ID = r"(?P<id>[0-9]{1,9})"
_REST = r"(?:/[^\s?#]*)?(?:[?#]\S*)?"
_ANILIST = re.compile(_HOST_PREFIX + r"anilist\.co/(?P<kind>anime|manga)/" + _ID + _REST, re.I)
_MAL = re.compile(_HOST_PREFIX + r"myanimelist\.net/(?P<kind>anime|manga)/" + _ID + _REST, re.I)
_MAL_PHP = re.compile(
    _HOST_PREFIX
    + r"myanimelist\.net/(?P<kind>anime|manga)\.php\?(?:[^\s#]*&)?id="
    + _ID
    + r"(?:[&#]\S*)?",
    re.I,
)
_BARE_ID = re.compile(_ID)
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class AniListId:
    """An anime named by its AniList id (typed, or from an anilist.co link)."""

    anilist_id: int


@dataclass(frozen=True, slots=True)
class MalId:
    """An anime named by its MyAnimeList id: resolved with `type: ANIME`."""

    mal_id: int


@dataclass(frozen=True, slots=True)
class MangaLink:
    """A link to a manga page: refused, since Airdate follows anime."""

    link: str


Reference = AniListId | MalId | MangaLink


@dataclass(frozen=True, slots=True)
class References:
    """One or more shows named by id or link, in the order typed, each once."""

    items: tuple[Reference, ...]


@dataclass(frozen=True, slots=True)
class SearchText:
    """Typed text that names no show directly: searched on AniList."""

    text: str


FollowQuery = References | SearchText


def parse_follow_query(text: str) -> FollowQuery:
    """Read `/anilist follow`'s `query`: references when every word is one, else a search."""
    stripped = " ".join(text.split())
    if not stripped:
        raise InvalidInput(
            "The query is empty. Type a title, an AniList id, or an anilist.co or "
            "myanimelist.net link."
        )
    words = [word for word in _SEPARATORS.split(stripped) if word]
    references: list[Reference] = []
    for word in words:
        reference = parse_reference(word)
        if reference is None:
            return SearchText(stripped)
        if reference not in references:
            references.append(reference)
    if len(references) > MAX_REFERENCES:
        raise InvalidInput(
            f"That is {len(references)} shows; at most {MAX_REFERENCES} can be followed at "
            "once. Split them over several commands."
        )
    return References(tuple(references))


def parse_reference(word: str) -> Reference | None:
    """Read one id or link, or None if `word` is neither."""
    # Discord users wrap links in <...> to keep them from unfurling.
    token = word.removeprefix("<").removesuffix(">")
    if _BARE_ID.fullmatch(token):
        number = int(token)
        return AniListId(number) if number > 0 else None
    for pattern in (_ANILIST, _MAL, _MAL_PHP):
        match = pattern.fullmatch(token)
        if match is None:
            continue
        number = int(match["id"])
        if number <= 0:
            return None
        if match["kind"].lower() == "manga":
            return MangaLink(token)
        return AniListId(number) if pattern is _ANILIST else MalId(number)
    return None


def exact_match(results: Sequence[CatalogMedia], text: str) -> CatalogMedia | None:
    """The best search result if one of its titles or synonyms is `text` (ignoring case).

    A typed title is followed without asking only when it names the show exactly;
    otherwise the moderator picks from the top matches.
    """
    if not results:
        return None
    wanted = " ".join(text.split()).casefold()
    best = results[0]
    titles = (best.titles.romaji, best.titles.english, best.titles.native, *best.synonyms)
    if any(title and " ".join(title.split()).casefold() == wanted for title in titles):
        return best
    return None
