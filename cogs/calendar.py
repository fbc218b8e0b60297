"""`/calendar`: anyone takes the releases home as an .ics file (and the live feed's links)."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.domain.errors import NotFound
from bot.ui import calendar_replies
from cogs._context import answer, defer, guild_id_of, in_channel
from cogs.subscriptions import show_autocomplete

FILENAME = "airdate.ics"


class CalendarCommands(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @app_commands.guild_only()
    @app_commands.command(name="calendar", description="Upcoming releases as a calendar file")
    @app_commands.describe(
        show="Only this show (pick from the list)",
        mine="Only the shows you subscribe to (answered to you alone)",
    )
    @app_commands.autocomplete(show=show_autocomplete)
    async def calendar(
        self, interaction: discord.Interaction, show: str | None = None, mine: bool = False
    ) -> None:
        guild_id = guild_id_of(interaction)
        if mine:
            await defer(interaction)
            await self._answer(interaction, guild_id, show, mine)
        else:
            async with in_channel(interaction):
                await self._answer(interaction, guild_id, show, mine)

    async def _answer(
        self, interaction: discord.Interaction, guild_id: int, show: str | None, mine: bool
    ) -> None:
        calendar = self.bot.calendar
        name = calendar.feeds.name_of(guild_id)
        show_ids: set[int] | None = None
        show_title = None
        if show is not None:
            found = await calendar.service.show(guild_id, show)
            show_ids, show_title, name = {found.id}, found.title, f"{name} — {found.title}"
        if mine:
            subscribed = await calendar.service.subscribed_shows(guild_id, interaction.user.id)
            if not subscribed:
                raise NotFound(calendar_replies.NO_SUBSCRIPTIONS)
            show_ids = subscribed if show_ids is None else show_ids & subscribed
        body, count = await calendar.feeds.export(guild_id, name, show_ids)
        reply = calendar_replies.exported(
            count, await calendar.links(guild_id), show_title=show_title, mine=mine
        )
        file = discord.File(io.BytesIO(body), filename=FILENAME)
        await answer(interaction, reply, file=file, ephemeral=mine)


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(CalendarCommands(bot))
