"""Checks that a channel or role chosen in `/settings` will actually work."""

from __future__ import annotations

import discord

from bot.domain.audience import RoleFacts, plain_role_problem
from bot.domain.errors import InvalidInput

NEEDED_IN_CHANNEL = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}


def _me(interaction: discord.Interaction) -> discord.Member:
    guild = interaction.guild
    if guild is None or guild.me is None:
        raise InvalidInput("Airdate can't see this server yet; try again in a minute.")
    return guild.me


def require_can_post(
    interaction: discord.Interaction, channel: discord.abc.GuildChannel | discord.Thread
) -> None:
    """Refuse a channel Airdate cannot post announcements in, naming what is missing."""
    granted = channel.permissions_for(_me(interaction))
    missing = [label for name, label in NEEDED_IN_CHANNEL.items() if not getattr(granted, name)]
    if missing:
        raise InvalidInput(
            f"Airdate can't post in {channel.mention}: it lacks {', '.join(missing)} there. "
            "Give the Airdate role those permissions in that channel, then run this again."
        )


def require_pingable(interaction: discord.Interaction, role: discord.Role) -> None:
    """Refuse @everyone, integration roles, and roles Airdate would fail to ping."""
    if role.is_default():
        raise InvalidInput(
            "Airdate never pings @everyone. Create a role such as `Anime Fans` and pick that."
        )
    if role.managed:
        raise InvalidInput(
            f"{role.mention} belongs to an integration. Pick a role members can be given."
        )
    if not role.mentionable and not _me(interaction).guild_permissions.mention_everyone:
        raise InvalidInput(
            f'{role.mention} can\'t be pinged: turn on "Allow anyone to @mention this role" in '
            "Server Settings → Roles, then run this again."
        )


def require_plain_role(interaction: discord.Interaction, role: discord.Role) -> None:
    """Refuse a follow role that `/subscribe` could not safely hand to anyone who asks."""
    me = _me(interaction)
    guild = me.guild
    everyone = guild.default_role.permissions.value
    problem = plain_role_problem(
        RoleFacts(
            is_everyone=role.is_default(),
            managed=role.managed,
            below_bot=role < me.top_role,
            extra_permissions=bool(role.permissions.value & ~everyone),
            pingable=role.mentionable or me.guild_permissions.mention_everyone,
        )
    )
    if problem is not None:
        raise InvalidInput(f"{role.mention}: {problem}")
