"""One AniList request at a time: the limiter, the HTTP POST, retries, and the outage log.

Every failure AniList can produce (no answer in 10 s, 5xx, 403, 429, HTML, unreadable
JSON, `errors` inside a 200, a shape that is not what was asked) becomes
AniListUnavailable, and partial data is never returned; a 404 is AniListNotFound. Sync
requests retry with backoff (capped at 10 minutes); interactive ones give up after 10 s.
An outage is logged once when it starts and once when it ends, not once per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp

from bot import PROJECT_URL, __version__
from bot.anilist.errors import AniListNotFound, AniListUnavailable
from bot.anilist.limiter import (
    AniListLimiter,
    LimiterBusy,
    Priority,
    Sleep,
    int_header,
    seconds_header,
)
from bot.anilist.parse import MalformedAnswer
from bot.clock import Clock, utcnow
from bot.config import ANILIST_API_URL

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"Airdate/{__version__} (+{PROJECT_URL})"
REQUEST_TIMEOUT_SECONDS = 10.0
INTERACTIVE_DEADLINE_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 600.0


class AniListTransport:
    """Sends Airdate's GraphQL to AniList within the limiter's budget, and reads the answer."""

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

    # ----------------------------------------------------------------- retries
    async def ask(
        self,
        query: str,
        variables: Mapping[str, Any],
        priority: Priority,
        read: Callable[[object], T],
    ) -> T:
        """Send `query`, and return what `read` makes of the answer, or raise AniListError.

        `read` raises MalformedAnswer for an answer of the wrong shape: that is a failure.
        """
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
