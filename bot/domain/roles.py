"""Which roles Airdate may ping, and which it may hand to any member who asks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class RoleUse(Enum):
    #: The announcement channel's ping role: pinged, never handed out.
    PING = "ping"
    #: A follow's role: `/subscribe` hands it to whoever asks, so it must carry no power.
    HAND_OUT = "hand out"


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What Discord says about a role, for deciding if members may be handed it."""

    is_everyone: bool
    managed: bool
    below_bot: bool
    extra_permissions: bool
    pingable: bool


def role_problem(role: RoleFacts, use: RoleUse) -> str | None:
    """Say why a role can't serve `use`, with the fix, or None if it can."""
    if role.is_everyone:
        return "Airdate never pings @everyone. Create a role such as `Anime Fans` and pick that."
    if role.managed:
        return "That role belongs to an integration. Pick a role members can be given."
    if use is RoleUse.HAND_OUT and not role.below_bot:
        return (
            "That role is above Airdate's highest role, so Airdate could not hand it out. "
            "Move Airdate's role above it in Server Settings → Roles, or pick a lower role."
        )
    if use is RoleUse.HAND_OUT and role.extra_permissions:
        return (
            "That role grants permissions beyond @everyone's, and `/subscribe` would hand it to "
            "anyone. Pick a role with no permissions of its own."
        )
    if not role.pingable:
        return (
            'That role can\'t be pinged: turn on "Allow anyone to @mention this role" in '
            "Server Settings → Roles, then run this again."
        )
    return None
