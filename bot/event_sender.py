"""The events mirror's way out: Discord's scheduled-event routes through discord.py.

It calls discord.py's HTTP client directly rather than `Guild.create_scheduled_event`:
that needs the guild in the cache, sends `privacy_level` and `entity_type` only when
passed, and `ScheduledEvent.edit`/`.cancel` check a cached status (reference/calendar.md,
discord.py 2.7.1 quirks). Every request waits its turn at the bot's one rate limiter and
is bounded by a timeout.

An event whose show has a cover carries it: the sender downloads it first (http(s) only,
within a few seconds and 8 MiB, and only if its bytes are a PNG, JPEG, GIF or WebP), then
waits its turn and sends it as a data URI. A cover that cannot be had is left out and the
event made without it: a cover never holds up or fails an event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import discord

from bot.domain.image_data import data_uri, downloadable, loggable
from bot.domain.scheduled_events import EventSpec, ListedEvent
from bot.services.event_mirror import EventError, EventFailure

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: How long a cover's download may take, all told.
COVER_TIMEOUT = timedelta(seconds=5)
#: The largest cover downloaded (Discord's image data is sent in the request's body).
COVER_MAX_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024

EXTERNAL = 3
GUILD_ONLY = 2
CANCELED = 4
#: Discord's codes that mean the event is gone or can no longer change.
_GONE_CODES = {10070, 180000}


class EventSender:
    """The mirror's EventGateway over a logged-in discord.py client (given once built)."""

    def __init__(
        self,
        wait_turn: Callable[[], Awaitable[None]],
        timeout: timedelta,
        *,
        cover_timeout: timedelta = COVER_TIMEOUT,
        cover_max_bytes: int = COVER_MAX_BYTES,
    ) -> None:
        self._wait_turn = wait_turn
        self._timeout = timeout.total_seconds()
        self._cover_timeout = cover_timeout.total_seconds()
        self._cover_max_bytes = cover_max_bytes
        self._discord: discord.Client | None = None
        #: One session for every cover, made on first use (in the running loop).
        self._session: aiohttp.ClientSession | None = None

    def post_through(self, client: discord.Client) -> None:
        self._discord = client

    @property
    def _client(self) -> discord.Client:
        if self._discord is None:
            raise RuntimeError("EventSender has no client: call post_through(bot) first")
        return self._discord

    def bot_id(self) -> int:
        user = self._client.user
        if user is None:
            raise EventError(EventFailure.PASSING, "not logged in yet")
        return user.id

    async def close(self) -> None:
        """Close the covers' session (the mirror has stopped)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        payload = {**_shown(spec), "privacy_level": GUILD_ONLY}
        if spec.description is None:
            payload.pop("description")
        # The cover first: its download does not hold the rate limiter's turn.
        data = await self._with_cover(
            spec,
            payload,
            lambda sent: self._client.http.create_guild_scheduled_event(guild_id, **sent),
        )
        return int(data["id"])

    async def edit(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        # No cover (or none to be had): the image field is left out, so Discord keeps
        # whatever image the event has.
        await self._with_cover(
            spec,
            _shown(spec),
            lambda sent: self._client.http.edit_scheduled_event(guild_id, event_id, **sent),
        )

    async def _with_cover(
        self,
        spec: EventSpec,
        payload: dict[str, Any],
        request: Callable[[dict[str, Any]], Awaitable[_T]],
    ) -> _T:
        """Send `payload` with the spec's cover if there is one to be had. Discord refusing
        the request with the cover (too large, say) sends it again without: a 4xx made
        nothing, so the event is made (or edited) once, without its cover."""
        image = await self.cover(spec.image_url)
        if image is None:
            return await self._call(lambda: request(payload))
        try:
            return await self._call(lambda: request({**payload, "image": image}))
        except EventError as error:
            if error.failure is not EventFailure.REFUSED:
                raise
            log.warning(
                "event cover %s left out: Discord refused it (%s)",
                loggable(spec.image_url or ""),
                error.detail,
            )
        return await self._call(lambda: request(payload))

    async def cover(self, url: str | None) -> str | None:
        """The cover at `url` as a data URI, None if there is none to be had (logged once)."""
        if url is None:
            return None
        if not downloadable(url):
            log.info("event cover %s left out: not an http(s) address", loggable(url))
            return None
        try:
            async with asyncio.timeout(self._cover_timeout):
                data = await self._download(url)
        except TimeoutError:
            log.warning(
                "event cover %s left out: no answer within %.0f s",
                loggable(url),
                self._cover_timeout,
            )
            return None
        except (aiohttp.ClientError, OSError, ValueError) as error:
            log.warning("event cover %s left out: %s", loggable(url), type(error).__name__)
            return None
        if isinstance(data, str):
            log.warning("event cover %s left out: %s", loggable(url), data)
            return None
        image = data_uri(data)
        if image is None:
            log.warning("event cover %s left out: not a PNG, JPEG, GIF or WebP", loggable(url))
        return image

    async def _download(self, url: str) -> bytes | str:
        """The bytes at `url`, or why not (a reason for the log)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.get(url) as response:
            if response.status != 200:
                return f"HTTP {response.status}"
            limit = self._cover_max_bytes
            if response.content_length is not None and response.content_length > limit:
                return f"larger than {limit} bytes"
            data = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > limit:
                    return f"larger than {limit} bytes"
            return bytes(data)

    async def cancel(self, guild_id: int, event_id: int) -> None:
        await self._call(
            lambda: self._client.http.edit_scheduled_event(guild_id, event_id, status=CANCELED)
        )

    async def delete(self, guild_id: int, event_id: int) -> None:
        await self._call(lambda: self._client.http.delete_scheduled_event(guild_id, event_id))

    async def listed(self, guild_id: int) -> Sequence[ListedEvent]:
        data = await self._call(lambda: self._client.http.get_scheduled_events(guild_id, False))
        found = []
        for event in data:
            creator = event.get("creator_id")
            found.append(
                ListedEvent(
                    event_id=int(event["id"]),
                    name=event["name"],
                    starts_at=datetime.fromisoformat(event["scheduled_start_time"]),
                    creator_id=None if creator is None else int(creator),
                    status=int(event["status"]),
                )
            )
        return found

    async def _call(self, request: Callable[[], Awaitable[_T]]) -> _T:
        await self._wait_turn()
        try:
            async with asyncio.timeout(self._timeout):
                return await request()
        except discord.HTTPException as error:
            raise _classify(error) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise EventError(EventFailure.PASSING, f"connection: {type(error).__name__}") from error


def _shown(spec: EventSpec) -> dict[str, Any]:
    """The fields an external event shows (sent whole on create and on every edit)."""
    return {
        "name": spec.name,
        "description": spec.description,
        "entity_type": EXTERNAL,
        "channel_id": None,
        "entity_metadata": {"location": spec.location},
        "scheduled_start_time": spec.starts_at.isoformat(),
        "scheduled_end_time": spec.ends_at.isoformat(),
    }


def _classify(error: discord.HTTPException) -> EventError:
    detail = f"HTTP {error.status} code {error.code}"
    if error.status == 404 or error.code in _GONE_CODES:
        return EventError(EventFailure.GONE, detail)
    if error.status == 403:
        return EventError(EventFailure.FORBIDDEN, detail)
    if error.status >= 500 or error.status == 429:
        return EventError(EventFailure.PASSING, detail)
    return EventError(EventFailure.REFUSED, detail)
