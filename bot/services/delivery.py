"""The delivery engine's work: claim what is due, decide, send, and record the outcome."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.models import DeliveryKind, GuildSettings, Release, ReleaseStatus
from bot.domain.notifications import Notification
from bot.domain.planning import ANNOUNCEMENT_CATCH_UP, Verdict, delivery_nonce, triage
from bot.storage import deliveries, releases, settings
from bot.storage.database import Database

log = logging.getLogger(__name__)

#: Discord allows 10 embeds a message; one notification is one embed.
MAX_NOTIFICATIONS_PER_MESSAGE = 10


class DeliveryError(Exception):
    """A send that did not go through; `retryable` says whether trying again can help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Sender(Protocol):
    async def send(
        self,
        channel_id: int,
        notifications: Sequence[Notification],
        ping_role_id: int | None,
        nonce: str,
    ) -> int:
        """Post one message carrying `notifications`; return its id or raise DeliveryError."""


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=30)
    send_timeout: timedelta = timedelta(seconds=15)
    claim_limit: int = 500
    max_backoff: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows that go out as one message to one channel."""

    channel_id: int
    nonce: str
    delivery_ids: tuple[int, ...]
    notifications: tuple[Notification, ...]
    ping_role_id: int | None
    announced_release_ids: tuple[int, ...]
    attempts: int
    deadline: datetime


class DeliveryService:
    """Implements the dispatcher's Outbox over the database and a Sender."""

    def __init__(self, database: Database, sender: Sender, policy: DeliveryPolicy) -> None:
        self._database = database
        self._sender = sender
        self._policy = policy

    async def next_wake_at(self) -> datetime | None:
        async with self._database.snapshot() as tx:
            return await deliveries.next_wake_at(tx)

    async def run_due(self, now: datetime) -> int:
        batches, claimed = await self._claim(now)
        by_channel: dict[int, list[Batch]] = defaultdict(list)
        for batch in batches:
            by_channel[batch.channel_id].append(batch)
        await asyncio.gather(*(self._send_in_order(group, now) for group in by_channel.values()))
        return claimed

    async def _claim(self, now: datetime) -> tuple[list[Batch], int]:
        policy = self._policy
        async with self._database.transaction() as tx:
            claimed = await deliveries.claim_due(tx, now, now + policy.lease, policy.claim_limit)
            if not claimed:
                return [], 0
            verdicts = triage([row.due for row in claimed], now)
            skipped = [
                row.due.delivery_id
                for row in claimed
                if verdicts[row.due.delivery_id] is Verdict.SKIP
            ]
            await deliveries.mark_skipped(tx, skipped, "stale when due")
            to_send = [row for row in claimed if verdicts[row.due.delivery_id] is not Verdict.SKIP]
            release_cache: dict[int, Release] = {}
            settings_cache: dict[int, GuildSettings] = {}
            groups: dict[tuple[int, str | None], list[deliveries.ClaimedRow]] = defaultdict(list)
            for row in to_send:
                # Rows that already went out together once keep their group and nonce.
                groups[(row.due.key.target_id, row.nonce)].append(row)
            batches = []
            for (channel_id, nonce), rows in groups.items():
                chunks = (
                    [rows]
                    if nonce is not None
                    else [
                        rows[i : i + MAX_NOTIFICATIONS_PER_MESSAGE]
                        for i in range(0, len(rows), MAX_NOTIFICATIONS_PER_MESSAGE)
                    ]
                )
                for chunk in chunks:
                    notifications = []
                    for row in chunk:
                        release_id = row.due.key.release_id
                        if release_id not in release_cache:
                            found = await releases.release_by_id(tx, release_id)
                            assert found is not None, "a delivery's release always exists"
                            release_cache[release_id] = found
                        late = row.late or verdicts[row.due.delivery_id] is Verdict.SEND_LATE
                        notifications.append(
                            Notification(
                                kind=row.due.key.kind,
                                release=release_cache[release_id],
                                due_at=row.due.due_at,
                                offset=timedelta(seconds=row.due.key.offset_seconds),
                                late=late,
                                old_time=row.old_time,
                            )
                        )
                    guild_id = chunk[0].guild_id
                    if guild_id not in settings_cache:
                        settings_cache[guild_id] = await settings.guild_settings(tx, guild_id)
                    ids = tuple(row.due.delivery_id for row in chunk)
                    batch_nonce = nonce or delivery_nonce(row.due.key for row in chunk)
                    await deliveries.fix_batch(
                        tx,
                        ids,
                        batch_nonce,
                        late_ids=[
                            n_id for n_id, n in zip(ids, notifications, strict=True) if n.late
                        ],
                    )
                    batches.append(
                        Batch(
                            channel_id=channel_id,
                            nonce=batch_nonce,
                            delivery_ids=ids,
                            notifications=tuple(notifications),
                            ping_role_id=settings_cache[guild_id].role_id,
                            announced_release_ids=tuple(
                                row.due.key.release_id
                                for row in chunk
                                if row.due.key.kind is DeliveryKind.ANNOUNCEMENT
                            ),
                            attempts=max(row.attempts for row in chunk),
                            deadline=min(_deadline(row) for row in chunk),
                        )
                    )
            return batches, len(claimed)

    async def _send_in_order(self, batches: Sequence[Batch], now: datetime) -> None:
        for batch in sorted(batches, key=lambda b: min(n.due_at for n in b.notifications)):
            await self._send(batch, now)

    async def _send(self, batch: Batch, now: datetime) -> None:
        try:
            message_id = await asyncio.wait_for(
                self._sender.send(
                    batch.channel_id, batch.notifications, batch.ping_role_id, batch.nonce
                ),
                timeout=self._policy.send_timeout.total_seconds(),
            )
        except TimeoutError:
            await self._settle_failure(batch, now, "timed out", retryable=True)
        except DeliveryError as error:
            await self._settle_failure(batch, now, error.reason, retryable=error.retryable)
        except Exception as error:
            # A bug, not Discord: retrying would repeat it, so fail the rows and say why.
            log.exception("sending to channel %s raised", batch.channel_id)
            await self._settle_failure(batch, now, repr(error), retryable=False)
        else:
            async with self._database.transaction() as tx:
                await deliveries.mark_sent(tx, batch.delivery_ids, message_id, now)
                for release_id in batch.announced_release_ids:
                    await releases.set_status(tx, release_id, ReleaseStatus.RELEASED)
            log.info(
                "sent %d notification(s) to channel %s as message %s",
                len(batch.notifications),
                batch.channel_id,
                message_id,
            )

    async def _settle_failure(
        self, batch: Batch, now: datetime, reason: str, *, retryable: bool
    ) -> None:
        backoff = min(timedelta(seconds=2**batch.attempts), self._policy.max_backoff)
        async with self._database.transaction() as tx:
            if retryable and now + backoff < batch.deadline:
                log.warning(
                    "send to channel %s failed (%s); retrying in %s",
                    batch.channel_id,
                    reason,
                    backoff,
                )
                await deliveries.retry_at(tx, batch.delivery_ids, now + backoff, reason)
            else:
                log.error("send to channel %s failed for good: %s", batch.channel_id, reason)
                await deliveries.mark_failed(tx, batch.delivery_ids, reason)


def _deadline(row: deliveries.ClaimedRow) -> datetime:
    """Return the moment after which retrying a row is pointless."""
    if row.due.key.kind is DeliveryKind.REMINDER and row.due.release_time.at is not None:
        return row.due.release_time.at
    return row.due.due_at + ANNOUNCEMENT_CATCH_UP


WakeCallback = Callable[[], None]
