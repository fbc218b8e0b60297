"""Checks that a channel or role chosen in a command will actually work."""

from __future__ import annotations

import discord

from bot.domain.errors import InvalidInput
from bot.domain.roles import RoleFacts, RoleUse, role_problem

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


def role_facts(me: discord.Member, role: discord.Role) -> RoleFacts:
    """What the domain's role rule needs to know about `role`, as Airdate (`me`) sees it."""
    everyone = me.guild.default_role.permissions.value
    return RoleFacts(
        is_everyone=role.is_default(),
        managed=role.managed,
        below_bot=role < me.top_role,
        extra_permissions=bool(role.permissions.value & ~everyone),
        pingable=role.mentionable or me.guild_permissions.mention_everyone,
    )


def role_refusal(interaction: discord.Interaction, role: discord.Role, use: RoleUse) -> str | None:
    """Say why `role` can't serve `use` here (the domain's rule), or None if it can."""
    problem = role_problem(role_facts(_me(interaction), role), use)
    return None if problem is None else f"{role.mention}: {problem}"


def require_pingable(interaction: discord.Interaction, role: discord.Role) -> None:
    """Refuse @everyone, integration roles, and roles Airdate would fail to ping."""
    refusal = role_refusal(interaction, role, RoleUse.PING)
    if refusal is not None:
        raise InvalidInput(refusal)


def require_plain_role(interaction: discord.Interaction, role: discord.Role) -> None:
    """Refuse a follow role that `/subscribe` could not safely hand to anyone who asks."""
    refusal = role_refusal(interaction, role, RoleUse.HAND_OUT)
    if refusal is not None:
        raise InvalidInput(refusal)


def can_create_events(guild: discord.Guild | None) -> bool:
    """Whether Airdate holds Create Events server-wide (enough for its own events)."""
    me = None if guild is None else guild.me
    return me is not None and me.guild_permissions.create_events
