"""`/help`: what Airdate does and how this server set it up."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.ui.messages import help_embed
from cogs._context import answer, defer


class HelpCommands(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @app_commands.guild_only()
    @app_commands.command(name="help", description="What Airdate does and how it is set up here")
    async def help(self, interaction: discord.Interaction) -> None:
        settings = None
        if interaction.guild_id is not None:
            await defer(interaction)  # reading the settings may wait on the database
            settings = await self.bot.guild_settings.view(interaction.guild_id)
        await answer(interaction, embed=help_embed(settings))


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(HelpCommands(bot))
