"""`/anilist follow`: from what a moderator typed to shows imported and followed.

What was typed is read (`lookup`), AniList is asked as few times as the budget allows
(one request for one show; for several, a page of 50 a request and their airings
together), and each show found is imported and followed by the catalog service in its own
transaction. Each show's outcome is said back, failures included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.anilist.client import AIRING_IDS_PER_LIST, MEDIA_IDS_PER_REQUEST, AniListClient
from bot.anilist.errors import AniListUnavailable
from bot.anilist.limiter import LimiterBusy, Priority
from bot.anilist.lookup import (
    AniListId,
    MalId,
    MangaLink,
    Reference,
    References,
    exact_match,
    parse_follow_query,
)
from bot.clock import Clock, utcnow
from bot.domain.catalog import Airing, CatalogMedia
from bot.domain.catalog_follows import FollowOutcome, FollowResult
from bot.services.catalog import CatalogFollow, CatalogService, FollowStatus


@dataclass(frozen=True, slots=True)
class FollowRequest:
    """Where the shows go: a channel (None: the announcement channel), a role to ping."""

    guild_id: int
    channel_id: int | None = None
    role_id: int | None = None
    episodes: bool = True


@dataclass(frozen=True, slots=True)
class Followed:
    """The outcome of each show asked for."""

    outcomes: tuple[FollowOutcome, ...]


@dataclass(frozen=True, slots=True)
class Matches:
    """Typed text no title equals: nothing followed, these are AniList's top matches."""

    query: str
    found: tuple[CatalogMedia, ...]


@dataclass(frozen=True, slots=True)
class NoChannel:
    """No channel given and no announcement channel set: nothing was followed."""


@dataclass(frozen=True, slots=True)
class Unavailable:
    """AniList did not answer in time: nothing was followed."""


FollowAnswer = Followed | Matches | NoChannel | Unavailable


class AniListFollower:
    def __init__(
        self,
        client: AniListClient,
        catalog: CatalogService,
        *,
        window: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._window = window
        self._clock = clock

    async def follow(self, request: FollowRequest, query: str) -> FollowAnswer:
        """Follow what `query` names (raise InvalidInput when it names nothing usable)."""
        parsed = parse_follow_query(query)
        try:
            if isinstance(parsed, References):
                found, outcomes = await self._resolve(parsed.items)
            else:
                results = await self._client.search(parsed.text)
                match = exact_match(results, parsed.text)
                if match is None:
                    return Matches(parsed.text, results)
                found, outcomes = await self._resolve((AniListId(match.anilist_id),), parsed.text)
        except (AniListUnavailable, LimiterBusy):
            return Unavailable()
        return await self._follow_found(request, found, outcomes)

    async def _resolve(
        self, items: Sequence[Reference], typed: str | None = None
    ) -> tuple[list[tuple[str, CatalogMedia, tuple[Airing, ...]]], list[FollowOutcome]]:
        """Ask AniList for the shows named; return those found with their airings, and the
        outcomes of the rest (not found, manga)."""
        outcomes: list[FollowOutcome] = []
        wanted: list[tuple[str, AniListId | MalId]] = []
        for item in items:
            label = typed or _typed(item)
            if isinstance(item, MangaLink):
                outcomes.append(FollowOutcome(FollowResult.MANGA, label))
            else:
                wanted.append((label, item))
        if len(wanted) == 1:
            # One show: its media and upcoming airings in a single request.
            label, item = wanted[0]
            details = await (
                self._client.show(item.anilist_id)
                if isinstance(item, AniListId)
                else self._client.show_by_mal_id(item.mal_id)
            )
            if details is None:
                return [], [*outcomes, FollowOutcome(FollowResult.NOT_FOUND, label)]
            return [(label, details.media, details.airings)], outcomes
        by_anilist: dict[int, CatalogMedia] = {}
        by_mal: dict[int, CatalogMedia] = {}
        anilist_ids = [i.anilist_id for _, i in wanted if isinstance(i, AniListId)]
        mal_ids = [i.mal_id for _, i in wanted if isinstance(i, MalId)]
        for chunk in _chunks(list(dict.fromkeys(anilist_ids)), MEDIA_IDS_PER_REQUEST):
            for media in await self._client.media(chunk, Priority.INTERACTIVE):
                by_anilist[media.anilist_id] = media
        for chunk in _chunks(list(dict.fromkeys(mal_ids)), MEDIA_IDS_PER_REQUEST):
            for media in await self._client.media_by_mal_ids(chunk, Priority.INTERACTIVE):
                if media.mal_id is not None:
                    by_mal[media.mal_id] = media
        found: list[tuple[str, CatalogMedia]] = []
        for label, item in wanted:
            media_found = (
                by_anilist.get(item.anilist_id)
                if isinstance(item, AniListId)
                else by_mal.get(item.mal_id)
            )
            if media_found is None:
                outcomes.append(FollowOutcome(FollowResult.NOT_FOUND, label))
            else:
                found.append((label, media_found))
        airings = await self._airings([m.anilist_id for _, m in found if not m.is_adult])
        return [
            (label, media, tuple(a for a in airings if a.anilist_id == media.anilist_id))
            for label, media in found
        ], outcomes

    async def _airings(self, anilist_ids: Sequence[int]) -> list[Airing]:
        now = self._clock()
        found: list[Airing] = []
        for chunk in _chunks(list(dict.fromkeys(anilist_ids)), AIRING_IDS_PER_LIST):
            found += await self._client.airings(
                chunk, now, now + self._window, Priority.INTERACTIVE
            )
        return found

    async def _follow_found(
        self,
        request: FollowRequest,
        found: Sequence[tuple[str, CatalogMedia, tuple[Airing, ...]]],
        outcomes: list[FollowOutcome],
    ) -> FollowAnswer:
        seen: set[int] = set()
        for label, media, airings in found:
            if media.anilist_id in seen:
                continue
            seen.add(media.anilist_id)
            if media.is_adult:
                outcomes.append(FollowOutcome(FollowResult.ADULT, label, media))
                continue
            followed = await self._catalog.follow(
                request.guild_id,
                media,
                airings,
                request.channel_id,
                request.role_id,
                request.episodes,
                self._clock(),
            )
            if followed.status is FollowStatus.NO_CHANNEL:
                return NoChannel()
            outcomes.append(_outcome(label, media, followed))
        return Followed(tuple(outcomes))


def _outcome(label: str, media: CatalogMedia, followed: CatalogFollow) -> FollowOutcome:
    result = (
        FollowResult.FOLLOWED
        if followed.status is FollowStatus.FOLLOWED
        else FollowResult.ALREADY_FOLLOWED
    )
    upcoming = followed.next_release
    return FollowOutcome(
        result,
        label,
        media,
        # As the guild sees it: the broadcast plus the guild's delay.
        next_time=None if upcoming is None else upcoming.time,
        next_episode=None if upcoming is None else upcoming.episode,
    )


def _typed(item: Reference) -> str:
    if isinstance(item, AniListId):
        return str(item.anilist_id)
    if isinstance(item, MalId):
        return f"MAL {item.mal_id}"
    return item.link


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
