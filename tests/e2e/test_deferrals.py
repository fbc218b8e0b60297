"""Commands that touch the database acknowledge within Discord's 3 s, however busy it is.

The simulator refuses a first callback after 3 s (10062), as Discord does; holding the
database's one transaction for longer shows each command defers before it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.conftest import MANAGE_GUILD, Server
from tests.simulator import InteractionReply
from tests.support.harness import RunningBot

BUSY_SECONDS = 3.5
EPHEMERAL_DEFERRAL = {"type": 5, "data": {"flags": 64}}


@asynccontextmanager
async def busy_database(running: RunningBot, seconds: float) -> AsyncIterator[None]:
    """Hold a write transaction open for `seconds`, as a long delivery batch would."""
    holding = asyncio.Event()

    async def hold() -> None:
        async with running.database.transaction():
            holding.set()
            await asyncio.sleep(seconds)

    task = asyncio.create_task(hold())
    await holding.wait()
    try:
        yield
    finally:
        await task


async def test_every_command_answers_in_time_while_the_database_is_busy(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    await server.mod("release add", {"title": "Frieren", "when": "in 2d"})
    card = await server.user("countdown", {"release": "Frieren"})
    [button] = [c for row in card.components for c in row["components"]]

    def mod(
        command: str, options: dict[str, object] | None = None
    ) -> asyncio.Task[InteractionReply]:
        return asyncio.create_task(
            sim.invoke(
                server.guild,
                server.general,
                server.moderator,
                command,
                options or {},
                permissions=MANAGE_GUILD,
                timeout=10,
            )
        )

    def user(
        command: str, options: dict[str, object] | None = None
    ) -> asyncio.Task[InteractionReply]:
        return asyncio.create_task(
            sim.invoke(
                server.guild, server.general, server.member, command, options or {}, timeout=10
            )
        )

    async with busy_database(airdate, BUSY_SECONDS):
        private = {
            "release add": mod("release add", {"title": "Dandadan", "when": "in 3d"}),
            "settings view": mod("settings view"),
            "follows": mod("follows"),
            "help": user("help"),
            "subscriptions": user("subscriptions"),
            "remind me": asyncio.create_task(
                sim.click(
                    card,
                    button["custom_id"],
                    server.guild,
                    server.general,
                    server.member,
                    timeout=10,
                )
            ),
        }
        public = {
            "countdown": user("countdown", {"release": "Frieren"}),
            "upcoming": user("upcoming"),
        }
        await asyncio.sleep(BUSY_SECONDS / 2)
        # Writes wait for the transaction (reads use their own connection and need not).
        assert not any(task.done() for task in (private["release add"], private["remind me"]))

    assert sim.late_callbacks == []
    for name, task in private.items():
        reply = await task
        assert reply.callbacks == [EPHEMERAL_DEFERRAL], name
        assert reply.ephemeral and (reply.content or reply.embeds), name
    for name, task in public.items():
        reply = await task
        assert [c["type"] for c in reply.callbacks] == [5], name
        assert not reply.ephemeral and reply.embeds, name
    assert "Added **Dandadan**" in ((await private["release add"]).content or "")
    assert "Subscribed to **Frieren**" in ((await private["remind me"]).content or "")
    assert (await public["countdown"]).embeds[0]["title"] == "Frieren"
    assert airdate.unexpected_errors == []


async def test_a_public_command_that_fails_leaves_nothing_in_the_channel(
    server: Server, airdate: RunningBot
) -> None:
    missing = await server.user("countdown", {"release": "Naruto"})
    assert [c["type"] for c in missing.callbacks] == [5]  # deferred publicly: it reads the db
    assert missing.ephemeral and "Pick one from the list" in (missing.content or "")
    thinking = [m for m in server.sim.messages(server.general)]
    assert thinking and all(m.deleted for m in thinking)  # the public "thinking" was withdrawn


async def test_a_public_command_with_a_typo_is_answered_before_deferring(
    server: Server, airdate: RunningBot
) -> None:
    reply = await server.user("upcoming", {"within": "forever"})
    assert [c["type"] for c in reply.callbacks] == [4]
    assert reply.ephemeral and "Type how far ahead to look" in (reply.content or "")
    assert server.sim.messages(server.general) == []
