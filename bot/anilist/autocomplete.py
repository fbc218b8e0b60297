"""Autocomplete of `/anilist follow query`: the catalog, recent searches, AniList when free.

Discord asks on every keystroke and wants an answer within 3 s; AniList allows 30
requests a minute for everything. So recent searches are kept 10 minutes, AniList is
asked only for a new query of 3 or more characters when the limiter could start the
request at once, and an answer is always given within `answer_within_seconds` from what
the catalog and the cache know (a search still running then fills the cache for the
next keystroke).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.anilist.client import AniListClient
from bot.anilist.errors import AniListError
from bot.clock import Clock, utcnow
from bot.domain.catalog import CatalogMedia, TitleLanguage

log = logging.getLogger(__name__)

CACHE_TIME = timedelta(minutes=10)
MIN_SEARCH_LENGTH = 3
MAX_CHOICES = 25
#: Discord's limit on a choice's name and value.
CHOICE_LIMIT = 100
ANSWER_WITHIN_SECONDS = 2.0

#: The catalog's own matches for the typed text (shows already imported).
CatalogSearch = Callable[[str], Awaitable[Sequence[CatalogMedia]]]


@dataclass(frozen=True, slots=True)
class Choice:
    """One autocomplete choice: the name shown, and the AniList id as the value."""

    name: str
    value: str


def choice_name(media: CatalogMedia, language: TitleLanguage = TitleLanguage.ROMAJI) -> str:
    """ "Title · Format · Season Year · N eps", missing parts left out, at most 100 characters."""
    details = []
    if media.format is not None:
        details.append(media.format.label)
    when = " ".join(
        part
        for part in (
            media.season.title() if media.season else None,
            str(media.season_year) if media.season_year else None,
        )
        if part
    )
    if when:
        details.append(when)
    if media.episodes:
        details.append(f"{media.episodes} ep" + ("" if media.episodes == 1 else "s"))
    suffix = "".join(f" · {detail}" for detail in details)
    title = " ".join(media.titles.pick(language).split())
    room = CHOICE_LIMIT - len(suffix)
    if len(title) > room:
        title = title[: max(room - 1, 1)].rstrip() + "…"
    return (title + suffix)[:CHOICE_LIMIT]


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


class SearchCache:
    """AniList's answers to recent searches, each kept `ttl`, the oldest dropped first."""

    def __init__(self, ttl: timedelta = CACHE_TIME, max_entries: int = 500) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[datetime, tuple[CatalogMedia, ...]]] = OrderedDict()

    def get(self, query: str, now: datetime) -> tuple[CatalogMedia, ...] | None:
        key = normalise(query)
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, results = entry
        if now - stored_at >= self._ttl:
            del self._entries[key]
            return None
        return results

    def put(self, query: str, results: Sequence[CatalogMedia], now: datetime) -> None:
        key = normalise(query)
        self._entries[key] = (now, tuple(results))
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def matching(self, query: str, now: datetime) -> list[CatalogMedia]:
        """Fresh cached shows one of whose titles or synonyms contains `query`."""
        needle = normalise(query)
        found: dict[int, CatalogMedia] = {}
        for stored_at, results in reversed(self._entries.values()):
            if now - stored_at >= self._ttl:
                continue
            for media in results:
                if media.anilist_id not in found and any(
                    needle in normalise(title) for title in _titles(media)
                ):
                    found[media.anilist_id] = media
        return list(found.values())


class AniListAutocomplete:
    """Answers `/anilist follow query` autocomplete within a bounded time."""

    def __init__(
        self,
        client: AniListClient,
        catalog: CatalogSearch,
        *,
        clock: Clock = utcnow,
        cache: SearchCache | None = None,
        answer_within_seconds: float = ANSWER_WITHIN_SECONDS,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._clock = clock
        self._cache = cache or SearchCache()
        self._answer_within = answer_within_seconds
        self._searching: dict[str, asyncio.Task[tuple[CatalogMedia, ...]]] = {}

    @property
    def cache(self) -> SearchCache:
        return self._cache

    async def choices(
        self, text: str, language: TitleLanguage = TitleLanguage.ROMAJI
    ) -> list[Choice]:
        """Up to 25 choices for `text`: the catalog's, then AniList's, then the cache's."""
        query = " ".join(text.split())
        known: Sequence[CatalogMedia] = ()
        searched: Sequence[CatalogMedia] = ()
        try:
            async with asyncio.timeout(self._answer_within):
                known = await self._catalog(query)
                searched = await self._searched(query)
        except TimeoutError:
            log.debug("autocomplete of %r answered with what it had", query)
        except AniListError:
            pass
        remembered = self._cache.matching(query, self._clock()) if query else []
        return _choices((*known, *searched, *remembered), language)

    async def _searched(self, query: str) -> Sequence[CatalogMedia]:
        cached = self._cache.get(query, self._clock())
        if cached is not None:
            return cached
        if len(query) < MIN_SEARCH_LENGTH:
            return ()
        key = normalise(query)
        task = self._searching.get(key)
        if task is None:
            if not self._client.limiter.can_start_now():
                return ()
            task = asyncio.create_task(self._search(query), name=f"anilist-search-{key[:20]}")
            self._searching[key] = task
            task.add_done_callback(lambda _: self._searching.pop(key, None))
        # Shielded: a search cut short by the answer's deadline still fills the cache.
        return await asyncio.shield(task)

    async def _search(self, query: str) -> tuple[CatalogMedia, ...]:
        try:
            results = await self._client.search(query)
        except AniListError:
            return ()
        self._cache.put(query, results, self._clock())
        return results


def _titles(media: CatalogMedia) -> Iterable[str]:
    titles = media.titles
    return [t for t in (titles.romaji, titles.english, titles.native, *media.synonyms) if t]


def _choices(candidates: Iterable[CatalogMedia], language: TitleLanguage) -> list[Choice]:
    seen: set[int] = set()
    found: list[Choice] = []
    for media in candidates:
        if media.is_adult or media.anilist_id in seen:
            continue
        seen.add(media.anilist_id)
        found.append(Choice(name=choice_name(media, language), value=str(media.anilist_id)))
        if len(found) == MAX_CHOICES:
            break
    return found
