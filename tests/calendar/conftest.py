"""A guild's calendar over a real database: releases added through the services, an
injected clock, and the calendar service and feeds the bot would build."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.calendar.feeds import Feeds
from bot.calendar.ics import render_event
from bot.domain.models import GuildSettings
from bot.services.calendar import CalendarService
from bot.services.catalog import CatalogService
from bot.services.changes import Changes
from bot.services.releases import ReleaseService
from bot.services.settings import SettingsService
from bot.storage import settings
from bot.storage.database import Database

NOW = datetime(2024, 7, 1, 9, 30, 15, tzinfo=UTC)
GUILD = 1001
OTHER_GUILD = 2002
CHANNEL = 111
OTHER_CHANNEL = 222
NAMES = {GUILD: "Anime Hub", OTHER_GUILD: "Second Server"}
MINUTE = timedelta(seconds=60)


@dataclass
class World:
    db: Database
    clock: list[datetime]
    changes: Changes
    calendar: CalendarService
    feeds: Feeds

    @property
    def now(self) -> datetime:
        return self.clock[0]

    def advance(self, by: timedelta) -> None:
        self.clock[0] += by

    @property
    def releases(self) -> ReleaseService:
        return ReleaseService(self.changes)

    @property
    def catalog(self) -> CatalogService:
        return CatalogService(self.changes)

    @property
    def settings(self) -> SettingsService:
        return SettingsService(self.changes)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    database = await Database.open(tmp_path / "airdate.db")
    clock = [NOW]
    heard: list[Feeds] = []  # as the composition root does: feeds hear of every change
    changes = Changes(
        database, lambda: clock[0], lambda guild_id: heard[0].guild_changed(guild_id), MINUTE
    )
    async with database.transaction() as tx:
        for guild_id, channel_id in ((GUILD, CHANNEL), (OTHER_GUILD, OTHER_CHANNEL)):
            await settings.save_guild_settings(
                tx, GuildSettings(guild_id, channel_id=channel_id), NOW - timedelta(days=30)
            )
    service = CalendarService(changes, render_event)
    feeds = Feeds(service, lambda: clock[0])
    feeds.read_names_with(NAMES.get)
    heard.append(feeds)
    yield World(database, clock, changes, service, feeds)
    await database.close()
