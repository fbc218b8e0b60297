"""The events mirror's way out: Discord's scheduled-event routes through discord.py.

It calls discord.py's HTTP client directly rather than `Guild.create_scheduled_event`:
that needs the guild in the cache, sends `privacy_level` and `entity_type` only when
passed, and `ScheduledEvent.edit`/`.cancel` check a cached status (reference/calendar.md,
discord.py 2.7.1 quirks). Every request waits its turn at the bot's one rate limiter and
is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import discord

from bot.domain.scheduled_events import EventSpec, ListedEvent
from bot.services.event_mirror import EventError, EventFailure

_T = TypeVar("_T")

EXTERNAL = 3
GUILD_ONLY = 2
CANCELED = 4
#: Discord's codes that mean the event is gone or can no longer change.
_GONE_CODES = {10070, 180000}


class EventSender:
    """The mirror's EventGateway over a logged-in discord.py client (given once built)."""

    def __init__(self, wait_turn: Callable[[], Awaitable[None]], timeout: timedelta) -> None:
        self._wait_turn = wait_turn
        self._timeout = timeout.total_seconds()
        self._discord: discord.Client | None = None

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

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        payload = {**_shown(spec), "privacy_level": GUILD_ONLY}
        if spec.description is None:
            payload.pop("description")
        data = await self._call(
            lambda: self._client.http.create_guild_scheduled_event(guild_id, **payload)
        )
        return int(data["id"])

    async def edit(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        await self._call(
            lambda: self._client.http.edit_scheduled_event(guild_id, event_id, **_shown(spec))
        )

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
