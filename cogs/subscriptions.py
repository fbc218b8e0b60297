"""`/subscribe`, `/unsubscribe`, `/subscriptions`: members choose what they hear about."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.domain.models import Via
from bot.ui import audiences
from bot.ui.member_roles import take_role
from bot.ui.remind import subscribe_member
from cogs._context import answer, defer, guild_id_of, show_choices


async def show_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await show_choices(interaction, current, include_all=False)


class SubscriptionCommands(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    @app_commands.guild_only()
    @app_commands.command(name="subscribe", description="Hear about a show's releases")
    @app_commands.describe(
        show="The show (pick from the list)",
        via="role: take the show's ping role · dm: get DMs (default: role if there is one)",
    )
    @app_commands.autocomplete(show=show_autocomplete)
    async def subscribe(
        self, interaction: discord.Interaction, show: str, via: Via | None = None
    ) -> None:
        await defer(interaction)
        reply = await subscribe_member(interaction, self.bot.subscriptions, show, via)
        await answer(interaction, reply)

    @app_commands.guild_only()
    @app_commands.command(name="unsubscribe", description="Stop hearing about a show")
    @app_commands.describe(show="The show (pick from the list)")
    @app_commands.autocomplete(show=show_autocomplete)
    async def unsubscribe(self, interaction: discord.Interaction, show: str) -> None:
        await defer(interaction)
        guild_id, member = guild_id_of(interaction), interaction.user
        plan = await self.bot.subscriptions.unsubscribe_plan(guild_id, member.id, show)
        if plan.role_id is not None and isinstance(member, discord.Member):
            await take_role(interaction, member, plan.role_id)  # refused: nothing forgotten
        result = await self.bot.subscriptions.unsubscribe(guild_id, member.id, plan.show.id)
        await answer(interaction, audiences.unsubscribed(result))

    @app_commands.guild_only()
    @app_commands.command(name="subscriptions", description="The shows you are subscribed to")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        found, paused = await self.bot.subscriptions.listing(
            guild_id_of(interaction), interaction.user.id
        )
        await answer(interaction, embed=audiences.subscriptions_embed(found, paused))


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(SubscriptionCommands(bot))
