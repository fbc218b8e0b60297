"""`/countdown` and `/upcoming`: anyone looks up what is coming.

Both answer in the channel, so they defer publicly (`in_channel`) before reading the
database; what can be checked without it is checked first, so a typo is answered to the
user alone without a public "thinking" message ever showing.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.domain import durations
from bot.ui import replies
from bot.ui.paging import UpcomingPages
from bot.ui.remind import remind_view
from cogs._context import answer, guild_id_of, in_channel
from cogs.releases import release_autocomplete

DEFAULT_WITHIN = "30d"


class CountdownCommands(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @app_commands.guild_only()
    @app_commands.command(name="countdown", description="Show a release with a live countdown")
    @app_commands.describe(release="The release (pick from the list)")
    @app_commands.autocomplete(release=release_autocomplete)
    async def countdown(self, interaction: discord.Interaction, release: str) -> None:
        guild_id = guild_id_of(interaction)
        async with in_channel(interaction):
            found = await self.bot.releases.get(guild_id, release)
            view = remind_view([found.show.id])
            assert view is not None
            card = replies.release_card(found)
            await answer(interaction, embed=card, view=view, ephemeral=False)

    @app_commands.guild_only()
    @app_commands.command(name="upcoming", description="Upcoming releases, soonest first")
    @app_commands.describe(within="How far ahead to look, e.g. 7d or 12h (default 30d)")
    async def upcoming(self, interaction: discord.Interaction, within: str | None = None) -> None:
        window = durations.parse_duration(
            within if within is not None else DEFAULT_WITHIN,
            hint="Type how far ahead to look, like `7d`, `12h` or `30d`.",
        )
        guild_id = guild_id_of(interaction)
        async with in_channel(interaction):
            found = await self.bot.releases.upcoming(guild_id, window)
            pages = UpcomingPages(
                found.releases,
                within_text=f"next {durations.format_duration(window)}",
                more=found.more,
            )
            await answer(interaction, embed=pages.embed(), view=pages.view(), ephemeral=False)


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(CountdownCommands(bot))
