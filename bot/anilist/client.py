"""Airdate's AniList client: the four hand-written queries of reference §11, as values.

Failures are AniListUnavailable (see `transport.py`: retried, logged once per outage,
never half-used). "Not found" is not a failure: `show` answers None, and the batched
queries leave unknown ids out.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.anilist import parse, queries
from bot.anilist.errors import AniListNotFound, AniListUnavailable
from bot.anilist.limiter import AniListLimiter, Priority, Sleep
from bot.anilist.parse import ShowDetails
from bot.anilist.transport import (
    INTERACTIVE_DEADLINE_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    AniListTransport,
)
from bot.clock import Clock, utcnow
from bot.config import ANILIST_API_URL
from bot.domain.catalog import Airing, CatalogMedia

#: Ids AniList is asked about in one `Page.media(id_in:)`: exactly one page.
MEDIA_IDS_PER_REQUEST = queries.PER_PAGE
#: Ids in one `Page.airingSchedules(mediaId_in:)` list (design.md; AniList's own limit
#: on list length is undocumented).
AIRING_IDS_PER_LIST = 500


class AniListClient:
    """Ask AniList the questions Airdate has, within the limiter's budget."""

    def __init__(
        self,
        limiter: AniListLimiter,
        *,
        url: str = ANILIST_API_URL,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        request_timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
        interactive_deadline_seconds: float = INTERACTIVE_DEADLINE_SECONDS,
        sync_attempts: int = 5,
        first_backoff_seconds: float = 2.0,
    ) -> None:
        self.transport = AniListTransport(
            limiter,
            url=url,
            clock=clock,
            sleep=sleep,
            request_timeout_seconds=request_timeout_seconds,
            interactive_deadline_seconds=interactive_deadline_seconds,
            sync_attempts=sync_attempts,
            first_backoff_seconds=first_backoff_seconds,
        )
        self._ask = self.transport.ask

    @property
    def limiter(self) -> AniListLimiter:
        return self.transport.limiter

    @property
    def in_outage(self) -> bool:
        """Whether AniList's last answer was a failure."""
        return self.transport.in_outage

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.transport.requests_sent

    async def close(self) -> None:
        await self.transport.close()

    # ----------------------------------------------------------------- the questions
    async def search(self, text: str) -> tuple[CatalogMedia, ...]:
        """The top 10 anime matching `text` (adult media never searched), best first."""
        page = await self._ask(
            queries.SEARCH, {"search": text}, Priority.INTERACTIVE, parse.media_page
        )
        return tuple(media for media in page.items if not media.is_adult)

    async def show(
        self, anilist_id: int, priority: Priority = Priority.INTERACTIVE
    ) -> ShowDetails | None:
        """One anime with its upcoming episodes, or None if AniList has no anime by that id."""
        try:
            return await self._ask(queries.SHOW_BY_ID, {"id": anilist_id}, priority, parse.show)
        except AniListNotFound:
            return None

    async def show_by_mal_id(
        self, mal_id: int, priority: Priority = Priority.INTERACTIVE
    ) -> ShowDetails | None:
        """The anime (never a manga) MyAnimeList knows by `mal_id`, or None."""
        try:
            return await self._ask(queries.SHOW_BY_MAL_ID, {"idMal": mal_id}, priority, parse.show)
        except AniListNotFound:
            return None

    async def media(
        self, anilist_ids: Sequence[int], priority: Priority = Priority.SYNC
    ) -> tuple[CatalogMedia, ...]:
        """Metadata of up to 50 anime in one request; unknown ids are left out."""
        return await self._media_page(queries.MEDIA_BY_IDS, anilist_ids, priority)

    async def media_by_mal_ids(
        self, mal_ids: Sequence[int], priority: Priority = Priority.INTERACTIVE
    ) -> tuple[CatalogMedia, ...]:
        """The anime of up to 50 MyAnimeList ids in one request; unknown ids are left out."""
        return await self._media_page(queries.MEDIA_BY_MAL_IDS, mal_ids, priority)

    async def airings(
        self,
        anilist_ids: Sequence[int],
        start: datetime,
        end: datetime,
        priority: Priority = Priority.SYNC,
    ) -> tuple[Airing, ...]:
        """Every episode of up to 500 anime airing from `start` to `end`, soonest first.

        All pages or nothing: a failed page fails the whole call. Rows that shift between
        pages are kept once, keyed by (show, episode).
        """
        if not anilist_ids:
            return ()
        if len(anilist_ids) > AIRING_IDS_PER_LIST:
            raise ValueError(f"at most {AIRING_IDS_PER_LIST} ids a list")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be aware datetimes")
        wanted = set(anilist_ids)
        variables: dict[str, Any] = {
            "ids": list(anilist_ids),
            # AniList's _greater/_lesser are strict: widen by a second on each side.
            "after": math.floor(start.timestamp()) - 1,
            "before": math.ceil(end.timestamp()) + 1,
        }
        found: dict[tuple[int, int], Airing] = {}
        last_page = queries.MAX_PAGE_DEPTH // queries.PER_PAGE
        page_number = 1
        while True:
            variables["page"] = page_number
            page = await self._ask(queries.AIRINGS, dict(variables), priority, parse.airings_page)
            for row in page.items:
                if row.anilist_id in wanted:
                    found.setdefault((row.anilist_id, row.episode), row)
            if not page.has_next_page:
                break
            if page_number == last_page:
                raise AniListUnavailable(
                    f"more than {queries.MAX_PAGE_DEPTH} airings in one window", retryable=False
                )
            page_number += 1
        return tuple(sorted(found.values(), key=lambda a: (a.airing_at, a.anilist_id, a.episode)))

    async def _media_page(
        self, query: str, ids: Sequence[int], priority: Priority
    ) -> tuple[CatalogMedia, ...]:
        if not ids:
            return ()
        if len(ids) > MEDIA_IDS_PER_REQUEST:
            raise ValueError(f"at most {MEDIA_IDS_PER_REQUEST} ids a request")
        page = await self._ask(query, {"ids": list(ids)}, priority, parse.media_page)
        return page.items
