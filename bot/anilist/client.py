"""Airdate's AniList client: four hand-written queries over plain aiohttp, through one limiter.

Every failure AniList can produce (no answer in 10 s, 5xx, 403, 429, HTML, unreadable
JSON, `errors` inside a 200, a shape that is not what was asked) becomes
AniListUnavailable, and partial data is never returned. "Not found" is not a failure:
`show` answers None. Sync requests retry with backoff (capped at 10 minutes, the outage
logged once when it starts and once when it ends); interactive ones give up after 10 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp

from bot import PROJECT_URL, __version__
from bot.anilist import parse, queries
from bot.anilist.limiter import (
    AniListLimiter,
    LimiterBusy,
    Priority,
    Sleep,
    int_header,
    seconds_header,
)
from bot.anilist.parse import MalformedAnswer, ShowDetails
from bot.clock import Clock, utcnow
from bot.config import ANILIST_API_URL
from bot.domain.catalog import Airing, CatalogMedia

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"Airdate/{__version__} (+{PROJECT_URL})"
REQUEST_TIMEOUT_SECONDS = 10.0
INTERACTIVE_DEADLINE_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 600.0
#: Ids AniList is asked about in one `Page.media(id_in:)`: exactly one page.
MEDIA_IDS_PER_REQUEST = queries.PER_PAGE
#: Ids in one `Page.airingSchedules(mediaId_in:)` list (design.md; AniList's own limit
#: on list length is undocumented).
AIRING_IDS_PER_LIST = 500


class AniListError(Exception):
    """AniList did not give Airdate what it asked for."""


class AniListUnavailable(AniListError):
    """AniList is slow, down, limiting, disabled, or answered something unusable.

    `retryable` is False when asking again cannot help (AniList refused the query itself).
    """

    def __init__(self, reason: str, *, retryable: bool = True, pause_seconds: float = 0.0):
        super().__init__(f"AniList is not answering: {reason}")
        self.reason = reason
        self.retryable = retryable
        #: After a 429: how long the limiter now holds every request.
        self.pause_seconds = pause_seconds


class AniListNotFound(AniListError):
    """AniList answered 404: no anime has that id."""


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
        self._limiter = limiter
        self._url = url
        self._clock = clock
        self._sleep = sleep
        self._request_timeout = request_timeout_seconds
        self._interactive_deadline = interactive_deadline_seconds
        self._sync_attempts = max(1, sync_attempts)
        self._first_backoff = first_backoff_seconds
        self._session: aiohttp.ClientSession | None = None
        self._outage_failures = 0
        self._outage_since: datetime | None = None
        #: HTTP requests sent so far (the benchmark and tests count the budget with it).
        self.requests_sent = 0

    @property
    def limiter(self) -> AniListLimiter:
        return self._limiter

    @property
    def in_outage(self) -> bool:
        """Whether AniList's last answer was a failure."""
        return self._outage_failures > 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

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

    # ----------------------------------------------------------------- retries
    async def _ask(
        self,
        query: str,
        variables: Mapping[str, Any],
        priority: Priority,
        read: Callable[[object], T],
    ) -> T:
        if priority is Priority.INTERACTIVE:
            try:
                async with asyncio.timeout(self._interactive_deadline):
                    return await self._ask_interactively(query, variables, read)
            except TimeoutError:
                raise AniListUnavailable(
                    f"no answer within {self._interactive_deadline:g} s"
                ) from None
        return await self._ask_in_background(query, variables, read)

    async def _ask_interactively(
        self, query: str, variables: Mapping[str, Any], read: Callable[[object], T]
    ) -> T:
        deadline = self._clock() + timedelta(seconds=self._interactive_deadline)
        delay = 0.5
        while True:
            left = (deadline - self._clock()).total_seconds()
            try:
                return await self._attempt(query, variables, Priority.INTERACTIVE, read, left)
            except AniListUnavailable as error:
                left = (deadline - self._clock()).total_seconds()
                if not error.retryable or delay >= left or error.pause_seconds >= left:
                    raise
            await self._sleep(delay)
            delay *= 2

    async def _ask_in_background(
        self, query: str, variables: Mapping[str, Any], read: Callable[[object], T]
    ) -> T:
        attempt = 1
        while True:
            try:
                return await self._attempt(query, variables, Priority.SYNC, read, None)
            except AniListUnavailable as error:
                if not error.retryable or attempt >= self._sync_attempts:
                    raise
                if not error.pause_seconds:
                    # A 429's pause is the limiter's to wait out; other failures back off.
                    await self._sleep(self._backoff_seconds())
            attempt += 1

    def _backoff_seconds(self) -> float:
        exponent = min(max(self._outage_failures - 1, 0), 30)
        return float(min(self._first_backoff * 2.0**exponent, MAX_BACKOFF_SECONDS))

    async def _attempt(
        self,
        query: str,
        variables: Mapping[str, Any],
        priority: Priority,
        read: Callable[[object], T],
        max_wait_seconds: float | None,
    ) -> T:
        try:
            payload = await self._post(query, variables, priority, max_wait_seconds)
            result = read(payload)
        except LimiterBusy as busy:
            # Nothing was sent: AniList is not failing, Airdate's budget is spent.
            raise AniListUnavailable(
                f"Airdate's request budget is spent for {busy.wait_seconds:.0f} s",
                pause_seconds=busy.wait_seconds,
            ) from None
        except MalformedAnswer as error:
            self._failed(f"an answer of the wrong shape ({error})")
            raise AniListUnavailable(f"an answer of the wrong shape ({error})") from None
        except AniListUnavailable as error:
            self._failed(error.reason)
            raise
        except AniListNotFound:
            self._answered()
            raise
        self._answered()
        return result

    def _failed(self, reason: str) -> None:
        self._outage_failures += 1
        if self._outage_failures == 1:
            self._outage_since = self._clock()
            log.warning("AniList is not answering (%s); retrying with backoff", reason)

    def _answered(self) -> None:
        if self._outage_failures and self._outage_since is not None:
            lasted = self._clock() - self._outage_since
            log.warning(
                "AniList answers again, after %d failed requests over %d s",
                self._outage_failures,
                lasted.total_seconds(),
            )
        self._outage_failures = 0
        self._outage_since = None

    # ----------------------------------------------------------------- one request
    async def _post(
        self,
        query: str,
        variables: Mapping[str, Any],
        priority: Priority,
        max_wait_seconds: float | None,
    ) -> dict[str, Any]:
        session = self._open_session()
        async with self._limiter.slot(priority, max_wait_seconds=max_wait_seconds):
            self.requests_sent += 1
            try:
                async with session.post(
                    self._url,
                    json={"query": query, "variables": dict(variables)},
                    timeout=aiohttp.ClientTimeout(total=self._request_timeout),
                ) as response:
                    status = response.status
                    headers = response.headers
                    body = await response.read()
            except TimeoutError:
                raise AniListUnavailable(f"no answer within {self._request_timeout:g} s") from None
            except aiohttp.ClientError as error:
                raise AniListUnavailable(f"the connection failed ({error})") from None
            if status == 429:
                seconds = self._limiter.pause(
                    retry_after=seconds_header(headers.get("Retry-After")),
                    reset_at=seconds_header(headers.get("X-RateLimit-Reset")),
                )
                raise AniListUnavailable(
                    f"too many requests; every request waits {seconds:.0f} s",
                    pause_seconds=seconds,
                )
            self._limiter.observe(
                int_header(headers.get("X-RateLimit-Limit")),
                int_header(headers.get("X-RateLimit-Remaining")),
            )
        return _payload(status, body)

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={
                    "User-Agent": USER_AGENT,
                    # Cloudflare has refused AniList requests without a Referer (reference §1).
                    "Referer": PROJECT_URL,
                    "Accept": "application/json",
                }
            )
        return self._session


def _payload(status: int, body: bytes) -> dict[str, Any]:
    """Read an answer: its JSON if usable, else the failure it stands for."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        if status >= 500 or status == 403:
            raise AniListUnavailable(f"HTTP {status}")
        raise AniListUnavailable(f"an answer that is not JSON (HTTP {status})")
    errors = payload.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        first = first if isinstance(first, dict) else {}
        message = str(first.get("message") or "an error")[:200]
        error_status = first.get("status")
        if status == 404 or error_status == 404:
            raise AniListNotFound(message)
        if status == 400 or error_status == 400:
            # The query itself is wrong (or too deep, too complex): asking again cannot help.
            raise AniListUnavailable(f"it refused the query ({message})", retryable=False)
        # Errors inside a 200 included: `data` may be partly filled, and is not used.
        raise AniListUnavailable(f"HTTP {status} with errors: {message}")
    if status != 200:
        raise AniListUnavailable(f"HTTP {status}")
    return payload
