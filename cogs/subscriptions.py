"""`/subscribe`, `/unsubscribe`, `/subscriptions`: members choose what they hear about.

The Remind me button under announcements and `/countdown` cards subscribes too: its
clicks are answered here, whatever message carries it (`bot/ui/remind.py` builds it).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import UNEXPECTED_ERROR_REPLY, AirdateBot
from bot.domain.errors import NotAllowed, UserError
from bot.domain.models import Via
from bot.services.audiences import SubscriptionService
from bot.ui import audiences
from bot.ui.member_roles import give_role, take_role
from bot.ui.messages import bold_title
from bot.ui.remind import CUSTOM_ID_TEMPLATE, remind_button
from cogs._context import answer, defer, guild_id_of, show_choices


async def show_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await show_choices(interaction, current, include_all=False)


class SubscriptionCommands(commands.Cog):
    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Clicks on any Remind me button, including those posted before a restart.
        self.bot.add_dynamic_items(RemindButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RemindButton)

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


class RemindButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CUSTOM_ID_TEMPLATE,
):
    """Subscribes whoever clicks a Remind me button (`bot.ui.remind`) to its show."""

    def __init__(self, show_id: int) -> None:
        super().__init__(remind_button(show_id))
        self.show_id = show_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RemindButton:
        return cls(int(match["show_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, AirdateBot)
        # Subscribing writes to the database and may hand out a role: acknowledge within
        # Discord's 3 s with a "thinking" message only the clicker sees, then fill it in.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reply = await subscribe_member(interaction, client.subscriptions, self.show_id, None)
        except UserError as error:
            # Button errors do not reach the command tree's handler; answer the hint here
            # rather than leave the clicker looking at "thinking" until the token expires.
            reply = error.message
        except Exception:
            with contextlib.suppress(discord.HTTPException):
                await interaction.followup.send(UNEXPECTED_ERROR_REPLY, ephemeral=True)
            raise  # for the view's error handler to log
        await interaction.followup.send(reply, ephemeral=True)


async def subscribe_member(
    interaction: discord.Interaction,
    subscriptions: SubscriptionService,
    show_ref: str | int,
    via: Via | None,
) -> str:
    """Subscribe whoever is asking, handing them the show's role if that is the way; say how."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        raise NotAllowed("Subscribing works inside a server, not in direct messages.")
    plan = await subscriptions.plan(interaction.guild_id, show_ref, via)
    if plan.role_id is not None:
        await give_role(interaction, interaction.user, plan.role_id)
    added = await subscriptions.subscribe(interaction.guild_id, interaction.user.id, plan)
    title = bold_title(plan.show.title)
    already = "" if added else " (you already were)"
    if plan.via is Via.ROLE:
        return (
            f"Subscribed to {title}{already}: you now have <@&{plan.role_id}>, which is "
            "pinged for each reminder and release."
        )
    return (
        f"Subscribed to {title}{already}: Airdate will DM you at each reminder and at the "
        "release. Make sure you accept DMs from this server's members."
    )


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(SubscriptionCommands(bot))
