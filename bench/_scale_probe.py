"""One scale measurement in a fresh process; prints one JSON object on its last line.

    python -m bench._scale_probe startup  DB      # the real bot against the simulator
    python -m bench._scale_probe dispatch DB      # DeliveryService + Dispatcher, fake sender
    python -m bench._scale_probe catalog  DB TITLES QUERIES  # autocomplete and /upcoming

DB is a private copy: these probes write to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.data import BURST_CHANNEL_BASE, FOLLOW_CHANNELS, GUILD_ID


def rss_mb() -> float:
    """Resident memory of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _sim_with_guild() -> Any:
    """A simulator whose first guild has the synthetic data's guild id."""
    from tests.simulator import DiscordSimulator

    sim = DiscordSimulator()
    # The guild's owner takes GUILD_ID - 1, the guild GUILD_ID (ids only ever increase).
    sim.world.ids._last = GUILD_ID - 2
    guild = sim.add_guild("Scale Server")
    assert guild.id == GUILD_ID, guild.id
    channel = sim.add_channel(guild, "announcements")
    member = sim.add_member(guild, "alice")
    return sim, guild, channel, member


# ---------------------------------------------------------------------- start-up


async def startup(path: Path) -> dict[str, Any]:
    from bot.composition import build_bot
    from bot.config import Config, Secret
    from bot.main import point_discord_at
    from bot.storage.database import Database

    sim, guild, channel, _member = _sim_with_guild()
    follow_channels = sim.add_channels(guild, len(FOLLOW_CHANNELS), "follow")
    # Rows whose lease ran out go to channels that exist, like after a real crash.
    with sqlite3.connect(path) as connection:
        for old, new in zip(FOLLOW_CHANNELS, follow_channels, strict=True):
            connection.execute(
                "UPDATE deliveries SET target_id = ? WHERE status = 'sending' AND target_id = ?",
                (new.id, old),
            )
        connection.execute("UPDATE guild_settings SET channel_id = ?", (channel.id,))
        recovering = connection.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'sending'"
        ).fetchone()[0]
    await sim.start()
    point_discord_at(sim.api_base, sim.gateway_url)
    config = Config(token=Secret(sim.token), database_path=path)
    marks: dict[str, float] = {}
    armed = asyncio.Event()

    t0 = time.perf_counter()
    database = await Database.open(path)
    marks["open_migrate"] = time.perf_counter() - t0
    bot = build_bot(config, database)

    def timed(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args)
            finally:
                marks.setdefault(name, time.perf_counter() - started)

        return wrapper

    bot.delivery.run_due = timed("first_run_due", bot.delivery.run_due)  # type: ignore[method-assign,assignment]
    bot.delivery.next_wake_at = timed("first_next_wake_at", bot.delivery.next_wake_at)  # type: ignore[method-assign,assignment]
    arm = bot.dispatcher._arm

    def arm_and_mark(at: datetime | None) -> None:
        arm(at)
        marks.setdefault("armed", time.perf_counter() - t0)
        armed.set()

    bot.dispatcher._arm = arm_and_mark  # type: ignore[method-assign]
    t_login = time.perf_counter()
    await bot.login(sim.token)  # runs setup_hook: cogs, command sync, engine start
    marks["login_setup_hook"] = time.perf_counter() - t_login
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    marks["gateway_ready"] = time.perf_counter() - t0
    await asyncio.wait_for(armed.wait(), 30)
    marks["ready"] = time.perf_counter() - t0
    marks["rss_mb"] = rss_mb()
    marks["recovering_rows"] = recovering
    await bot.close()
    await database.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await sim.stop()
    return marks


# ---------------------------------------------------------------------- dispatch


class RecordingSender:
    """Hands back a fake message id at once and notes when each batch arrived.

    It stands for Discord at no cost: what it does per send is the least that measures
    (a clock reading and an append); counting waits for the end.
    """

    def __init__(self) -> None:
        self.handed: list[tuple[float, tuple[int, ...]]] = []
        self.done = asyncio.Event()
        self.burst = 0
        self.rows = 0

    async def wait_turn(self) -> None:
        return None

    def fingerprint(self, batch: Any) -> str:
        return str(batch.nonce)

    async def send(self, batch: Any) -> int:
        ids = batch.delivery_ids
        self.handed.append((time.time(), ids))
        if ids[0] <= self.burst:
            self.rows += len(ids)
            if self.rows >= self.burst:
                self.done.set()
        return len(self.handed)

    async def find_sent(self, batch: Any) -> int | None:
        return None

    async def tell_guild(self, guild_id: int, text: str, channel_ids: Sequence[int]) -> bool:
        return True


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[rank]


async def dispatch(path: Path) -> dict[str, Any]:
    from bot.clock import utcnow
    from bot.scheduling.dispatcher import Dispatcher
    from bot.services.delivery import DeliveryPolicy, DeliveryService
    from bot.storage.database import Database

    with sqlite3.connect(path) as connection:
        burst = connection.execute(
            "SELECT count(*) FROM deliveries WHERE target_id >= ? AND status = 'pending'",
            (BURST_CHANNEL_BASE,),
        ).fetchone()[0]
        recovering = connection.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'sending'"
        ).fetchone()[0]
        pending = connection.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'pending'"
        ).fetchone()[0]
        due = math.ceil(time.time()) + 4
        connection.execute("UPDATE deliveries SET due_at = ? WHERE id <= ?", (due, burst))
    sender = RecordingSender()
    sender.burst = burst
    database = await Database.open(path)
    policy = DeliveryPolicy(rate_per_second=1e9)
    service = DeliveryService(database, sender, policy, utcnow)
    dispatcher = Dispatcher(service, utcnow)
    service.on_capacity = dispatcher.wake
    from bot.memory import tune_garbage_collection

    tune_garbage_collection()  # as `python -m bot` runs
    started = time.time()
    service.start()
    dispatcher.start()
    await asyncio.wait_for(sender.done.wait(), 120)
    finished = time.time()
    stop_error = None
    try:
        await dispatcher.stop()
        await service.stop()
    except Exception as error:  # reported, not fatal to the measurement
        stop_error = repr(error)
    await database.close()
    lateness = [at - due for at, ids in sender.handed for i in ids if i <= burst]
    messages = sum(1 for _, ids in sender.handed if ids[0] <= burst)
    return {
        "pending": pending,
        "burst_rows": burst,
        "burst_messages": messages,
        "recovered_rows": recovering,
        "engine_started_before_due_s": due - started,
        "p50_ms": percentile(lateness, 50) * 1000,
        "p99_ms": percentile(lateness, 99) * 1000,
        "max_ms": max(lateness) * 1000,
        "min_ms": min(lateness) * 1000,
        "drain_s": finished - due,
        "claim_limit": policy.claim_limit,
        "workers": policy.workers,
        "stop_error": stop_error,
    }


# ---------------------------------------------------------------------- catalog


def user_queries(titles: Sequence[str], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, text) pairs typed the way people type into autocomplete."""
    rng = random.Random(seed)
    queries: list[tuple[str, str]] = []
    while len(queries) < count:
        roll = rng.random()
        title = rng.choice(titles)
        if roll < 0.45:
            queries.append(("prefix", title[: rng.randint(1, min(12, len(title)))]))
        elif roll < 0.75:
            start = rng.randrange(len(title))
            queries.append(("substring", title[start : start + rng.randint(3, 8)].strip() or "a"))
        elif roll < 0.85:
            first = title.split()[0][: rng.randint(2, 6)]
            queries.append(("title + episode", f"{first} ep {rng.randint(1, 10)}"))
        elif roll < 0.95:
            queries.append(("short", rng.choice("abcdefghijklmnopqrstuvwxyz") * rng.randint(1, 2)))
        else:
            miss = "".join(rng.choice("qxzjv") for _ in range(rng.randint(3, 8)))
            queries.append(("miss", miss))
    return queries


async def catalog(path: Path, titles_path: Path, count: int) -> dict[str, Any]:
    from tests.support.harness import start_bot

    titles = json.loads(await asyncio.to_thread(titles_path.read_text))
    sim, guild, channel, member = _sim_with_guild()
    await sim.start()
    running = await start_bot(sim, path)
    bot = running.bot
    queries = user_queries(titles, count)
    for _, text in queries[:10]:  # warm the page cache and the code paths
        await sim.autocomplete(guild, channel, member, "countdown", {"release": text}, "release")
    round_trip: dict[str, list[float]] = {}
    service: dict[str, list[float]] = {}
    empty = 0
    for kind, text in queries:
        started = time.perf_counter()
        choices = await sim.autocomplete(
            guild, channel, member, "countdown", {"release": text}, focused="release"
        )
        round_trip.setdefault(kind, []).append(time.perf_counter() - started)
        empty += not choices
        started = time.perf_counter()
        await bot.releases.suggest(GUILD_ID, text)
        service.setdefault(kind, []).append(time.perf_counter() - started)
    upcoming_rt: list[float] = []
    upcoming_service: list[float] = []
    windows = ["1d", "7d", "30d", "90d", "365d", "730d"]
    for _ in range(max(1, count // 20)):
        for within in windows:
            started = time.perf_counter()
            await sim.invoke(guild, channel, member, "upcoming", {"within": within})
            upcoming_rt.append(time.perf_counter() - started)
            days = int(within[:-1])
            started = time.perf_counter()
            await bot.releases.upcoming(GUILD_ID, timedelta(days=days))
            upcoming_service.append(time.perf_counter() - started)
    errors = running.unexpected_errors
    await running.stop()
    await sim.stop()

    def stats(values: Sequence[float]) -> dict[str, float]:
        return {
            "n": len(values),
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "max_ms": max(values) * 1000,
        }

    everything = [v for values in round_trip.values() for v in values]
    return {
        "autocomplete": stats(everything),
        "autocomplete_service": stats([v for vs in service.values() for v in vs]),
        "autocomplete_by_kind": {k: stats(v) for k, v in round_trip.items()},
        "autocomplete_service_by_kind": {k: stats(v) for k, v in service.items()},
        "empty_answers": empty,
        "upcoming": stats(upcoming_rt),
        "upcoming_service": stats(upcoming_service),
        "errors": [repr(e) for e in errors],
    }


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    mode, path = argv[0], Path(argv[1])
    if mode == "startup":
        result = asyncio.run(startup(path))
    elif mode == "dispatch":
        result = asyncio.run(dispatch(path))
    elif mode == "catalog":
        result = asyncio.run(catalog(path, Path(argv[2]), int(argv[3])))
    else:
        raise SystemExit(f"unknown probe {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
