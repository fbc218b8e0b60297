"""Follows and subscriptions: every channel and member gets exactly what it is owed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import Server
from tests.simulator.models import SimMember
from tests.support.harness import RunningBot, dump_database, start_bot, wait_until

MANAGE_MESSAGES = 1 << 13


async def add_show(server: Server, title: str, label: str | None = None) -> str:
    options: dict[str, object] = {"title": title, "when": "in 1h"}
    if label:
        options["label"] = label
    await server.mod("release add", options)
    [choice] = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.moderator,
        "follow",
        {"show": title},
        focused="show",
    )
    return str(choice["value"])


async def test_one_release_reaches_three_channels_and_twenty_dm_subscribers(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    anime = sim.add_channel(server.guild, name="anime")
    clips = sim.add_channel(server.guild, name="clips")
    frieren_fans = sim.add_role(server.guild, name="Frieren fans", mentionable=True)
    all_fans = sim.add_role(server.guild, name="Everything fans", mentionable=True)
    members = [sim.add_member(server.guild, name=f"fan{i}") for i in range(20)]
    await sim.wait_for_gateway()

    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings role", {"role": server.fans})
    await server.mod("settings reminders", {"offsets": "2s"})
    show = await add_show(server, "Frieren")
    await server.mod("follow", {"show": show, "channel": anime, "role": frieren_fans})
    await server.mod("follow", {"show": "all", "channel": anime, "role": all_fans})
    await server.mod("follow", {"show": show, "channel": clips})
    for member in members:
        reply = await sim.invoke(
            server.guild, server.general, member, "subscribe", {"show": show, "via": "dm"}
        )
        assert "DM" in (reply.content or "")
    await server.mod("release edit", {"release": "Frieren", "when": "in 4s"})

    def done() -> bool:
        channels = [server.announcements, anime, clips]
        return all(len(sim.messages(c)) == 2 for c in channels) and all(
            len(sim.dm_messages(m)) == 2 for m in members
        )

    await wait_until(done, 8, "every channel and subscriber to get a reminder and announcement")
    expected_pings = {
        server.announcements.id: {server.fans.id},
        anime.id: {frieren_fans.id, all_fans.id},
        clips.id: set(),
    }
    for channel_id, roles in expected_pings.items():
        reminder, announcement = sim.messages(channel_id)
        assert "premieres" in reminder.content and "is out" in announcement.content
        for message in (reminder, announcement):
            pings = sim.pings(message)
            assert pings.roles == roles and not pings.everyone and not pings.users
    for member in members:
        reminder, announcement = sim.dm_messages(member)
        assert "premieres" in reminder.content and "is out" in announcement.content
        assert sim.pings(announcement).nobody
    await asyncio.sleep(0.5)
    assert len(sim.messages(anime)) == 2  # covered twice, posted once per event


async def test_subscribing_by_role_hands_out_the_follow_role(
    server: Server, airdate: RunningBot
) -> None:
    show = await add_show(server, "Dandadan")
    refused = await server.user("subscribe", {"show": show, "via": "role"})
    assert refused.ephemeral and "via: dm" in (refused.content or "")

    role = server.sim.add_role(server.guild, name="Dandadan fans", mentionable=True)
    await server.sim.wait_for_gateway()
    await server.mod("follow", {"show": show, "channel": server.announcements, "role": role})
    reply = await server.user("subscribe", {"show": show})
    assert f"<@&{role.id}>" in (reply.content or "")
    assert role.id in server.member.role_ids
    listing = await server.user("subscriptions")
    assert "Dandadan" in listing.embeds[0]["description"]
    gone = await server.user("unsubscribe", {"show": show})
    assert "taken back" in (gone.content or "")
    assert role.id not in server.member.role_ids


async def test_follow_refuses_roles_that_would_hand_out_power(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    show = await add_show(server, "Kaiju No. 8")
    mods = server.sim.add_role(
        server.guild, name="Helpers", mentionable=True, permissions=MANAGE_MESSAGES
    )
    bots = server.sim.add_role(server.guild, name="Some Bot", mentionable=True, managed=True)
    quiet = server.sim.add_role(server.guild, name="Quiet", mentionable=False)
    await server.sim.wait_for_gateway()
    before = dump_database(db_path)
    for role, says in [
        (mods, "permissions beyond @everyone"),
        (bots, "integration"),
        (quiet, "can't be pinged"),
    ]:
        reply = await server.mod(
            "follow", {"show": show, "channel": server.announcements, "role": role}
        )
        assert reply.ephemeral and says in (reply.content or ""), reply.content
    assert dump_database(db_path) == before


async def test_remind_me_button_subscribes_and_survives_a_restart(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await add_show(server, "Blue Lock")
    card = await server.user("countdown", {"release": "Blue Lock"})
    [button] = [c for row in card.components for c in row["components"]]
    assert button["label"] == "Remind me"
    clicked = await server.sim.click(
        card, button["custom_id"], server.guild, server.general, server.member
    )
    assert clicked.ephemeral and "Subscribed to **Blue Lock**" in (clicked.content or "")

    await airdate.stop()
    restarted = await start_bot(server.sim, db_path)
    try:
        other: SimMember = server.sim.add_member(server.guild, name="late-clicker")
        again = await server.sim.click(
            card, button["custom_id"], server.guild, server.general, other
        )
        assert "Subscribed to **Blue Lock**" in (again.content or "")
        assert not restarted.unexpected_errors
    finally:
        await restarted.stop()


async def test_closed_dms_pause_subscriptions_and_the_member_is_told_once(
    server: Server, airdate: RunningBot
) -> None:
    closed = server.sim.add_member(server.guild, name="private", accepts_dms=False)
    await server.mod("settings reminders", {"offsets": "none"})
    show = await add_show(server, "Mashle")
    await server.sim.invoke(
        server.guild, server.general, closed, "subscribe", {"show": show, "via": "dm"}
    )
    await server.mod("release edit", {"release": "Mashle", "when": "in 2s"})
    await wait_until(lambda: any(r.status == 403 for r in server.sim.requests), 5, "the refused DM")
    # Outcomes are recorded in batches a moment after Discord answers.
    paused = "SELECT user_id FROM dm_pauses"
    await wait_until(lambda: bool(airdate.database_rows(paused)), 2, "the pause recorded")

    reply = await server.sim.invoke(server.guild, server.general, closed, "help", {})
    if not reply.followups:
        await server.sim.wait_for_update(reply, 2)
    assert "subscriptions are paused" in " ".join(m.content for m in reply.followups)
    again = await server.sim.invoke(server.guild, server.general, closed, "help", {})
    await asyncio.sleep(0.3)
    assert not again.followups  # told once
    listing = await server.sim.invoke(server.guild, server.general, closed, "subscriptions", {})
    assert "paused" in listing.embeds[0]["description"]


async def test_episodes_false_keeps_premieres_and_finales_only(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings reminders", {"offsets": "none"})
    show = await add_show(server, "One Piece", "Episode 1")
    await server.mod("release add", {"title": "One Piece", "label": "Episode 2", "when": "in 1h"})
    await server.mod("follow", {"show": show, "channel": server.announcements, "episodes": False})
    for label, when in [("Episode 1", "in 2s"), ("Episode 2", "in 2s")]:
        [choice] = await server.sim.autocomplete(
            server.guild,
            server.general,
            server.moderator,
            "release edit",
            {"release": f"One Piece — {label}"},
            focused="release",
        )
        await server.mod("release edit", {"release": choice["value"], "when": when})
    await wait_until(lambda: len(server.sim.messages(server.announcements)) >= 1, 5, "premiere")
    await asyncio.sleep(1.5)  # Episode 2 was due too: it must not arrive
    [message] = server.sim.messages(server.announcements)
    assert "Episode 1" in message.content and "Episode 2" not in message.content
    listing = await server.mod("follows")
    assert "premieres/finales/movies only" in listing.embeds[0]["description"]


async def test_permissions_are_enforced_for_follow_commands(
    server: Server, airdate: RunningBot
) -> None:
    for command, options in [
        ("follow", {"show": "all", "channel": server.announcements}),
        ("unfollow", {"show": "all", "channel": server.announcements}),
        ("follows", {}),
    ]:
        reply = await server.user(command, options)
        assert reply.ephemeral and "Manage Server" in (reply.content or "")
