"""The "Remind me" button, and subscribing a member however they asked."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.domain.errors import NotAllowed, UserError
from bot.domain.models import Via
from bot.domain.text import truncate
from bot.services.audiences import SubscriptionService
from bot.ui.member_roles import give_role
from bot.ui.messages import bold_title

CUSTOM_ID_PREFIX = "airdate:remind:"


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


class RemindButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"airdate:remind:(?P<show_id>[0-9]{1,20})",
):
    """Subscribes whoever clicks it to the show; works on messages posted before a restart."""

    def __init__(self, show_id: int, label: str = "Remind me") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                emoji="\N{BELL}",
                custom_id=f"{CUSTOM_ID_PREFIX}{show_id}",
            )
        )
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
        from bot.client import UNEXPECTED_ERROR_REPLY, AirdateBot

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


def remind_view(show_ids: Sequence[int], titles: Sequence[str] = ()) -> discord.ui.View | None:
    """A view of Remind me buttons that is not kept in memory: the DynamicItem answers clicks."""
    if not show_ids:
        return None
    view = discord.ui.View(timeout=None)
    for index, show_id in enumerate(show_ids):
        label = "Remind me"
        if len(show_ids) > 1 and index < len(titles):
            label = truncate(f"Remind me: {titles[index]}", 80)
        view.add_item(RemindButton(show_id, label))
    # A stopped view still renders its buttons, but discord.py won't store it per message.
    view.stop()
    return view
