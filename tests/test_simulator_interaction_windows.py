"""The simulator holds a bot to Discord's interaction windows: 3 s to answer, 15 min to follow up.

Most tests drive the simulator's clock by hand, so "3.5 s later" takes no time; one uses the
real monotonic clock with a shrunk window.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.simulator import DiscordSimulator, SimChannel, SimGuild, SimMember


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    sim: DiscordSimulator
    clock: FakeClock
    bot: WindowBot
    guild: SimGuild
    channel: SimChannel
    alice: SimMember

    async def run(self, command: str) -> None:
        await self.sim.invoke(self.guild, self.channel, self.alice, command, {})

    async def refused(self) -> discord.HTTPException:
        """The HTTP error the bot's command met (it is reported after Discord's answer)."""
        for _ in range(200):
            if self.bot.errors:
                break
            await asyncio.sleep(0.01)
        [error] = self.bot.errors
        assert isinstance(error, app_commands.CommandInvokeError)
        assert isinstance(error.original, discord.HTTPException)
        self.bot.errors.clear()
        return error.original


class WindowBot(commands.Bot):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.none(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.clock = clock
        self.errors: list[app_commands.AppCommandError] = []
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.tree.add_command(self._commands())

    def _commands(self) -> app_commands.Group:
        group = app_commands.Group(name="answer", description="Answers at chosen moments")
        clock = self.clock

        @group.command(name="now", description="Answers at once")
        async def now(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("on time", ephemeral=True)

        @group.command(name="late", description="Answers 3.5 s after the interaction")
        async def late(interaction: discord.Interaction) -> None:
            clock.now += 3.5
            await interaction.response.send_message("too late", ephemeral=True)

        @group.command(name="deferred", description="Defers at once, follows up at once")
        async def deferred(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("followed up", ephemeral=True)

        @group.command(name="stale-followup", description="Defers, follows up after the window")
        async def stale_followup(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            clock.now += 61.0
            await interaction.followup.send("followed up too late", ephemeral=True)

        @group.command(name="stale-edit", description="Defers, edits after the window")
        async def stale_edit(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            clock.now += 61.0
            await interaction.edit_original_response(content="edited too late")

        @group.command(name="slow-followup", description="Defers, follows up 0.4 s later")
        async def slow_followup(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await asyncio.sleep(0.4)
            await interaction.followup.send("followed up slowly", ephemeral=True)

        return group

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    sim = DiscordSimulator(clock=clock)
    await sim.start()
    guild = sim.add_guild(name="Anime Hub")
    alice = sim.add_member(guild, name="alice")
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = sim.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    bot = WindowBot(clock)
    try:
        await bot.login(sim.token)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield Env(sim, clock, bot, guild, guild.general, alice)
        assert not task.done(), "the bot's connection task died"
        assert bot.errors == []
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await sim.stop()


async def test_the_windows_are_discords_by_default(env: Env) -> None:
    assert env.sim.callback_window_seconds == 3.0
    assert env.sim.followup_window_seconds == 15 * 60.0


async def test_a_callback_at_once_is_accepted(env: Env) -> None:
    reply = await env.sim.invoke(env.guild, env.channel, env.alice, "answer now", {})
    assert reply.type == 4 and reply.content == "on time"
    assert env.sim.late_callbacks == [] and env.sim.late_followups == []


async def test_a_callback_after_3_5_seconds_is_unknown_interaction(env: Env) -> None:
    with pytest.raises(TimeoutError, match="too late"):
        await env.run("answer late")
    refused = await env.refused()
    assert refused.status == 404 and refused.code == 10062
    [late] = env.sim.late_callbacks
    assert late.route == "callback" and late.code == 10062 and late.label == "/answer late"
    assert late.age == pytest.approx(3.5)
    assert env.sim.interaction_replies == []  # nothing reached the user
    callbacks = [r for r in env.sim.requests if r.path.endswith("/callback")]
    assert [r.status for r in callbacks] == [404]


async def test_a_deferral_then_a_followup_in_time_is_accepted(env: Env) -> None:
    env.sim.followup_window_seconds = 60.0
    reply = await env.sim.invoke(env.guild, env.channel, env.alice, "answer deferred", {})
    assert reply.type == 5 and reply.content == "followed up" and reply.ephemeral
    assert reply.followups == []  # it filled in the deferred response
    assert env.sim.late_followups == []


@pytest.mark.parametrize(
    ("command", "route"), [("stale-followup", "followup"), ("stale-edit", "edit")]
)
async def test_the_webhook_token_expires_after_the_followup_window(
    env: Env, command: str, route: str
) -> None:
    env.sim.followup_window_seconds = 60.0
    with pytest.raises(TimeoutError, match="too late"):
        await env.run(f"answer {command}")
    refused = await env.refused()
    assert refused.status == 404 and refused.code == 10015
    [late] = env.sim.late_followups
    assert late.route == route and late.code == 10015 and late.age == pytest.approx(61.0)
    assert env.sim.late_callbacks == []  # the deferral itself was in time
    [reply] = env.sim.interaction_replies
    assert reply.type == 5 and not reply.content  # still "thinking" as far as the user sees


async def test_the_real_clock_measures_the_window_too() -> None:
    sim = DiscordSimulator(followup_window_seconds=0.2)
    await sim.start()
    guild = sim.add_guild(name="Real time")
    alice = sim.add_member(guild, name="alice")
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = sim.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    bot = WindowBot(FakeClock())  # the fake clock is not the simulator's here
    try:
        await bot.login(sim.token)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        env = Env(sim, FakeClock(), bot, guild, guild.general, alice)
        with pytest.raises(TimeoutError, match="too late"):
            await env.run("answer slow-followup")
        assert (await env.refused()).code == 10015
        [late] = sim.late_followups
        assert 0.4 <= late.age < 5.0
        sim.followup_window_seconds = 5.0
        reply = await sim.invoke(guild, guild.general, alice, "answer slow-followup", {})
        assert reply.content == "followed up slowly"
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await sim.stop()
