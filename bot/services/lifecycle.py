"""What happens to owed messages when Discord changes where Airdate may post."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from bot.clock import Clock
from bot.services import planner
from bot.services.delivery import disable_channel
from bot.storage import deliveries, settings
from bot.storage.database import Database

log = logging.getLogger(__name__)


class GuildLifecycle:
    def __init__(self, database: Database, clock: Clock, wake: Callable[[int], None]) -> None:
        self._database = database
        self._clock = clock
        self._wake = wake

    async def channel_deleted(self, guild_id: int, channel_id: int) -> None:
        """A deleted channel gets nothing more: its follows are disabled with the reason."""
        async with self._database.transaction() as tx:
            await disable_channel(
                tx, guild_id, channel_id, "the channel was deleted", self._clock()
            )
        log.info("channel %s of guild %s was deleted; stopped posting there", channel_id, guild_id)

    async def removed(self, guild_id: int) -> None:
        """The bot was kicked: everything still owed there is dropped."""
        now = self._clock()
        async with self._database.transaction() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            await settings.save_guild_settings(tx, replace(guild, removed=True), now)
            skipped = await deliveries.skip_pending_for_guild(tx, guild_id, "bot removed")
        self._wake(guild_id)
        log.info("removed from guild %s; dropped %d pending deliveries", guild_id, skipped)

    async def joined(self, guild_id: int) -> None:
        """Back in a guild that removed the bot before: schedule what is still ahead."""
        now = self._clock()
        async with self._database.transaction() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            if not guild.removed:
                return
            await settings.save_guild_settings(tx, replace(guild, removed=False), now)
            await planner.replan_guild(tx, guild_id, now)
        self._wake(guild_id)

    async def available_again(self, guild_id: int) -> None:
        """After an outage, retry the guild's held messages at once instead of after backoff."""
        async with self._database.transaction() as tx:
            await deliveries.retry_guild_now(tx, guild_id, self._clock())
        self._wake(guild_id)
