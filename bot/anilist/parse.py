"""AniList's JSON answers as `bot.domain.catalog` values.

Anything that is not the shape the queries ask for raises MalformedAnswer: a half-read
answer is never used (the client treats it as AniList failing).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.domain.catalog import (
    Airing,
    CatalogMedia,
    FuzzyDate,
    MediaFormat,
    MediaStatus,
    StreamingLink,
    Titles,
)

_BREAK = re.compile(r"<br\s*/?>[ \t]*\r?\n?", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


T = TypeVar("T")
E = TypeVar("E", MediaFormat, MediaStatus)


class MalformedAnswer(ValueError):
    """An answer that is not the shape Airdate asked AniList for."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list answer."""

    items: tuple[T, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class ShowDetails:
    """One show with its upcoming episodes, as `Media(id:)` answers it."""

    media: CatalogMedia
    airings: tuple[Airing, ...]
    #: More than the 25 upcoming episodes one answer holds.
    more_airings: bool = False


def synopsis(description: str | None) -> str | None:
    """AniList's description as plain text: line breaks kept, tags dropped, entities read."""
    if not description:
        return None
    text = _BREAK.sub("\n", description.replace("\r\n", "\n"))
    text = html.unescape(_TAG.sub("", text))
    text = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip()
    return text or None


def streaming_links(links: object) -> tuple[StreamingLink, ...]:
    """Legal streaming sites: STREAMING links not disabled, one per site, in AniList's order."""
    if links is None:
        return ()
    found: dict[str, StreamingLink] = {}
    for link in _list(links, "externalLinks"):
        entry = _object(link, "externalLinks[]")
        if entry.get("type") != "STREAMING" or entry.get("isDisabled") is True:
            continue
        site = _optional_str(entry, "site")
        url = _optional_str(entry, "url")
        if site and url and site.casefold() not in found:
            found[site.casefold()] = StreamingLink(site=site, url=url)
    return tuple(found.values())


def media(value: object) -> CatalogMedia:
    """Read one Media object (the fields of `queries.MEDIA_FIELDS`)."""
    entry = _object(value, "Media")
    anilist_id = _required_int(entry, "id")
    kind = entry.get("type")
    if kind is not None and kind != "ANIME":
        raise MalformedAnswer(f"media {anilist_id} is {kind!r}, not an anime")
    title = _optional_object(entry, "title")
    try:
        titles = Titles(
            romaji=_optional_str(title, "romaji"),
            english=_optional_str(title, "english"),
            native=_optional_str(title, "native"),
        )
    except ValueError:
        raise MalformedAnswer(f"media {anilist_id} has no title") from None
    cover = _optional_object(entry, "coverImage")
    start = _optional_object(entry, "startDate")
    is_adult = entry.get("isAdult")
    if not isinstance(is_adult, bool):
        # Unknown is not "safe for work": a show AniList does not vouch for is treated as adult.
        is_adult = True
    return CatalogMedia(
        anilist_id=anilist_id,
        titles=titles,
        site_url=_optional_str(entry, "siteUrl") or f"https://anilist.co/anime/{anilist_id}",
        is_adult=is_adult,
        mal_id=_optional_int(entry, "idMal"),
        synonyms=tuple(
            s for s in (_str_or_none(x, "synonyms[]") for x in _list(entry.get("synonyms"))) if s
        ),
        cover_url=_optional_str(cover, "extraLarge") or _optional_str(cover, "large"),
        synopsis=synopsis(_optional_str(entry, "description")),
        format=_enum(MediaFormat, entry.get("format")),
        status=_enum(MediaStatus, entry.get("status")),
        episodes=_optional_int(entry, "episodes"),
        duration_minutes=_optional_int(entry, "duration"),
        season=_optional_str(entry, "season"),
        season_year=_optional_int(entry, "seasonYear"),
        start_date=FuzzyDate(
            year=_optional_int(start, "year"),
            month=_optional_int(start, "month"),
            day=_optional_int(start, "day"),
        ),
        streaming=streaming_links(entry.get("externalLinks")),
    )


def airing(value: object, media_id: int | None = None) -> Airing | None:
    """Read one AiringSchedule row; `media_id` for rows nested under their show.

    An "episode 0" (a pre-air special some schedules hold) is well-formed but no episode
    Airdate announces: None, so one such row never fails the page of 500 shows it is on.
    """
    entry = _object(value, "AiringSchedule")
    anilist_id = media_id if media_id is not None else _required_int(entry, "mediaId")
    episode = _required_int(entry, "episode")
    airing_at = _required_int(entry, "airingAt")
    if episode < 1:
        return None
    return Airing(
        anilist_id=anilist_id,
        episode=episode,
        airing_at=airing_at,
        airing_id=_optional_int(entry, "id"),
    )


def media_page(data: object) -> Page[CatalogMedia]:
    """Read `data` of a `Page { pageInfo media }` answer."""
    page = _object(_data(data).get("Page"), "Page")
    items = tuple(media(entry) for entry in _required_list(page, "media"))
    return Page(items=items, has_next_page=_has_next_page(page))


def airings_page(data: object) -> Page[Airing]:
    """Read `data` of a `Page { pageInfo airingSchedules }` answer."""
    page = _object(_data(data).get("Page"), "Page")
    rows = _required_list(page, "airingSchedules")
    items = tuple(row for row in (airing(row) for row in rows) if row is not None)
    return Page(items=items, has_next_page=_has_next_page(page))


def show(data: object) -> ShowDetails:
    """Read `data` of a `Media { ... airingSchedule { pageInfo nodes } }` answer."""
    entry = _object(_data(data).get("Media"), "Media")
    details = media(entry)
    schedule = _object(entry.get("airingSchedule"), "Media.airingSchedule")
    nodes = _required_list(schedule, "nodes")
    return ShowDetails(
        media=details,
        airings=tuple(
            row for row in (airing(node, details.anilist_id) for node in nodes) if row is not None
        ),
        more_airings=_has_next_page(schedule),
    )


# ----------------------------------------------------------------------- small readers
def _data(answer: object) -> Mapping[str, Any]:
    return _object(_object(answer, "answer").get("data"), "data")


def _has_next_page(container: Mapping[str, Any]) -> bool:
    info = container.get("pageInfo")
    if info is None:
        return False
    value = _object(info, "pageInfo").get("hasNextPage")
    if not isinstance(value, bool):
        raise MalformedAnswer("pageInfo.hasNextPage is not true or false")
    return value


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedAnswer(f"{what} is not an object")
    return value


def _optional_object(entry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = entry.get(key)
    return {} if value is None else _object(value, key)


def _list(value: object, what: str = "list") -> Sequence[object]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedAnswer(f"{what} is not a list")
    return value


def _required_list(container: Mapping[str, Any], key: str) -> Sequence[object]:
    # A list Airdate asked for and did not get is a broken answer, not an empty one.
    if container.get(key) is None:
        raise MalformedAnswer(f"{key} is missing")
    return _list(container[key], key)


def _required_int(entry: Mapping[str, Any], key: str) -> int:
    value = _optional_int(entry, key)
    if value is None:
        raise MalformedAnswer(f"{key} is missing")
    return value


def _optional_int(entry: Mapping[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedAnswer(f"{key} is not a whole number")
    return value


def _optional_str(entry: Mapping[str, Any], key: str) -> str | None:
    return _str_or_none(entry.get(key), key)


def _str_or_none(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedAnswer(f"{what} is not text")
    return value.strip() or None


def _enum(kind: type[E], value: object) -> E | None:
    # A value AniList adds later is unknown, not an error: the show is still usable.
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None
