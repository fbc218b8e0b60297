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

Teeth (all off by default)::

    sim.set_rate_limits(global_per_second=50, channel=(5, 5.0))   # real 429s with Via
    sim.fail_channel(channel, "status", status=403, code=50001, count=None)
    sim.fail_channel(channel, "slow", delay=2.0)      # also hang, drop, *_after_create
    await sim.delete_channel(channel)                 # then 404 10003
    await sim.deny_bot(channel, Perm.EMBED_LINKS)     # the bot role's overwrite changes
    await sim.update_role(role, position=20)          # above the bot: role changes get 50013
    await sim.delete_role(role)                       # then 404 10011 for role changes
    await sim.remove_bot_from_guild(guild)            # then 403 50001
    await sim.guild_outage(guild); await sim.guild_restore(guild)   # 503 130000 meanwhile
    sim.count_429s, sim.message_count, sim.created_per_channel()

Always on, as on Discord: an interaction's first callback must come within 3 s (else 404
10062) and its token lasts 15 min for followups and edits (else 404 10015)::

    sim = DiscordSimulator(clock=fake_monotonic)   # or the real time.monotonic
    sim.followup_window_seconds = 1.0              # shrink a window for a test
    sim.late_callbacks, sim.late_followups         # what was refused, and how late

Modules: ``world`` (state), ``models`` (records and payloads), ``permissions``, ``mentions``,
``validation`` (message limits), ``rest`` (routes, recording), ``faults``, ``ratelimits``,
``gateway``, ``interactions`` (payload building), ``callbacks`` (what the bot answers),
``server`` (facade).
"""

from tests.simulator.models import (
    InteractionReply,
    LateAnswer,
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
    "LateAnswer",
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
