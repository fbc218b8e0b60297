"""Discord events that change where Airdate may post: deleted channels, removals, outages."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.ui.audiences import DM_PAUSED_NOTICE


class GuildEvents(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.bot.guild_lifecycle.channel_deleted(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.guild_lifecycle.removed(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.guild_lifecycle.joined(guild.id)

    @commands.Cog.listener()
    async def on_guild_unavailable(self, guild: discord.Guild) -> None:
        self.bot.guild_lifecycle.unavailable(guild.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.bot.guild_lifecycle.available(guild.id)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """Tell a member, once, that their DM subscriptions were paused."""
        if await self.bot.subscriptions.take_dm_pause_notice(interaction.user.id):
            await interaction.followup.send(DM_PAUSED_NOTICE, ephemeral=True)


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(GuildEvents(bot))
