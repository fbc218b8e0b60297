"""A follow's role, handed out and taken back: Discord's refusals explained, nothing changed."""

from __future__ import annotations

from pathlib import Path

from bot.client import UNEXPECTED_ERROR_REPLY
from tests.conftest import Server
from tests.simulator import Perm, SimRole
from tests.support.harness import RunningBot, dump_database

ABOVE_AIRDATE = 20  # the simulated Airdate role sits at 10


async def followed_with_role(server: Server, title: str) -> tuple[str, SimRole]:
    """A show followed into #announcements with a fresh plain role; return its id and role."""
    await server.mod("release add", {"title": title, "when": "in 1h"})
    [choice] = await server.sim.autocomplete(
        server.guild, server.general, server.moderator, "follow", {"show": title}, focused="show"
    )
    role = server.sim.add_role(server.guild, name=f"{title} fans", mentionable=True)
    await server.sim.wait_for_gateway()
    show = str(choice["value"])
    await server.mod("follow", {"show": show, "channel": server.announcements, "role": role})
    return show, role


def role_requests(server: Server, method: str) -> list[int | None]:
    """The statuses Discord answered to the bot's role grants (PUT) or removals (DELETE)."""
    return [
        r.status
        for r in server.sim.requests
        if r.method == method and "/roles/" in r.path and "/members/" in r.path
    ]


async def test_unsubscribe_takes_the_role_back_first_and_a_refusal_changes_nothing(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    show, role = await followed_with_role(server, "Dandadan")
    subscribed = await server.user("subscribe", {"show": show, "via": "role"})
    assert role.id in server.member.role_ids, subscribed.content
    # A moderator moves the role above Airdate's: Discord now refuses to take it back.
    await server.sim.update_role(role, position=ABOVE_AIRDATE)
    before = dump_database(db_path)

    refused = await server.user("unsubscribe", {"show": show})
    assert refused.ephemeral
    says = refused.content or ""
    assert "above Airdate's highest role" in says and "move Airdate's role above it" in says
    assert "Nothing was changed" in says
    assert role_requests(server, "DELETE") == [403]
    assert role.id in server.member.role_ids
    assert dump_database(db_path) == before
    listing = await server.user("subscriptions")
    assert "Dandadan" in listing.embeds[0]["description"]

    # Fixed as the reply says: the same command now works, role first.
    await server.sim.update_role(role, position=1)
    done = await server.user("unsubscribe", {"show": show})
    assert "the role was taken back" in (done.content or "")
    assert role.id not in server.member.role_ids
    listing = await server.user("subscriptions")
    assert "None yet" in listing.embeds[0]["description"]


async def test_unsubscribe_from_a_deleted_role_says_to_recreate_the_follow(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    show, role = await followed_with_role(server, "Frieren")
    await server.user("subscribe", {"show": show, "via": "role"})
    await server.sim.delete_role(role)
    before = dump_database(db_path)

    refused = await server.user("unsubscribe", {"show": show})
    says = refused.content or ""
    assert refused.ephemeral and says != UNEXPECTED_ERROR_REPLY
    assert "no longer exists" in says and "re-create the follow" in says
    assert "Nothing was changed" in says
    assert role_requests(server, "DELETE") == [404]
    assert dump_database(db_path) == before


async def test_subscribe_to_a_deleted_role_says_so_and_stores_nothing(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    show, role = await followed_with_role(server, "Mashle")
    await server.sim.delete_role(role)
    before = dump_database(db_path)

    refused = await server.user("subscribe", {"show": show, "via": "role"})
    says = refused.content or ""
    assert refused.ephemeral and says != UNEXPECTED_ERROR_REPLY
    assert "no longer exists" in says and "re-create the follow" in says and "via: dm" in says
    assert dump_database(db_path) == before
    # The control: by DM still works.
    by_dm = await server.user("subscribe", {"show": show, "via": "dm"})
    assert "Subscribed to **Mashle**" in (by_dm.content or "")


async def test_subscribe_refuses_a_role_that_gained_power_since_it_was_followed(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    show, role = await followed_with_role(server, "Kaiju No. 8")
    await server.sim.update_role(role, permissions=Perm.MANAGE_ROLES)
    before = dump_database(db_path)

    refused = await server.user("subscribe", {"show": show, "via": "role"})
    says = refused.content or ""
    assert refused.ephemeral and "permissions beyond @everyone's" in says
    assert role_requests(server, "PUT") == []  # Discord was never asked
    assert role.id not in server.member.role_ids
    assert dump_database(db_path) == before

    await server.sim.update_role(role, permissions=0)
    granted = await server.user("subscribe", {"show": show, "via": "role"})
    assert f"<@&{role.id}>" in (granted.content or "")
    assert role.id in server.member.role_ids
