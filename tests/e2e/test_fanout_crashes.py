"""A large fan-out survives SIGKILL at random moments and gateway disconnects: each once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import timedelta
from pathlib import Path

from bot.clock import utcnow
from bot.services.audiences import FollowService
from bot.services.delivery import DeliveryPolicy
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.services.settings import SettingsService
from bot.storage.database import Database
from tests.conftest import Server
from tests.harness import RunningBot, rows, start_bot, wait_until
from tests.simulator import DiscordSimulator
from tests.simulator.models import SimChannel, SimGuild

ROOT = Path(__file__).resolve().parents[2]


async def seed_fan_out(
    db_path: Path, guild: SimGuild, channels: list[SimChannel], due_in: timedelta
) -> None:
    """Store one release followed by every channel, as moderators would have set it up."""
    database = await Database.open(db_path)
    try:

        def nothing() -> None:
            return None

        await SettingsService(database, utcnow, nothing).set_offsets(guild.id, "none")
        releases = ReleaseService(database, utcnow, nothing, timedelta(seconds=60))
        follows = FollowService(database, utcnow, nothing)
        for channel in channels:
            await follows.follow(guild.id, channel.id, "all", None, episodes=True)
        seconds = int(due_in.total_seconds())
        await releases.add(guild.id, ReleaseDraft(title="Finale", when=f"in {seconds}s"))
    finally:
        await database.close()


async def start_process(sim: DiscordSimulator, db_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bot_process",
        "--database",
        str(db_path),
        "--api-base",
        sim.api_base,
        "--gateway-url",
        sim.gateway_url,
        "--token",
        sim.token,
        "--rate",
        "100",
        "--lease-seconds",
        "2",
        "--claim-limit",
        "50",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_during_a_500_message_fan_out_loses_and_repeats_nothing(
    sim: DiscordSimulator, db_path: Path
) -> None:
    guild = sim.add_guild(name="Big Server")
    channels = sim.add_channels(guild, 500, prefix="fan")
    await seed_fan_out(db_path, guild, channels, due_in=timedelta(seconds=1))
    owed = "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"
    rng = random.Random(20241003)
    posted_at_kills = []
    for _ in range(10):
        process = await start_process(sim, db_path)
        await asyncio.sleep(rng.uniform(0.8, 2.5))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        posted_at_kills.append(sim.message_count)
    mid_fan_out = [n for n in posted_at_kills if 0 < n < 500]
    assert len(mid_fan_out) >= 5, f"kills should land mid fan-out: {posted_at_kills}"
    survivor = await start_process(sim, db_path)
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
    await seed_fan_out(db_path, server.guild, channels, due_in=timedelta(seconds=2))
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
