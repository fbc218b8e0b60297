"""A large fan-out survives SIGKILL at random moments and gateway disconnects: each once."""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import timedelta
from pathlib import Path

from bot.services.delivery import DeliveryPolicy
from tests.conftest import Server
from tests.simulator import DiscordSimulator
from tests.support.harness import (
    RunningBot,
    rows,
    seed_fan_out,
    start_bot,
    start_bot_process,
    wait_until,
)


async def test_sigkill_during_a_500_message_fan_out_loses_and_repeats_nothing(
    sim: DiscordSimulator, db_path: Path
) -> None:
    guild = sim.add_guild(name="Big Server")
    channels = sim.add_channels(guild, 500, prefix="fan")
    await seed_fan_out(db_path, guild.id, [c.id for c in channels], timedelta(seconds=1))
    owed = "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"
    rng = random.Random(20241003)
    posted_at_kills = []
    for _ in range(10):
        process = await start_bot_process(sim, db_path, rate=40, lease_seconds=2, claim_limit=50)
        # Delivery starts at READY (about 2 s in: discord.py waits for guilds to stream in).
        await asyncio.sleep(rng.uniform(2.6, 4.5))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        posted_at_kills.append(sim.message_count)
    mid_fan_out = [n for n in posted_at_kills if 0 < n < 500]
    assert len(mid_fan_out) >= 5, f"kills should land mid fan-out: {posted_at_kills}"
    survivor = await start_bot_process(sim, db_path, rate=40, lease_seconds=2, claim_limit=50)
    try:
        await wait_until(lambda: rows(db_path, owed) == [(0,)], 60, "the fan-out to finish")
    finally:
        survivor.send_signal(signal.SIGTERM)
        await survivor.wait()
    per_channel = sim.created_per_channel()
    assert sorted(per_channel) == sorted(channel.id for channel in channels)
    assert set(per_channel.values()) == {1}
    assert rows(db_path, "SELECT DISTINCT status FROM deliveries") == [("sent",)]


async def test_a_gateway_disconnect_mid_fan_out_changes_nothing(
    server: Server, db_path: Path
) -> None:
    channels = server.sim.add_channels(server.guild, 100, prefix="fan")
    await seed_fan_out(db_path, server.guild.id, [c.id for c in channels], timedelta(seconds=2))
    running: RunningBot = await start_bot(
        server.sim,
        db_path,
        policy=DeliveryPolicy(lease=timedelta(seconds=2), rate_per_second=40),
    )
    try:
        await wait_until(lambda: server.sim.message_count >= 20, 6, "the fan-out to start")
        await server.sim.disconnect_gateway()
        await wait_until(lambda: server.sim.message_count == 100, 10, "the fan-out to finish")
        await asyncio.sleep(0.5)
        assert server.sim.gateway_resumes >= 1
    finally:
        await running.stop()
    assert set(server.sim.created_per_channel().values()) == {1}
    assert server.sim.message_count == 100


async def test_a_guild_owing_a_thousand_messages_barely_delays_another(
    sim: DiscordSimulator, db_path: Path
) -> None:
    busy = sim.add_guild(name="Busy Server")
    channels = sim.add_channels(busy, 1000, prefix="busy")
    quiet = sim.add_guild(name="Quiet Server")
    quiet_channel = sim.add_channel(quiet, name="announcements")
    await seed_fan_out(db_path, busy.id, [c.id for c in channels], timedelta(seconds=2))
    await seed_fan_out(db_path, quiet.id, [quiet_channel.id], timedelta(seconds=3))
    [(quiet_due,)] = rows(
        db_path, "SELECT due_at FROM deliveries WHERE target_id = ?", (quiet_channel.id,)
    )
    running = await start_bot(
        sim, db_path, policy=DeliveryPolicy(lease=timedelta(seconds=30), rate_per_second=40)
    )
    try:
        await wait_until(lambda: len(sim.messages(quiet_channel)) == 1, 8, "the quiet guild")
        busy_sent = sim.message_count - 1
    finally:
        await running.stop()
    [message] = sim.messages(quiet_channel)
    assert message.created_at - quiet_due <= 2.0
    assert busy_sent < 1000  # the busy guild was still mid fan-out (40/s: 25 s of sending)
