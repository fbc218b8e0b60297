"""What happens to owed messages when Discord changes where Airdate may post."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace

from bot.services import reconcile
from bot.services.access import disable_channel
from bot.services.changes import Changes
from bot.storage import deliveries, settings

log = logging.getLogger(__name__)


class GuildOutages:
    """Guilds Discord said are unavailable (an outage): their messages wait until they are back."""

    def __init__(self) -> None:
        self._guilds: set[int] = set()

    def __contains__(self, guild_id: object) -> bool:
        return guild_id in self._guilds

    def began(self, guild_id: int) -> None:
        self._guilds.add(guild_id)

    def ended(self, guild_id: int) -> bool:
        """Forget the guild's outage; return whether it had one."""
        had = guild_id in self._guilds
        self._guilds.discard(guild_id)
        return had


class GuildLifecycle:
    def __init__(self, changes: Changes, *, outages: GuildOutages) -> None:
        self._changes = changes
        self._outages = outages

    async def channel_deleted(self, guild_id: int, channel_id: int) -> None:
        """A deleted channel gets nothing more: its follows are disabled with the reason."""
        async with self._changes.guild(guild_id) as tx:
            await disable_channel(
                tx,
                guild_id,
                channel_id,
                "the channel was deleted",
                self._changes.now(),
                self._changes.notice_debounce,
            )
        log.info("channel %s of guild %s was deleted; stopped posting there", channel_id, guild_id)

    async def removed(self, guild_id: int) -> None:
        """The bot was kicked: nothing more is owed there."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            guild = await settings.guild_settings(tx, guild_id)
            if guild.removed:
                return
            await settings.save_guild_settings(tx, replace(guild, removed=True), now)
            await reconcile.reconcile_guild(
                tx, guild_id, now, self._changes.notice_debounce, reason="bot removed"
            )
        log.info("removed from guild %s; nothing more is owed there", guild_id)

    async def joined(self, guild_id: int) -> None:
        """Back in a guild that removed the bot before: owed again what is ahead from now."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            guild = await settings.guild_settings(tx, guild_id)
            if not guild.removed:
                return
            await settings.save_guild_settings(
                tx, replace(guild, removed=False, present_since=now), now
            )
            await reconcile.reconcile_guild(
                tx, guild_id, now, self._changes.notice_debounce, reason="bot invited back"
            )
        log.info("back in guild %s; what is ahead is owed again", guild_id)

    async def reconcile_presence(self, present: Collection[int]) -> None:
        """At start-up: serve the guilds the bot is in, drop the ones it left while down."""
        async with self._changes.read() as tx:
            known = await settings.known_guilds(tx)
        for guild_id, removed in known.items():
            if removed and guild_id in present:
                await self.joined(guild_id)
            elif not removed and guild_id not in present:
                await self.removed(guild_id)

    def unavailable(self, guild_id: int) -> None:
        """Discord has an outage in the guild: hold its messages until it is back."""
        log.warning("guild %s is unavailable (Discord outage); holding its messages", guild_id)
        self._outages.began(guild_id)

    async def available(self, guild_id: int) -> None:
        """The guild is available: if it was out, send what it was held at once."""
        if self._outages.ended(guild_id):
            log.info("guild %s is back; resuming its messages", guild_id)
            await self.available_again(guild_id)

    async def available_again(self, guild_id: int) -> None:
        """After an outage, retry the guild's held messages at once instead of after backoff."""
        async with self._changes.guild(guild_id) as tx:
            await deliveries.retry_guild_now(tx, guild_id, self._changes.now())
