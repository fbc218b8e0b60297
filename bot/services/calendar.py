"""A guild's calendar: its events as published (versioned), and its secret feed token.

The calendar is read from what the guild sees, titled and timed for it (catalog shows in
its title language, `delay_after` later). Each event's version and text are stored when
first published, so SEQUENCE and DTSTAMP come from the data and a feed is put together
again without rendering every event. How an event is written out (iCalendar) is handed
in by the composition root: the core does not know the format.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.calendar import (
    CalendarEvent,
    EventContent,
    EventVersion,
    event_content,
    in_calendar,
    next_boundary,
    next_version,
)
from bot.domain.catalog_view import seen_release
from bot.domain.models import Show
from bot.services.changes import Changes
from bot.services.references import resolve_show
from bot.services.seen import seen_show
from bot.storage import calendar as store
from bot.storage import settings, subscriptions

log = logging.getLogger(__name__)

#: Renders one event as published under its UID (the VEVENT's text).
Render = Callable[[CalendarEvent, str], str]
#: Published events that ended this long ago are forgotten.
FORGET_AFTER = timedelta(days=30)
_INSTALL_KEY = "calendar_install"
HEALTH_TIMEOUT_SECONDS = 2.0


def new_token() -> str:
    """An unguessable feed token: 192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def event_uid(release_id: int, install: str) -> str:
    """The event's UID, stable for ever: the release and this installation of Airdate."""
    return f"release-{release_id}-{install}@airdate"


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    event: CalendarEvent
    #: Its VEVENT, as rendered when this version was first published.
    text: str


@dataclass(frozen=True, slots=True)
class GuildCalendar:
    """A guild's calendar at one moment: its events, soonest first."""

    guild_id: int
    events: tuple[PublishedEvent, ...]
    #: A digest of what it was read from (this process only).
    digest: int
    #: When the window moves past an event (it enters or leaves): read again from then.
    valid_until: datetime | None

    def fresh(self, digest: int, now: datetime) -> bool:
        return self.digest == digest and (self.valid_until is None or now < self.valid_until)


class CalendarService:
    def __init__(
        self, changes: Changes, render: Render, token: Callable[[], str] = new_token
    ) -> None:
        self._changes = changes
        self._render = render
        self._new_token = token
        self._install: str | None = None

    async def install_id(self) -> str:
        """16 random hex digits made once for this database and kept in it."""
        if self._install is None:
            async with self._changes.database.transaction() as tx:
                install = await settings.meta_value(tx, _INSTALL_KEY)
                if install is None:
                    install = secrets.token_hex(8)
                    await settings.set_meta_value(tx, _INSTALL_KEY, install)
            self._install = install
        return self._install

    async def calendar(
        self, guild_id: int, now: datetime, *, since: GuildCalendar | None = None
    ) -> GuildCalendar:
        """The guild's calendar at `now`: `since` itself while nothing it shows changed,
        else read again, publishing new versions of the events that changed."""
        async with self._changes.read() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            rows = await store.source_rows(tx, guild_id, now)
        digest = hash((store.rows_digest(rows), guild.title_language, guild.delay_after))
        if since is not None and since.fresh(digest, now):
            return since
        shown: list[tuple[EventContent, EventVersion, bool]] = []
        boundaries = []
        for source in store.sources_from_rows(rows):
            release = seen_release(
                source.release, source.titles, guild.title_language, guild.delay_after
            )
            content = event_content(release, source.duration, source.version)
            if content is None:
                continue
            boundary = next_boundary(content, now)
            if boundary is not None:
                boundaries.append(boundary)
            if not in_calendar(content, now):
                continue
            version = next_version(source.version, content, source.updated_at, now)
            shown.append((content, version, version is not source.version))
        shown.sort(key=lambda item: (item[0].starts_at, item[0].release_id))
        events = await self._publish(guild_id, shown, since, now)
        return GuildCalendar(guild_id, events, digest, min(boundaries, default=None))

    async def _publish(
        self,
        guild_id: int,
        shown: list[tuple[EventContent, EventVersion, bool]],
        since: GuildCalendar | None,
        now: datetime,
    ) -> tuple[PublishedEvent, ...]:
        """Each event with its text: kept in memory, stored, or rendered (and stored) now."""
        install = await self.install_id()
        known = {p.event.release_id: p for p in since.events} if since is not None else {}
        unchanged = [
            content.release_id
            for content, version, changed in shown
            if not changed
            and (
                content.release_id not in known
                or known[content.release_id].event.sequence != version.sequence
            )
        ]
        stored: dict[int, tuple[int, str]] = {}
        if unchanged:
            async with self._changes.read() as tx:
                stored = await store.event_texts(tx, guild_id, unchanged)
        events = []
        new: list[tuple[int, EventVersion, str]] = []
        for content, version, changed in shown:
            event = CalendarEvent(content, version.sequence, version.changed_at)
            release_id = content.release_id
            kept = known.get(release_id)
            if not changed and kept is not None and kept.event == event:
                events.append(kept)
                continue
            text = stored.get(release_id, (None, ""))
            if changed or text[0] != version.sequence:
                rendered = self._render(event, event_uid(release_id, install))
                new.append((release_id, version, rendered))
                events.append(PublishedEvent(event, rendered))
            else:
                events.append(PublishedEvent(event, text[1]))
        if new:
            async with self._changes.database.transaction() as tx:
                await store.save_events(tx, guild_id, new)
                await store.forget_events_before(tx, guild_id, now - FORGET_AFTER)
            log.debug("guild %s: published %d calendar event version(s)", guild_id, len(new))
        return tuple(events)

    async def feed(self, guild_id: int) -> store.FeedState:
        """The guild's feed, given a token the first time it is asked for."""
        async with self._changes.read() as tx:
            found = await store.guild_feed(tx, guild_id)
        if found is not None:
            return found
        async with self._changes.database.transaction() as tx:
            found = await store.guild_feed(tx, guild_id)
            if found is None:
                await store.save_token(tx, guild_id, self._new_token(), self._changes.now())
                found = await store.guild_feed(tx, guild_id)
        assert found is not None
        return found

    async def regenerate(self, guild_id: int) -> store.FeedState:
        """Give the guild's feed a new token: the old links open nothing from now on."""
        async with self._changes.database.transaction() as tx:
            await store.save_token(tx, guild_id, self._new_token(), self._changes.now())
            found = await store.guild_feed(tx, guild_id)
        assert found is not None
        log.info("guild %s regenerated its calendar feed token", guild_id)
        return found

    async def feed_of_token(self, token: str) -> store.FeedState | None:
        """The feed a token opens (None: unknown, replaced, or its guild removed the bot)."""
        async with self._changes.read() as tx:
            return await store.feed_of_token(tx, token)

    async def body_served(self, guild_id: int, etag: str, now: datetime) -> datetime:
        """Record that the feed's body is `etag`; return since when it has been (its
        Last-Modified: a new body is dated `now`, always after the one before)."""
        found = await self.feed(guild_id)
        if found.etag == etag and found.changed_at is not None:
            return found.changed_at
        changed_at = now.replace(microsecond=0)
        if found.changed_at is not None:
            changed_at = max(changed_at, found.changed_at + timedelta(seconds=1))
        async with self._changes.database.transaction() as tx:
            await store.record_body(tx, guild_id, etag, changed_at)
        return changed_at

    async def database_answers(self) -> bool:
        """Whether the database answers a read within `HEALTH_TIMEOUT_SECONDS`."""

        async def read() -> None:
            async with self._changes.read() as tx:
                await tx.fetchone("SELECT 1")

        try:
            await asyncio.wait_for(read(), HEALTH_TIMEOUT_SECONDS)
        except (TimeoutError, sqlite3.Error):
            return False
        return True

    async def show(self, guild_id: int, typed: str) -> Show:
        """The show an option names, as the guild sees it."""
        async with self._changes.read() as tx:
            show = await resolve_show(tx, guild_id, typed, allow_all=False)
            assert show is not None, "`all` is not allowed here"
            return await seen_show(tx, await settings.guild_settings(tx, guild_id), show)

    async def subscribed_shows(self, guild_id: int, user_id: int) -> set[int]:
        """The shows a member subscribes to here, by role or by DM."""
        async with self._changes.read() as tx:
            found = await subscriptions.member_subscriptions(tx, guild_id, user_id)
        return {subscription.show_id for subscription in found}
