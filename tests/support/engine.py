"""The real services and delivery engine on a real database, driven step by step.

A fake clock (wall and monotonic move together), and a fake Discord at the `Sender` seam
that behaves like Discord where it matters: a repeated nonce within the window returns
the first message, failures can be queued per target, and every accepted message is kept
with what it pinged. The property test and engine-level regressions drive this.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.models import DeliveryKey, TargetKind
from bot.services.audiences import FollowService, SubscriptionService
from bot.services.batches import Batch
from bot.services.changes import Changes
from bot.services.delivery import DeliveryError, DeliveryPolicy, DeliveryService
from bot.services.lifecycle import GuildLifecycle, GuildOutages
from bot.services.releases import ReleaseService
from bot.services.settings import SettingsService
from bot.storage.database import Database

START = datetime(2030, 1, 1, tzinfo=UTC)
NONCE_WINDOW = timedelta(minutes=4)
DEBOUNCE = timedelta(seconds=30)


class FakeClock:
    """Wall and monotonic time that move only when told."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self._start = start

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - self._start).total_seconds() + 1000.0

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass(frozen=True, slots=True)
class Posted:
    """A message Discord accepted."""

    message_id: int
    target_id: int
    target_kind: TargetKind
    keys: tuple[DeliveryKey, ...]
    roles: tuple[int, ...]
    late: tuple[bool, ...]
    at: datetime


@dataclass
class FakeDiscord:
    """The engine's Sender: accepts or refuses sends as told, dedupes by nonce."""

    clock: FakeClock
    posted: list[Posted] = field(default_factory=list)
    #: Per target, errors the next sends raise, in order.
    failures: dict[int, list[DeliveryError]] = field(default_factory=dict)
    #: Targets Discord refuses for good (channel gone, DMs closed): the error each raises.
    refused: dict[int, DeliveryError] = field(default_factory=dict)
    #: Sends that reach Discord but whose answer is lost (accepted, then a timeout).
    lose_answer: set[int] = field(default_factory=set)
    #: Every refusal Discord gave for good: (target, when).
    refusals: list[tuple[int, datetime]] = field(default_factory=list)
    #: Messages Discord posted whose answer was lost on the way back.
    unanswered: set[int] = field(default_factory=set)
    #: Every passing fault a send met: (target, when).
    faults: list[tuple[int, datetime]] = field(default_factory=list)
    _by_nonce: dict[str, tuple[Posted, datetime]] = field(default_factory=dict)
    _next_id: int = 1
    told_guilds: list[tuple[int, str]] = field(default_factory=list)

    async def wait_turn(self) -> None:
        await asyncio.sleep(0)

    def fingerprint(self, batch: Batch) -> str:
        return "|".join(sorted(f"{k}" for k in batch.keys))

    async def send(self, batch: Batch) -> int:
        await asyncio.sleep(0)
        if batch.target_id in self.refused:
            self.refusals.append((batch.target_id, self.clock.now))
            raise self.refused[batch.target_id]
        queued = self.failures.get(batch.target_id)
        if queued:
            self.faults.append((batch.target_id, self.clock.now))
            raise queued.pop(0)
        first = self._by_nonce.get(batch.nonce)
        if first is not None and self.clock.now - first[1] <= NONCE_WINDOW:
            return first[0].message_id
        message = Posted(
            message_id=self._next_id,
            target_id=batch.target_id,
            target_kind=batch.target_kind,
            keys=batch.keys,
            roles=batch.ping_role_ids,
            late=tuple(n.late for n in batch.notifications),
            at=self.clock.now,
        )
        self._next_id += 1
        self.posted.append(message)
        self._by_nonce[batch.nonce] = (message, self.clock.now)
        if batch.target_id in self.lose_answer:
            self.lose_answer.discard(batch.target_id)
            self.faults.append((batch.target_id, self.clock.now))
            self.unanswered.add(message.message_id)
            raise DeliveryError("timed out", retryable=True, maybe_delivered=True)
        return message.message_id

    async def find_sent(self, batch: Batch) -> int | None:
        for message in reversed(self.posted[-50:]):
            if message.target_id == batch.target_id and "|".join(
                sorted(f"{k}" for k in message.keys)
            ) == (batch.fingerprint or self.fingerprint(batch)):
                return message.message_id
        return None

    async def tell_guild(self, guild_id: int, text: str, channel_ids: Sequence[int]) -> bool:
        self.told_guilds.append((guild_id, text))
        return True


class Engine:
    """Services, outbox and delivery over one database, with a fake clock and Discord."""

    def __init__(self, path: Path, clock: FakeClock, discord: FakeDiscord) -> None:
        self.path = path
        self.clock = clock
        self.discord = discord
        self.changed: set[int] = set()
        self.database: Database | None = None
        self.delivery: DeliveryService | None = None

    async def start(self) -> None:
        self.database = await Database.open(self.path, busy_timeout_ms=200)
        db, clock = self.database, self.clock
        policy = DeliveryPolicy(
            lookahead=timedelta(0), workers=2, notice_debounce=DEBOUNCE, nonce_window=NONCE_WINDOW
        )
        self.delivery = DeliveryService(db, self.discord, policy, clock, monotonic=clock.monotonic)
        wake = self._changed
        changes = Changes(db, clock, wake, DEBOUNCE)
        self.releases = ReleaseService(changes)
        self.settings = SettingsService(changes)
        self.follows = FollowService(changes)
        self.subscriptions = SubscriptionService(changes)
        self.lifecycle = GuildLifecycle(changes, outages=GuildOutages())
        self.delivery.start()

    def _changed(self, guild_id: int) -> None:
        assert self.delivery is not None
        self.delivery.guild_changed(guild_id)

    async def stop(self) -> None:
        """Stop like a crash would leave things: rows in flight keep their leases."""
        if self.delivery is not None:
            await self.delivery.stop()
        if self.database is not None:
            await self.database.close()
        self.delivery = self.database = None

    async def deliver(self, rounds: int = 20) -> None:
        """Claim and send whatever is due now, until nothing more moves."""
        assert self.delivery is not None
        for _ in range(rounds):
            more = await self.delivery.run_due(self.clock.now)
            await self.settle()
            if not more:
                break

    async def settle(self) -> None:
        """Wait (in real time, briefly) until every claimed batch was sent and recorded."""
        assert self.delivery is not None
        for _ in range(2000):
            if self.delivery.idle():
                return
            await asyncio.sleep(0.001)
        raise AssertionError("the engine did not settle")

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.path) as connection:
            return list(connection.execute(sql, params))
