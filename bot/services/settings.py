"""Guild settings: where announcements go, whom they ping, when reminders fire."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.clock import Clock
from bot.domain import durations, when
from bot.domain.models import GuildSettings
from bot.services import planner
from bot.storage import deliveries, settings
from bot.storage.database import Database, Transaction

log = logging.getLogger(__name__)


class SettingsService:
    def __init__(
        self, database: Database, clock: Clock, wake_dispatcher: Callable[[int], None]
    ) -> None:
        self._database = database
        self._clock = clock
        self._wake = wake_dispatcher

    async def view(self, guild_id: int) -> GuildSettings:
        async with self._database.snapshot() as tx:
            return await settings.guild_settings(tx, guild_id)

    async def set_channel(self, guild_id: int, channel_id: int | None) -> GuildSettings:
        """Point announcements at a channel (None: nowhere); pending messages follow."""
        now = self._clock()
        async with self._database.transaction() as tx:
            before = await settings.guild_settings(tx, guild_id)
            after = replace(before, channel_id=channel_id, channel_disabled_reason=None)
            await settings.save_guild_settings(tx, after, now)
            if before.channel_id is not None and before.channel_id != channel_id:
                await deliveries.move_pending_notices(tx, guild_id, before.channel_id, channel_id)
            await _replan(tx, after, now)
        self._wake(guild_id)
        return after

    async def set_role(self, guild_id: int, role_id: int | None) -> GuildSettings:
        async with self._database.transaction() as tx:
            after = replace(await settings.guild_settings(tx, guild_id), role_id=role_id)
            await settings.save_guild_settings(tx, after, self._clock())
        return after

    async def set_offsets(self, guild_id: int, typed: str) -> GuildSettings:
        """Change reminder offsets; pending reminders are recomputed (offsets still ahead)."""
        offsets = durations.parse_offsets(typed)
        now = self._clock()
        async with self._database.transaction() as tx:
            after = replace(await settings.guild_settings(tx, guild_id), offsets=offsets)
            await settings.save_guild_settings(tx, after, now)
            await _replan(tx, after, now)
        self._wake(guild_id)
        return after

    async def set_timezone(self, guild_id: int, typed: str) -> GuildSettings:
        zone = when.validate_zone(typed)
        async with self._database.transaction() as tx:
            after = replace(await settings.guild_settings(tx, guild_id), timezone=zone)
            await settings.save_guild_settings(tx, after, self._clock())
        return after


async def _replan(tx: Transaction, guild: GuildSettings, now: datetime) -> None:
    """Make every scheduled release's pending rows match the guild's current settings."""
    await planner.replan_guild(tx, guild.guild_id, now)
    log.info("replanned guild %s", guild.guild_id)
