"""Small helpers every cog uses to read who is asking and from where."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import AirdateBot
from bot.domain.errors import NotAllowed
from bot.ui import audiences


def bot_of(interaction: discord.Interaction) -> AirdateBot:
    client = interaction.client
    assert isinstance(client, AirdateBot)
    return client


def guild_id_of(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise NotAllowed("Airdate's commands work inside a server, not in direct messages.")
    return interaction.guild_id


def require_manage_guild(interaction: discord.Interaction) -> bool:
    """Enforce Manage Server in code: `default_permissions` is only a default admins can change."""
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


async def show_choices(
    interaction: discord.Interaction, current: str, *, include_all: bool
) -> list[app_commands.Choice[str]]:
    """Autocomplete a `show` option from the guild's shows (and `all` where it fits)."""
    found = await bot_of(interaction).follows.suggest_shows(guild_id_of(interaction), current)
    return audiences.show_choices(found, current, include_all=include_all)
