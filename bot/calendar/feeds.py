"""Guilds' calendars as `.ics` bytes: the live feed (kept per guild while unchanged) and
one-off exports (`/calendar`)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.calendar.ics import calendar_bytes
from bot.clock import Clock
from bot.services.calendar import CalendarService, GuildCalendar

#: Guilds whose last feed is kept in memory (a feed of 2,000 events is about 1 MB).
CACHED_GUILDS = 64
#: The calendar's name when the guild's name is not known (the bot is not connected).
FALLBACK_NAME = "Airdate"
#: How long a kept feed is trusted without reading the guild's releases again, when no
#: change was heard of: every change a service commits is heard at once; this bounds how
#: long one made any other way (another process, a hand edit) could go unseen.
RECHECK_AFTER = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class FeedBody:
    """A feed as served: its bytes, strong ETag (quoted) and Last-Modified."""

    body: bytes
    etag: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class _Kept:
    calendar: GuildCalendar
    name: str
    feed: FeedBody
    #: When it was last checked against the data; None: a change was heard of since.
    checked_at: datetime | None

    def trusted(self, name: str, now: datetime) -> bool:
        valid_until = self.calendar.valid_until
        return (
            self.checked_at is not None
            and now - self.checked_at < RECHECK_AFTER
            and (valid_until is None or now < valid_until)
            and self.name == name
        )


def body_etag(body: bytes) -> str:
    """A strong ETag of the body itself: it changes exactly when the bytes do."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class Feeds:
    """Builds guilds' feeds, keeping each guild's last one while what it shows is unchanged."""

    def __init__(self, service: CalendarService, clock: Clock) -> None:
        self._service = service
        self._clock = clock
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._locks: dict[int, asyncio.Lock] = {}
        self._guild_name: Callable[[int], str | None] = lambda guild_id: None

    def read_names_with(self, guild_name: Callable[[int], str | None]) -> None:
        """Where guilds' names come from (the connected bot): each feed is named so."""
        self._guild_name = guild_name

    def guild_changed(self, guild_id: int) -> None:
        """Something of the guild's changed (a service committed): check its feed again."""
        kept = self._kept.get(guild_id)
        if kept is not None and kept.checked_at is not None:
            self._kept[guild_id] = replace(kept, checked_at=None)

    def name_of(self, guild_id: int) -> str:
        return self._guild_name(guild_id) or FALLBACK_NAME

    async def feed(self, guild_id: int) -> FeedBody:
        """The guild's feed now: the same bytes, ETag and date while nothing changed."""
        name = self.name_of(guild_id)
        kept = self._kept.get(guild_id)
        if kept is not None and kept.trusted(name, self._clock()):
            self._kept.move_to_end(guild_id)
            return kept.feed
        lock = self._locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            now = self._clock()
            kept = self._kept.get(guild_id)
            calendar = await self._service.calendar(
                guild_id, now, since=None if kept is None else kept.calendar
            )
            if kept is not None and kept.calendar is calendar and kept.name == name:
                self._kept[guild_id] = replace(kept, checked_at=now)
                self._kept.move_to_end(guild_id)
                return kept.feed
            body = calendar_bytes(name, (published.text for published in calendar.events))
            etag = body_etag(body)
            if kept is not None and kept.feed.etag == etag:
                last_modified = kept.feed.last_modified
            else:
                last_modified = await self._service.body_served(guild_id, etag, now)
            feed = FeedBody(body, etag, last_modified)
            self._kept[guild_id] = _Kept(calendar, name, feed, checked_at=now)
            self._kept.move_to_end(guild_id)
            while len(self._kept) > CACHED_GUILDS:
                self._kept.popitem(last=False)
            return feed

    async def export(
        self, guild_id: int, name: str, show_ids: Collection[int] | None = None
    ) -> tuple[bytes, int]:
        """The guild's calendar (only these shows' events, if given) as a file, and how
        many events it holds."""
        # Under the guild's lock: one publication of a changed event at a time.
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            kept = self._kept.get(guild_id)
            calendar = await self._service.calendar(
                guild_id, self._clock(), since=None if kept is None else kept.calendar
            )
        events = [
            published.text
            for published in calendar.events
            if show_ids is None or published.event.content.show_id in show_ids
        ]
        return calendar_bytes(name, events), len(events)
