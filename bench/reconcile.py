"""What reconciling costs: a settings change in a guild with 10,000 upcoming releases.

Every command that can change what is owed reconciles the outbox in its own transaction
(bot/services/reconcile.py). This measures the commands that touch every release of a
guild: `/settings channel`, `/settings reminders` and `/follow all`, each through its
real service on a real database, alternating between two values so every run changes
the outbox (20 runs each, database time: the service call from start to commit).

python -m bench.reconcile           # the full size
python -m bench.reconcile --quick   # 10x smaller
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

from bot.clock import utcnow
from bot.memory import tune_garbage_collection
from bot.services import reconcile
from bot.services.audiences import FollowService
from bot.services.changes import Changes
from bot.services.settings import SettingsService
from bot.storage.database import Database

GUILD_ID = 42
CHANNELS = (1_000, 1_001)
FOLLOW_CHANNEL_BASE = 2_000
ALL_CHANNEL = 3_000
RUNS = 20
DEBOUNCE = timedelta(seconds=60)
DAY = 86_400


def _seed(path: Path, releases: int, follows: int) -> None:
    """A guild with `releases` upcoming releases of `releases // 10` shows and `follows`
    follows of single shows, written by bulk SQL into a migrated database."""

    async def migrate() -> None:
        await (await Database.open(path)).close()

    asyncio.run(migrate())
    rng = random.Random(7)
    now = int(time.time())
    shows = max(1, releases // 10)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO guild_settings (guild_id, channel_id, offsets, timezone, updated_at, "
            "channel_since) VALUES (?, ?, '604800 86400 3600', 'UTC', ?, ?)",
            (GUILD_ID, CHANNELS[0], now, now),
        )
        connection.executemany(
            "INSERT INTO shows (id, guild_id, title, title_key, created_at) VALUES (?, ?, ?, ?, ?)",
            ((i, GUILD_ID, f"Show {i}", f"show {i}", now) for i in range(1, shows + 1)),
        )
        connection.executemany(
            "INSERT INTO releases (id, show_id, guild_id, label, starts_at, precision, timezone, "
            "created_at, updated_at, revised_at) VALUES (?, ?, ?, ?, ?, 'exact', 'UTC', ?, ?, ?)",
            (
                (
                    i,
                    (i - 1) % shows + 1,
                    GUILD_ID,
                    f"Episode {i}",
                    now + 8 * DAY + rng.randrange(365 * DAY),
                    now,
                    now,
                    now,
                )
                for i in range(1, releases + 1)
            ),
        )
        connection.executemany(
            "INSERT INTO follows (guild_id, channel_id, show_id, created_at, since) "
            "VALUES (?, ?, ?, ?, ?)",
            ((GUILD_ID, FOLLOW_CHANNEL_BASE + i, i % shows + 1, now, now) for i in range(follows)),
        )

    async def fill() -> None:
        database = await Database.open(path)
        async with database.transaction() as tx:
            await reconcile.reconcile_guild(tx, GUILD_ID, utcnow(), DEBOUNCE, reason="seed")
        await database.close()

    asyncio.run(fill())


async def _timed(step: Callable[[int], Awaitable[object]]) -> list[float]:
    times = []
    for run in range(RUNS):
        started = time.perf_counter()
        await step(run)
        times.append(time.perf_counter() - started)
    return times


async def _measure(path: Path) -> dict[str, list[float]]:
    database = await Database.open(path)
    tune_garbage_collection()  # as `python -m bot` runs

    def nothing(guild_id: int) -> None:
        return None

    changes = Changes(database, utcnow, nothing, DEBOUNCE)
    settings = SettingsService(changes)
    follows = FollowService(changes)

    async def follow_all(run: int) -> None:
        if run % 2 == 0:
            await follows.follow(GUILD_ID, ALL_CHANNEL, "all", None, episodes=True)
        else:
            await follows.unfollow(GUILD_ID, ALL_CHANNEL, "all")

    try:
        return {
            "/settings channel": await _timed(
                lambda run: settings.set_channel(GUILD_ID, CHANNELS[(run + 1) % 2])
            ),
            "/settings reminders": await _timed(
                lambda run: settings.set_offsets(GUILD_ID, "1d 1h" if run % 2 == 0 else "7d 1d 1h")
            ),
            "/follow all · /unfollow all": await _timed(follow_all),
        }
    finally:
        await database.close()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(quick: bool = False) -> tuple[int, int, int, dict[str, list[float]]]:
    releases, follows = (1_000, 10) if quick else (10_000, 100)
    with tempfile.TemporaryDirectory(prefix="airdate-bench-") as folder:
        path = Path(folder) / "reconcile.db"
        _seed(path, releases, follows)
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        return releases, follows, rows, asyncio.run(_measure(path))


def _measure_in_fresh_process(quick: bool) -> tuple[int, int, int, dict[str, list[float]]]:
    """`measure` in a process of its own, as each scale probe runs: not in one that still
    holds whatever the sections before it left behind."""
    command = [sys.executable, "-m", "bench.reconcile", "--json", *(["--quick"] * quick)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    releases, follows, rows, times = json.loads(completed.stdout.strip().splitlines()[-1])
    return releases, follows, rows, times


def run(quick: bool = False) -> str:
    """Run the reconcile benchmark and return its section of bench/RESULTS.md."""
    releases, follows, rows, times = _measure_in_fresh_process(quick)
    lines = []
    for command, values in times.items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        verdict = "met" if p99 < 1.0 else "**missed**"
        lines.append(
            f"| `{command}` | {1000 * p50:.0f} ms | **{1000 * p99:.0f} ms** | "
            f"{1000 * max(values):.0f} ms | < 1 s: {verdict} |"
        )
    table = "\n".join(lines)
    return f"""## Reconcile: what a change that touches a whole guild costs (issue 7)

Command: `make bench` (this section alone: `python -m bench.reconcile`). One guild with
{releases:,} upcoming releases, {follows} follows of single shows and the default offsets
(7d 1d 1h), so the outbox holds {rows:,} rows before the runs. Each command runs through
its real service (`SettingsService`, `FollowService`) on the real database, alternating
between two values so every run changes the outbox, {RUNS} runs each; the time is the
service call (read the guild, reconcile every release it can affect, commit). Commands
defer before calling it, so the interaction is answered at once either way.

| command | p50 | p99 | max | target p99 |
|---|---:|---:|---:|---|
{table}
"""


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    print(json.dumps(measure(quick)) if "--json" in sys.argv[1:] else run(quick))
