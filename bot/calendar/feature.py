"""The calendar as one thing the bot starts and stops: exports, and the live feed if on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.calendar.feeds import Feeds
from bot.calendar.server import FeedServer
from bot.domain.calendar import FeedLinks, feed_links
from bot.services.calendar import CalendarService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CalendarFeature:
    """Guilds' calendars (`/calendar`), and their live feed when `CALENDAR_HTTP_PORT` is
    set (`server`; built by the composition root, started once the bot is ready)."""

    service: CalendarService
    feeds: Feeds
    server: FeedServer | None = None

    def public_base(self) -> str | None:
        """The feed's public address, or None while it is not served (off, or its port
        could not be bound): no link is shown that would not answer."""
        if self.server is None or not self.server.running:
            return None
        return self.server.public_base

    async def links(self, guild_id: int) -> FeedLinks | None:
        """The guild's feed links (given a token the first time), or None: the feed is off."""
        base = self.public_base()
        if base is None:
            return None
        return feed_links(base, (await self.service.feed(guild_id)).token)

    async def regenerate(self, guild_id: int) -> FeedLinks | None:
        """New links for the guild's feed; the old ones answer 404 at once."""
        base = self.public_base()
        if base is None:
            return None
        return feed_links(base, (await self.service.regenerate(guild_id)).token)

    def guild_changed(self, guild_id: int) -> None:
        """A service committed a change to the guild: its feed is checked again."""
        self.feeds.guild_changed(guild_id)

    def read_from(
        self, guild_name: Callable[[int], str | None], connected: Callable[[], bool]
    ) -> None:
        """Where guilds' names and the bot's connection are read (the bot, once built)."""
        self.feeds.read_names_with(guild_name)
        if self.server is not None:
            self.server.watch_connection(connected)

    async def start(self) -> None:
        """Start serving the feed. A port that cannot be bound is logged, and the rest of
        the bot goes on without the feed."""
        if self.server is None:
            return
        try:
            await self.server.start()
        except OSError as error:
            log.error(
                "the calendar feed could not listen on %s:%s (%s): check CALENDAR_HTTP_HOST "
                "and CALENDAR_HTTP_PORT; the bot goes on without the feed",
                self.server.host,
                self.server.port,
                error,
            )

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
