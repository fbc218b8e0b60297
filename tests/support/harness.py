"""Run the real Airdate bot against the local Discord simulator."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.client import UNEXPECTED_ERROR_REPLY, AirdateBot
from bot.clock import utcnow
from bot.composition import build_bot
from bot.config import Config, Secret
from bot.main import point_discord_at
from bot.services.audiences import FollowService
from bot.services.changes import Changes
from bot.services.delivery import DeliveryPolicy
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.services.settings import SettingsService
from bot.storage.database import Database
from tests.simulator import DiscordSimulator

#: Short enough that crash-and-retry tests take seconds, not minutes.
FAST_POLICY = DeliveryPolicy(
    lease=timedelta(seconds=2),
    send_timeout=timedelta(seconds=1),
    claim_limit=500,
    lookahead=timedelta(seconds=1),
)


class RunningBot:
    """One Airdate process's worth of state: database connection, client, its task."""

    def __init__(
        self,
        bot: AirdateBot,
        database: Database,
        task: asyncio.Task[None],
        sim: DiscordSimulator,
    ) -> None:
        self.bot = bot
        self.database = database
        self.task = task
        self.sim = sim

    @property
    def unexpected_errors(self) -> list[str]:
        """Every "something went wrong on Airdate's side" a member was shown, as Discord saw it."""
        return apologies(self.sim)

    def database_rows(self, sql: str) -> list[tuple[Any, ...]]:
        return rows(self.bot.config.database_path, sql)

    async def stop(self) -> None:
        """Stop as a crash would: in-flight sends are abandoned to their leases."""
        await self.bot.close()
        await self.database.close()
        if not self.task.done():
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def start_bot(
    sim: DiscordSimulator,
    database_path: Path,
    *,
    policy: DeliveryPolicy = FAST_POLICY,
    notice_debounce: timedelta = timedelta(seconds=1),
    dev_guild_id: int | None = None,
    clock_offset: timedelta = timedelta(0),
    anilist_url: str | None = None,
    calendar_port: int | None = None,
    events_per_guild: int = 20,
) -> RunningBot:
    """Start a real AirdateBot against `sim` (and the AniList stand-in at `anilist_url`;
    with its calendar feed on `calendar_port`, 0 for any free one) and wait until it is
    ready."""
    point_discord_at(sim.api_base, sim.gateway_url)
    config = Config(
        token=Secret(sim.token),
        database_path=database_path,
        dev_guild_id=dev_guild_id,
        notice_debounce=notice_debounce,
        calendar_http_port=calendar_port,
        events_per_guild=events_per_guild,
    )
    if anilist_url is not None:
        # The most AniList allows: a test follows at 0.67 s a request, not 2 s.
        config = replace(config, anilist_api_url=anilist_url, anilist_requests_per_minute=90)
    database = await Database.open(database_path)
    bot = build_bot(config, database, policy=policy, clock=lambda: utcnow() + clock_offset)
    await bot.login(sim.token)
    task = asyncio.create_task(bot.connect(reconnect=False), name="airdate-client")
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task.done():
            raise RuntimeError("the bot's client stopped before it was ready") from task.exception()
        raise TimeoutError("the bot was not ready within 10 s")
    return RunningBot(bot, database, task, sim)


def apologies(sim: DiscordSimulator) -> list[str]:
    """Return each message in which the bot told a member something failed on its side.

    The bot answers every unexpected error in a command with this apology, so the list
    says, through what Discord received, whether any command failed unexpectedly.
    """
    return [
        f"message {m.id} in channel {m.channel_id}"
        for m in sim.all_messages()
        if m.content == UNEXPECTED_ERROR_REPLY
    ]


def dump_database(path: Path) -> list[str]:
    """Return every row of the database as SQL text, to compare before and after."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(sql, params))


async def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` every 20 ms; fail with `what` if it is still false after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        await asyncio.sleep(0.02)


ROOT = Path(__file__).resolve().parents[2]


async def seed_fan_out(
    db_path: Path, guild_id: int, channel_ids: Sequence[int], due_in: timedelta
) -> None:
    """Store one release followed by every channel, as moderators would have set it up."""
    database = await Database.open(db_path)

    def nothing(guild_id: int) -> None:
        return None

    try:
        changes = Changes(database, utcnow, nothing)
        await SettingsService(changes).set_offsets(guild_id, "none")
        follows = FollowService(changes)
        for channel_id in channel_ids:
            await follows.follow(guild_id, channel_id, "all", None, episodes=True)
        releases = ReleaseService(changes)
        seconds = max(1, int(due_in.total_seconds()))
        await releases.add(guild_id, ReleaseDraft(title="Finale", when=f"in {seconds}s"))
    finally:
        await database.close()


async def start_bot_process(
    sim: DiscordSimulator,
    db_path: Path,
    *,
    rate: float,
    lease_seconds: float = 30.0,
    claim_limit: int = 1000,
    log_path: Path | None = None,
) -> asyncio.subprocess.Process:
    """Start the real bot as its own process (python -m tests.support.bot_process) against `sim`."""
    log = None if log_path is None else log_path.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.bot_process",
            "--database",
            str(db_path),
            "--api-base",
            sim.api_base,
            "--gateway-url",
            sim.gateway_url,
            "--token",
            sim.token,
            "--rate",
            str(rate),
            "--lease-seconds",
            str(lease_seconds),
            "--claim-limit",
            str(claim_limit),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL if log is None else log,
        )
    finally:
        if log is not None:
            log.close()
