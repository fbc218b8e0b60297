"""Small helpers every cog uses to read who is asking and from where, and to answer.

Discord drops an interaction that is not answered within 3 s, and a command that writes to
the database or reads it may wait behind the delivery engine's transactions. So such
commands acknowledge first (`defer`, or `in_channel` for the public answers) and send their
answer through `answer`, which uses the followup webhook once the response is deferred.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import discord
from discord import app_commands
from discord.utils import MISSING

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


async def defer(interaction: discord.Interaction) -> None:
    """Acknowledge now with an ephemeral "thinking" message that the answer will fill in.

    Everything sent after it, hints about bad input included, is then seen by the user alone.
    """
    await interaction.response.defer(ephemeral=True, thinking=True)


@contextlib.asynccontextmanager
async def in_channel(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Acknowledge now with a public "thinking" message, for an answer the channel sees.

    If the command then fails, the public message is taken back first, so the error
    handler's hint becomes a new message only the user sees (the first followup after a
    deferral would otherwise fill in the public one). Check what is cheap to check before.
    """
    await interaction.response.defer(thinking=True)
    try:
        yield
    except Exception:
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
        raise


async def answer(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
    file: discord.File | None = None,
) -> None:
    """Send the command's answer: the response, or the followup once it was deferred.

    After a deferral the visibility was fixed by the deferral; `ephemeral` must match it.
    """
    embed_or_missing = MISSING if embed is None else embed
    view_or_missing = MISSING if view is None else view
    file_or_missing = MISSING if file is None else file
    if interaction.response.is_done():
        await interaction.followup.send(
            MISSING if content is None else content,
            embed=embed_or_missing,
            view=view_or_missing,
            ephemeral=ephemeral,
            file=file_or_missing,
        )
    else:
        await interaction.response.send_message(
            content,
            embed=embed_or_missing,
            view=view_or_missing,
            ephemeral=ephemeral,
            file=file_or_missing,
        )
