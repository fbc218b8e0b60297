"""The one rule for roles: which Airdate may ping, and which it may hand to anyone who asks."""

from __future__ import annotations

import pytest

from bot.domain.roles import RoleFacts, RoleUse, role_problem

PLAIN = RoleFacts(
    is_everyone=False, managed=False, below_bot=True, extra_permissions=False, pingable=True
)
PING, HAND_OUT = RoleUse.PING, RoleUse.HAND_OUT


def facts(**changes: bool) -> RoleFacts:
    values = {
        "is_everyone": PLAIN.is_everyone,
        "managed": PLAIN.managed,
        "below_bot": PLAIN.below_bot,
        "extra_permissions": PLAIN.extra_permissions,
        "pingable": PLAIN.pingable,
    }
    return RoleFacts(**{**values, **changes})


@pytest.mark.parametrize(
    ("role", "use", "says"),
    [
        (PLAIN, PING, None),
        (PLAIN, HAND_OUT, None),
        (facts(is_everyone=True), PING, "never pings @everyone"),
        (facts(is_everyone=True), HAND_OUT, "never pings @everyone"),
        (facts(managed=True), PING, "belongs to an integration"),
        (facts(managed=True), HAND_OUT, "belongs to an integration"),
        (facts(pingable=False), PING, "Allow anyone to @mention this role"),
        (facts(pingable=False), HAND_OUT, "Allow anyone to @mention this role"),
        # Only a role handed out must be below Airdate and carry no power of its own.
        (facts(below_bot=False), PING, None),
        (facts(below_bot=False), HAND_OUT, "Move Airdate's role above it"),
        (facts(extra_permissions=True), PING, None),
        (facts(extra_permissions=True), HAND_OUT, "permissions beyond @everyone's"),
        # The first problem is the one to fix first: @everyone before anything else.
        (facts(is_everyone=True, managed=True, pingable=False), HAND_OUT, "@everyone"),
        (facts(below_bot=False, extra_permissions=True), HAND_OUT, "above Airdate's"),
    ],
)
def test_role_problem(role: RoleFacts, use: RoleUse, says: str | None) -> None:
    problem = role_problem(role, use)
    if says is None:
        assert problem is None
    else:
        assert problem is not None and says in problem
