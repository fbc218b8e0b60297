"""The delivery engine's work: claim what is due, decide, send fairly, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.domain.audience import channel_audiences
from bot.domain.models import (
    DeliveryKind,
    Follow,
    GuildSettings,
    ReleaseStatus,
    TargetKind,
)
from bot.domain.notifications import Notification
from bot.domain.planning import ANNOUNCEMENT_CATCH_UP, Verdict, delivery_nonce, triage
from bot.scheduling.ratelimit import ChannelWindows
from bot.scheduling.sendqueue import FairQueue
from bot.services import planner
from bot.storage import deliveries, follows, releases, settings
from bot.storage.database import Database, Transaction

log = logging.getLogger(__name__)

#: Discord allows 10 embeds a message; one notification is one embed.
MAX_NOTIFICATIONS_PER_MESSAGE = 10
#: Discord error codes that mean Airdate may not (or can no longer) post in a channel.
CHANNEL_GONE_CODES = frozenset({10003, 50001, 50013})
CANNOT_DM_CODE = 50007
#: How long sent messages wait to be recorded together.
RECORD_EVERY_SECONDS = 0.05


class DeliveryError(Exception):
    """A send that did not go through; `retryable` says whether trying again can help."""

    def __init__(self, reason: str, *, retryable: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows that go out as one message to one channel or member."""

    guild_id: int
    target_id: int
    target_kind: TargetKind
    nonce: str
    delivery_ids: tuple[int, ...]
    notifications: tuple[Notification, ...]
    ping_role_ids: tuple[int, ...]
    attempts: int
    deadline: datetime
    #: An earlier attempt's lease ran out beyond Discord's nonce window: look before sending.
    look_first: bool = False
    #: Monotonic time before which the message must not leave (its due moment).
    not_before: float = 0.0
    #: Monotonic time of the claim, to tell whether the release changed since.
    claimed_at: float = 0.0

    @property
    def channel_key(self) -> int:
        return self.target_id

    @property
    def announced_release_ids(self) -> tuple[int, ...]:
        return tuple(
            n.release.id for n in self.notifications if n.kind is DeliveryKind.ANNOUNCEMENT
        )


class Sender(Protocol):
    async def send(self, batch: Batch) -> int:
        """Post the batch as one message; return its id or raise DeliveryError."""

    async def find_sent(self, batch: Batch) -> int | None:
        """Return the id of this batch's message if it is among the target's recent ones."""

    async def tell_guild(self, guild_id: int, text: str, channel_ids: Sequence[int]) -> bool:
        """Tell moderators something in the first of these channels that works (or another)."""


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=30)
    send_timeout: timedelta = timedelta(seconds=15)
    claim_limit: int = 1000
    max_backoff: timedelta = timedelta(minutes=5)
    #: Discord returns the first message for a repeated nonce for "a few minutes".
    nonce_window: timedelta = timedelta(minutes=4)
    rate_per_second: float = 40.0
    workers: int = 16
    #: Rows are claimed this long before they are due and held until their moment, so a
    #: burst due in the same second is already queued when it falls due.
    lookahead: timedelta = timedelta(seconds=3)


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    found_after_lease: int = 0
    rate_limited: int = 0


class DeliveryService:
    """Implements the dispatcher's Outbox over the database, a fair queue and a Sender."""

    def __init__(
        self, database: Database, sender: Sender, policy: DeliveryPolicy, clock: Clock
    ) -> None:
        self._database = database
        self._sender = sender
        self._policy = policy
        self._clock = clock
        self._queue: FairQueue[Batch] = FairQueue(ChannelWindows())
        self._in_flight: set[int] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._sent: list[tuple[Batch, int]] = []
        self._sent_waiting = asyncio.Event()
        self._changed_guilds: dict[int, float] = {}
        self.on_capacity: Callable[[], None] = lambda: None
        self.stats = DeliveryStats()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for number in range(self._policy.workers):
            task = asyncio.create_task(self._work(), name=f"airdate-sender-{number}")
            task.add_done_callback(_log_crash)
            self._workers.append(task)
        recorder = asyncio.create_task(self._record_sent(), name="airdate-recorder")
        recorder.add_done_callback(_log_crash)
        self._workers.append(recorder)

    async def stop(self) -> None:
        """Stop sending; record what Discord already accepted, abandon the rest to leases."""
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        await self._flush_sent()

    # ------------------------------------------------------------------ the Outbox
    async def next_wake_at(self) -> datetime | None:
        async with self._database.snapshot() as tx:
            at = await deliveries.next_wake_at(tx, self._policy.lookahead)
        if at is not None and self._in_flight and at <= self._clock():
            # Rows still queued in memory hold leases that may run out before they are sent;
            # they are not claimed twice, so don't spin on them.
            return self._clock() + timedelta(seconds=1)
        return at

    def guild_changed(self, guild_id: int) -> None:
        """Have messages of this guild claimed before now checked again before they leave.

        Rows are claimed up to `lookahead` early; a release moved or cancelled, a channel
        changed or a follow undone since must not send what is no longer owed.
        """
        now = time.monotonic()
        if len(self._changed_guilds) > 1000:
            # Only claims younger than the change matter; claims live seconds, not minutes.
            self._changed_guilds = {
                g: at for g, at in self._changed_guilds.items() if now - at < 600
            }
        self._changed_guilds[guild_id] = now

    async def run_due(self, now: datetime) -> bool:
        """Claim what is due into the send queue; return True if more may be waiting."""
        # Messages held for their due moment don't count: a burst due in the same second
        # is claimed whole ahead of time.
        room = self._policy.claim_limit - self._queue.ready()
        if room <= 0:
            return False
        batches, claimed = await self._claim(now, room)
        for batch in batches:
            self._queue.put(batch)
        return claimed >= room

    # ------------------------------------------------------------------ claiming
    async def _claim(self, now: datetime, limit: int) -> tuple[list[Batch], int]:
        policy = self._policy
        queued = len(self._queue)

        def lease_until(count: int) -> datetime:
            # The lease must outlast the wait in the queue behind what is already there.
            wait = timedelta(seconds=(queued + count) / policy.rate_per_second)
            return now + policy.lookahead + policy.lease + wait

        async with self._database.transaction() as tx:
            claimed = await deliveries.claim_due(
                tx,
                now,
                lease_until,
                limit,
                exclude=self._in_flight,
                due_before=now + policy.lookahead,
            )
            if not claimed:
                return [], 0
            verdicts = triage([row.due for row in claimed], now)
            stale = {
                row.due.delivery_id
                for row in claimed
                if row.due.key.kind is DeliveryKind.REMINDER
                and row.lease_expired_at is not None
                and now - row.lease_expired_at > policy.nonce_window
            }
            skipped = {
                row.due.delivery_id
                for row in claimed
                if verdicts[row.due.delivery_id] is Verdict.SKIP or row.due.delivery_id in stale
            }
            await deliveries.mark_skipped(tx, sorted(skipped), "stale when due")
            sendable = [row for row in claimed if row.due.delivery_id not in skipped]
            batches = await self._batches(tx, sendable, verdicts, now)
        for batch in batches:
            self._in_flight.update(batch.delivery_ids)
        return batches, len(claimed)

    async def _batches(
        self,
        tx: Transaction,
        rows: Sequence[deliveries.ClaimedRow],
        verdicts: dict[int, Verdict],
        now: datetime,
    ) -> list[Batch]:
        # Everything the messages need, read in one query each rather than one per row.
        release_cache = await releases.releases_by_ids(tx, [r.due.key.release_id for r in rows])
        audiences = _AudienceCache()
        await audiences.prefetch(
            tx, [r.due.key.target_id for r in rows if r.due.key.target_kind is TargetKind.CHANNEL]
        )
        settings_cache: dict[int, GuildSettings] = {}
        groups: dict[tuple[int, str | None, datetime | None], list[deliveries.ClaimedRow]]
        groups = defaultdict(list)
        for row in rows:
            # Rows that already went out together once keep their group and nonce; rows not
            # yet due go out with the others due at the same moment, overdue ones together.
            moment = row.due.due_at if row.due.due_at > now else None
            groups[(row.due.key.target_id, row.nonce, moment)].append(row)
        batches = []
        nonces: list[tuple[int, str]] = []
        late_ids: list[int] = []
        claimed_at = time.monotonic()
        for (target_id, nonce, _), group in groups.items():
            step = MAX_NOTIFICATIONS_PER_MESSAGE
            chunks = (
                [group]
                if nonce is not None
                else [group[i : i + step] for i in range(0, len(group), step)]
            )
            for chunk in chunks:
                notifications = []
                for row in chunk:
                    release_id = row.due.key.release_id
                    if release_id not in release_cache:
                        found = await releases.release_by_id(tx, release_id)
                        assert found is not None, "a delivery's release always exists"
                        release_cache[release_id] = found
                    notifications.append(
                        Notification(
                            kind=row.due.key.kind,
                            release=release_cache[release_id],
                            due_at=row.due.due_at,
                            offset=timedelta(seconds=row.due.key.offset_seconds),
                            late=row.late or verdicts[row.due.delivery_id] is Verdict.SEND_LATE,
                            old_time=row.old_time,
                        )
                    )
                guild_id = chunk[0].guild_id
                if guild_id not in settings_cache:
                    settings_cache[guild_id] = await settings.guild_settings(tx, guild_id)
                target_kind = chunk[0].due.key.target_kind
                roles: tuple[int, ...] = ()
                if target_kind is TargetKind.CHANNEL:
                    roles = await audiences.ping_roles(
                        tx, settings_cache[guild_id], target_id, notifications
                    )
                ids = tuple(row.due.delivery_id for row in chunk)
                batch_nonce = nonce or delivery_nonce(row.due.key for row in chunk)
                nonces += [(delivery_id, batch_nonce) for delivery_id in ids]
                late_ids += [i for i, n in zip(ids, notifications, strict=True) if n.late]
                expired = [row.lease_expired_at for row in chunk if row.lease_expired_at]
                batches.append(
                    Batch(
                        guild_id=guild_id,
                        target_id=target_id,
                        target_kind=target_kind,
                        nonce=batch_nonce,
                        delivery_ids=ids,
                        notifications=tuple(notifications),
                        ping_role_ids=roles,
                        attempts=max(row.attempts for row in chunk),
                        deadline=min(_deadline(row) for row in chunk),
                        look_first=any(now - at > self._policy.nonce_window for at in expired),
                        not_before=claimed_at
                        + max((row.due.due_at - now).total_seconds() for row in chunk),
                        claimed_at=claimed_at,
                    )
                )
        await deliveries.fix_batches(tx, nonces, late_ids=late_ids)
        return batches

    # ------------------------------------------------------------------ sending
    async def _work(self) -> None:
        while True:
            batch = await self._queue.get()
            try:
                await self._send(batch)
            finally:
                if len(self._queue) < self._policy.claim_limit // 2:
                    self.on_capacity()

    async def _still_owed(self, batch: Batch) -> bool:
        """After its guild changed, check a claimed batch against what is owed now."""
        if self._changed_guilds.get(batch.guild_id, 0.0) <= batch.claimed_at:
            return True
        async with self._database.transaction() as tx:
            owed = await still_owed(tx, batch)
            if not owed:
                await deliveries.mark_skipped(
                    tx, batch.delivery_ids, "no longer owed after a change"
                )
        return owed

    async def _send(self, batch: Batch) -> None:
        if not await self._still_owed(batch):
            self._in_flight.difference_update(batch.delivery_ids)
            return
        timeout = self._policy.send_timeout.total_seconds()
        try:
            message_id = None
            # asyncio.timeout, unlike wait_for, starts no task per send: it matters in bursts.
            async with asyncio.timeout(timeout):
                if batch.look_first:
                    message_id = await self._sender.find_sent(batch)
                    if message_id is not None:
                        self.stats.found_after_lease += 1
                        log.info("found message %s already posted for %s", message_id, batch.nonce)
                if message_id is None:
                    message_id = await self._sender.send(batch)
        except TimeoutError:
            await self._settle_failure(batch, DeliveryError("timed out", retryable=True))
        except DeliveryError as error:
            await self._settle_failure(batch, error)
        except Exception as error:
            # A bug, not Discord: retrying would repeat it, so fail the rows and say why.
            log.exception("sending to %s raised", batch.target_id)
            await self._settle_failure(batch, DeliveryError(repr(error), retryable=False))
        else:
            self._sent.append((batch, message_id))
            self._sent_waiting.set()
            return
        self._in_flight.difference_update(batch.delivery_ids)

    async def _record_sent(self) -> None:
        """Record sent messages in batches: one transaction for many sends, not one each.

        Until recorded, a row keeps its lease and nonce: after a crash it is resent with
        the same nonce and Discord returns the message it already has.
        """
        while True:
            await self._sent_waiting.wait()
            await asyncio.sleep(RECORD_EVERY_SECONDS)
            await self._flush_sent()

    async def _flush_sent(self) -> None:
        self._sent_waiting.clear()
        done, self._sent = self._sent, []
        if not done:
            return
        now = self._clock()
        async with self._database.transaction() as tx:
            for batch, message_id in done:
                await deliveries.mark_sent(tx, batch.delivery_ids, message_id, now)
            announced = {r for batch, _ in done for r in batch.announced_release_ids}
            for release_id in sorted(announced):
                await releases.set_status(tx, release_id, ReleaseStatus.RELEASED)
        for batch, _ in done:
            self._in_flight.difference_update(batch.delivery_ids)
        self.stats.sent += len(done)

    async def _settle_failure(self, batch: Batch, error: DeliveryError) -> None:
        now = self._clock()
        if batch.target_kind is TargetKind.CHANNEL and error.code in CHANNEL_GONE_CODES:
            await self._disable_channel(batch, error, now)
            return
        if batch.target_kind is TargetKind.USER and error.code == CANNOT_DM_CODE:
            await self._pause_dms(batch, error, now)
            return
        backoff = min(timedelta(seconds=2**batch.attempts), self._policy.max_backoff)
        async with self._database.transaction() as tx:
            if error.retryable and now + backoff < batch.deadline:
                self.stats.retried += 1
                log.warning(
                    "send to %s failed (%s); retrying in %s", batch.target_id, error.reason, backoff
                )
                await deliveries.retry_at(tx, batch.delivery_ids, now + backoff, error.reason)
            else:
                self.stats.failed += 1
                log.error("send to %s failed for good: %s", batch.target_id, error.reason)
                await deliveries.mark_failed(tx, batch.delivery_ids, error.reason)

    async def _disable_channel(self, batch: Batch, error: DeliveryError, now: datetime) -> None:
        reason = _channel_reason(error.code)
        async with self._database.transaction() as tx:
            await deliveries.mark_failed(tx, batch.delivery_ids, error.reason)
            newly = await disable_channel(tx, batch.guild_id, batch.target_id, reason, now)
            guild = await settings.guild_settings(tx, batch.guild_id)
        self.stats.failed += 1
        log.warning("channel %s disabled: %s", batch.target_id, reason)
        if newly:
            # The announcement channel if it still works, else the guild's system channel.
            working = guild.channel_id if guild.channel_disabled_reason is None else None
            await self._sender.tell_guild(
                batch.guild_id,
                f"Airdate stopped posting in <#{batch.target_id}>: {reason}. Fix that, then "
                "run `/follow` (or `/settings channel`) for it again to resume.",
                [] if working is None or working == batch.target_id else [working],
            )

    async def _pause_dms(self, batch: Batch, error: DeliveryError, now: datetime) -> None:
        async with self._database.transaction() as tx:
            await deliveries.mark_failed(tx, batch.delivery_ids, error.reason)
            await follows.pause_dms(tx, batch.target_id, now)
            await deliveries.skip_pending_for_target(tx, batch.target_id, "DMs closed")
        self.stats.failed += 1
        log.info(
            "member %s does not accept DMs; their DM subscriptions are paused", batch.target_id
        )


async def disable_channel(
    tx: Transaction, guild_id: int, channel_id: int, reason: str, now: datetime
) -> bool:
    """Stop posting in a channel: its follows disabled, what it was owed skipped.

    Return True if anything was enabled before, so the guild is told only once.
    """
    newly = await follows.disable_channel_follows(tx, channel_id, reason, now) > 0
    guild = await settings.guild_settings(tx, guild_id)
    if guild.channel_id == channel_id and guild.channel_disabled_reason is None:
        await settings.save_guild_settings(tx, replace(guild, channel_disabled_reason=reason), now)
        newly = True
    await deliveries.skip_pending_for_target(tx, channel_id, reason)
    return newly


def _channel_reason(code: int | None) -> str:
    if code == 10003:
        return "the channel no longer exists"
    if code == 50001:
        return "Airdate can no longer see the channel (missing access)"
    return (
        "Airdate lacks permission to post there "
        "(it needs View Channel, Send Messages and Embed Links)"
    )


class _AudienceCache:
    """Each channel's follows, read once per claim rather than once per message."""

    def __init__(self) -> None:
        self._follows: dict[int, list[Follow]] = {}

    async def prefetch(self, tx: Transaction, channel_ids: Sequence[int]) -> None:
        self._follows.update(await follows.follows_of_channels(tx, channel_ids))

    async def ping_roles(
        self,
        tx: Transaction,
        guild: GuildSettings,
        channel_id: int,
        notifications: Sequence[Notification],
    ) -> tuple[int, ...]:
        """Return the roles of every follow of this channel that covers one of the releases."""
        if channel_id not in self._follows:
            await self.prefetch(tx, [channel_id])
        roles: list[int] = []
        for notification in notifications:
            for audience in channel_audiences(
                notification.release, guild, self._follows[channel_id]
            ):
                if audience.channel_id == channel_id:
                    roles += [r for r in audience.role_ids if r not in roles]
        return tuple(roles)


async def still_owed(tx: Transaction, batch: Batch) -> bool:
    """Whether every notification of a batch is still owed to its target as things are now."""
    for notification in batch.notifications:
        release = await releases.release_by_id(tx, notification.release.id)
        if release is None or release.status is ReleaseStatus.CANCELLED:
            return False
        if release.revision != notification.release.revision:
            return False
        if notification.kind is DeliveryKind.NOTICE:
            continue
        before_due = notification.due_at - timedelta(seconds=1)
        owed = {p.key for p in await planner.owed_for_release(tx, release, before_due)}
        if not any(
            key.target_id == batch.target_id
            and key.kind is notification.kind
            and key.offset_seconds == int(notification.offset.total_seconds())
            for key in owed
        ):
            return False
    return True


def _deadline(row: deliveries.ClaimedRow) -> datetime:
    """Return the moment after which retrying a row is pointless."""
    if row.due.key.kind is DeliveryKind.REMINDER and row.due.release_time.at is not None:
        return row.due.release_time.at
    return row.due.due_at + ANNOUNCEMENT_CATCH_UP


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("delivery worker died", exc_info=task.exception())
