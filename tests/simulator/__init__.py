"""A local Discord (REST API v10 + gateway) for driving an unmodified discord.py client in tests.

Usage::

    sim = DiscordSimulator()
    await sim.start()
    guild = sim.add_guild(name="Anime Hub")
    discord.http.Route.BASE = sim.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    await bot.login(sim.token)
    task = asyncio.create_task(bot.connect())
    ...
    reply = await sim.invoke(guild, guild.general, member, "release add", {"title": "x"})
    ...
    await bot.close()
    await sim.stop()

Modules: ``world`` (state), ``models`` (records and payloads), ``permissions``, ``mentions``,
``validation`` (message limits), ``rest`` (routes, recording, faults), ``gateway``,
``interactions`` (payload building), ``callbacks`` (what the bot answers), ``server`` (facade).
"""

from tests.simulator.models import (
    InteractionReply,
    Pings,
    RecordedRequest,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
)
from tests.simulator.permissions import Perm
from tests.simulator.server import DiscordSimulator

__all__ = [
    "DiscordSimulator",
    "InteractionReply",
    "Perm",
    "Pings",
    "RecordedRequest",
    "SimChannel",
    "SimGuild",
    "SimMember",
    "SimMessage",
    "SimRole",
    "SimUser",
]
