"""Which mentions in a message really ping, per Discord's rules."""

from __future__ import annotations

import re

from tests.simulator.models import Pings, SimMessage

_EVERYONE = re.compile(r"@(everyone|here)")
_ROLE = re.compile(r"<@&(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")


def parse_mentions(content: str) -> tuple[bool, set[int], set[int]]:
    """Mentions written in ``content``: (@everyone/@here, role ids, user ids)."""
    everyone = _EVERYONE.search(content) is not None
    roles = {int(m) for m in _ROLE.findall(content)}
    users = {int(m) for m in _USER.findall(content)}
    return everyone, roles, users


def compute_pings(
    message: SimMessage,
    *,
    mentionable_roles: set[int],
    author_can_mention_everyone: bool,
) -> Pings:
    """Apply ``allowed_mentions`` and role mentionability to what the content mentions.

    Embeds never ping. Without ``allowed_mentions`` everything parsed pings; with it, a kind
    pings only when listed in ``parse`` or (roles/users) explicitly by id. A role ping also
    needs the role to be mentionable or the author to hold MENTION_EVERYONE.
    """
    everyone, roles, users = parse_mentions(message.content)
    allowed = message.allowed_mentions
    if allowed is not None:
        parse = set(allowed.get("parse") or [])
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
        allowed_users = {int(u) for u in allowed.get("users") or []}
        everyone = everyone and "everyone" in parse
        if "roles" not in parse:
            roles &= allowed_roles
        if "users" not in parse:
            users &= allowed_users
    if not author_can_mention_everyone:
        roles &= mentionable_roles
    return Pings(everyone=everyone, roles=frozenset(roles), users=frozenset(users))
