"""Issue 3's benchmark: one announcement fanned out to thousands of channels.

The real bot runs as its own process against the local Discord simulator, which runs in
this process and enforces Discord's limits (or none), so the bot's CPU time is its own.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tests.simulator import DiscordSimulator
from tests.support.harness import rows, seed_fan_out, start_bot_process, wait_until

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: The bot's own limit in the limited run (Discord allows 50/s; the default is 40/s).
CONFIGURED_RATE = 40.0
#: "No limit": far above what the bot or the simulator can do.
UNLIMITED_RATE = 100_000.0


@dataclass(frozen=True, slots=True)
class FanOutRun:
    channels: int
    configured_rate: float
    delivered: int
    seconds: float
    rate_limited: int
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_delivery(self) -> float:
        return 1000 * self.cpu_seconds / self.delivered if self.delivered else 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def fan_out(channels: int, *, limited: bool, workdir: Path) -> FanOutRun:
    sim = DiscordSimulator()
    await sim.start()
    if limited:
        sim.set_rate_limits(global_per_second=50, channel=(5, 5.0))
    guild = sim.add_guild(name="Bench Server")
    targets = sim.add_channels(guild, channels, prefix="bench")
    db_path = workdir / f"fanout-{channels}-{'limited' if limited else 'free'}.db"
    await seed_fan_out(db_path, guild.id, [c.id for c in targets], timedelta(seconds=8))
    rate = CONFIGURED_RATE if limited else UNLIMITED_RATE
    process = await start_bot_process(sim, db_path, rate=rate, log_path=workdir / "bot.log")
    try:
        await wait_until(lambda: sim.message_count >= 1, 30, "the first message")
        started, cpu_start = time.monotonic(), cpu_seconds(process.pid)
        first_count = sim.message_count
        budget = 30 + channels / (rate if limited else 200)
        await wait_until(lambda: sim.message_count >= channels, budget, "every channel")
        seconds, cpu_end = time.monotonic() - started, cpu_seconds(process.pid)
        owed = rows(db_path, "SELECT count(*) FROM deliveries WHERE status != 'sent'")
        assert owed == [(0,)] or sim.message_count == channels
    finally:
        process.terminate()
        await process.wait()
        await sim.stop()
    return FanOutRun(
        channels=channels,
        configured_rate=rate,
        delivered=sim.message_count - first_count,
        seconds=seconds,
        rate_limited=sim.count_429s,
        cpu_seconds=cpu_end - cpu_start,
    )


async def measure(channels: int) -> tuple[FanOutRun, FanOutRun]:
    with tempfile.TemporaryDirectory(prefix="airdate-bench-") as workdir:
        limited = await fan_out(channels, limited=True, workdir=Path(workdir))
        free = await fan_out(channels, limited=False, workdir=Path(workdir))
    return limited, free


def run(quick: bool = False) -> str:
    """Run the fan-out benchmark and return its section of bench/RESULTS.md."""
    channels = 500 if quick else 5000
    limited, free = asyncio.run(measure(channels))
    share = limited.per_second / limited.configured_rate
    met = share >= 0.95 and limited.rate_limited == 0 and free.cpu_ms_per_delivery <= 1.0
    header = (
        "| run | simulator enforces | bot configured | delivered | achieved "
        "| share of configured | 429s | bot CPU per delivery |\n"
        "|---|---|---|---:|---:|---:|---:|---:|"
    )
    limited_row = (
        f"| limited | 50 req/s global, 5 per 5 s per channel | {CONFIGURED_RATE:.0f}/s "
        f"| {limited.delivered:,} | {limited.per_second:.1f}/s | **{share:.1%}** "
        f"| **{limited.rate_limited}** | {limited.cpu_ms_per_delivery:.2f} ms |"
    )
    free_row = (
        f"| unlimited | nothing | no limit | {free.delivered:,} | **{free.per_second:.0f}/s** "
        f"| — | {free.rate_limited} | **{free.cpu_ms_per_delivery:.2f} ms** |"
    )
    return f"""## Fan-out: one announcement to {channels:,} channels (issue 3)

Command: `make bench` (`python -m bench`). The real bot in its own process
(`tests/support/bot_process.py`) against the local Discord simulator running in the benchmark's
process; every channel follows the show, so one announcement owes {channels:,} messages.
Rates run from the first message to the last; CPU is the bot process's user + system
time over the same span (from `/proc/PID/stat`), so the simulator's work is not counted.

{header}
{limited_row}
{free_row}

Targets: at least 95% of the configured rate with zero 429s; at most 1 ms of bot CPU per
delivery without a limit: **{"met" if met else "missed (see above)"}**. In the limited
run the CPU per delivery also carries {limited.seconds:.0f} s of idle upkeep (heartbeats,
timers) spread over the deliveries; it is not a per-message cost.
"""
