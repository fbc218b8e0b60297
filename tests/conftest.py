"""Shared fixtures: a local Discord with one guild, and the real bot running against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from tests.simulator import DiscordSimulator
from tests.simulator.models import InteractionReply, SimChannel, SimGuild, SimMember, SimRole
from tests.support.harness import RunningBot, start_bot

MANAGE_GUILD = 1 << 5


@dataclass
class Server:
    """The guild the tests play in: its channels, roles and people."""

    sim: DiscordSimulator
    guild: SimGuild
    announcements: SimChannel
    general: SimChannel
    fans: SimRole
    moderator: SimMember
    member: SimMember

    async def mod(self, command: str, options: dict[str, object] | None = None) -> InteractionReply:
        return await self.sim.invoke(
            self.guild,
            self.general,
            self.moderator,
            command,
            options or {},
            permissions=MANAGE_GUILD,
        )

    async def user(
        self, command: str, options: dict[str, object] | None = None
    ) -> InteractionReply:
        return await self.sim.invoke(
            self.guild, self.general, self.member, command, options or {}, permissions=0
        )


@pytest.fixture
def sim_short_nonce() -> None:
    """Ask for it in a test to make the simulated Discord forget nonces after 1 s."""


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[DiscordSimulator]:
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    short = "sim_short_nonce" in request.fixturenames
    simulator = DiscordSimulator(nonce_window_seconds=1.0 if short else 300.0)
    await simulator.start()
    yield simulator
    await simulator.stop()
    discord.http.Route.BASE = original_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = original_gateway


@pytest.fixture
def server(sim: DiscordSimulator) -> Server:
    guild = sim.add_guild(name="Anime Hub")
    return Server(
        sim=sim,
        guild=guild,
        announcements=sim.add_channel(guild, name="announcements"),
        general=sim.add_channel(guild, name="chat"),
        fans=sim.add_role(guild, name="Anime Fans", mentionable=True),
        moderator=sim.add_member(guild, name="mod", permissions=MANAGE_GUILD),
        member=sim.add_member(guild, name="alice"),
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "airdate.db"


@pytest.fixture
async def airdate(server: Server, db_path: Path) -> AsyncIterator[RunningBot]:
    running = await start_bot(server.sim, db_path)
    yield running
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors
