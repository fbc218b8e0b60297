"""What Discord tells Airdate about its scheduled events and its own permissions."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import AirdateBot
from bot.ui.permissions import can_create_events


class ScheduledEventWatch(commands.Cog):
    """Events a moderator deleted are not made again; a mirror paused for lack of Create
    Events resumes when the bot's roles (or the server) change to grant it."""

    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        await self.bot.scheduled_events.event_deleted(event.guild_id, event.id)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        await self._check(after.guild)

    @commands.Cog.listener()
    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self._check(role.guild)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        # Discord sends the bot's own member updates without the members intent.
        if self.bot.user is not None and after.id == self.bot.user.id:
            await self._check(after.guild)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        await self._check(after)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Permissions granted while the bot was away."""
        for guild_id in await self.bot.scheduled_events.paused_guilds():
            guild = self.bot.get_guild(guild_id)
            if guild is not None:
                await self._check(guild)

    async def _check(self, guild: discord.Guild) -> None:
        await self.bot.scheduled_events.permissions_seen(guild.id, can_create_events(guild))


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(ScheduledEventWatch(bot))
