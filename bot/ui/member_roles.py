"""Handing a follow's role to a member and taking it back, saying plainly when Discord won't.

Both happen before the subscription is stored or forgotten, so a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable

import discord

from bot.domain.errors import InvalidInput
from bot.domain.roles import RoleUse
from bot.ui.permissions import role_refusal

#: Discord's codes for a role that is gone, and for one Airdate may not give or take.
UNKNOWN_ROLE = 10011
MISSING_PERMISSIONS = 50013

OR_DM = "Meanwhile you can subscribe with `via: dm`."
NOTHING_CHANGED = "Nothing was changed."


async def give_role(interaction: discord.Interaction, member: discord.Member, role_id: int) -> None:
    """Give `member` a follow's role, or refuse (changing nothing) with what would fix it."""
    role = member.guild.get_role(role_id)
    if role is None:
        raise InvalidInput(f"{_gone()} {OR_DM}")
    # The role was checked when it was followed; it may have gained power since.
    refusal = role_refusal(interaction, role, RoleUse.HAND_OUT)
    if refusal is not None:
        raise InvalidInput(
            f"Airdate won't hand out that role as it is now. A moderator can fix it: {refusal} "
            f"{OR_DM}"
        )
    _require_manage_roles(interaction, "give you the role", OR_DM)
    adding = member.add_roles(discord.Object(id=role_id), reason="/subscribe")
    await _unless_refused(adding, "give you", role_id, OR_DM)


async def take_role(interaction: discord.Interaction, member: discord.Member, role_id: int) -> None:
    """Take a follow's role back from `member`, or refuse (changing nothing) with the fix."""
    _require_manage_roles(interaction, "take the role back", NOTHING_CHANGED)
    removing = member.remove_roles(discord.Object(id=role_id), reason="/unsubscribe")
    await _unless_refused(removing, "take back", role_id, NOTHING_CHANGED)


async def _unless_refused(change: Awaitable[None], verb: str, role_id: int, after: str) -> None:
    """Make the role change; Discord refusing it (the role above Airdate's, or gone)
    becomes the reply that says what would fix it."""
    try:
        await change
    except discord.HTTPException as error:
        refused = _refused(verb, role_id, error)
        if refused is None:
            raise
        raise InvalidInput(f"{refused} {after}") from error


def _require_manage_roles(interaction: discord.Interaction, to: str, after: str) -> None:
    if not interaction.app_permissions.manage_roles:
        raise InvalidInput(
            f"Airdate needs the **Manage Roles** permission to {to}. Ask a moderator to grant "
            f"it, then run this again. {after}"
        )


def _gone() -> str:
    return (
        "That show's role no longer exists on this server. Ask a moderator to re-create the "
        "follow: `/follow` the show again with a role that exists."
    )


def _refused(doing: str, role_id: int, error: discord.HTTPException) -> str | None:
    """Discord's refusal to give or take a role, in words with the fix; None if unforeseen."""
    if error.code == UNKNOWN_ROLE:
        return _gone()
    if error.code == MISSING_PERMISSIONS:
        return (
            f"Discord did not let Airdate {doing} <@&{role_id}>: that role is above Airdate's "
            "highest role. Ask a moderator to move Airdate's role above it in Server Settings "
            "→ Roles, then run this again."
        )
    return None
