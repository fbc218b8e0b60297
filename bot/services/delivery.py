"""The delivery engine's work: claim what is due, check it is owed, send fairly, record.

Every notification is checked against `owed` when it is claimed (fresh, retried or
re-claimed alike) and again just before it leaves if its guild changed since. Outcomes
go to one recorder that keeps them until the database has them: a locked or full
database delays the record, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.domain.models import DeliveryKind, TargetKind
from bot.domain.threads import discussion_name, post_title
from bot.scheduling.deadlines import Deadlines
from bot.scheduling.ratelimit import ChannelWindows, Monotonic
from bot.scheduling.sendqueue import FairQueue
from bot.scheduling.supervise import start_supervised
from bot.services import reconcile
from bot.services.access import disable_channel, pause_dms
from bot.services.batches import (
    Batch,
    build_batches,
    held_targets,
    owed_now,
    started_reminders,
    still_owed,
    verify_batches,
)
from bot.services.thread_starts import ThreadStarts
from bot.storage import deliveries, held_sends, releases, settings, threads
from bot.storage.database import Database, Transaction
from bot.storage.deliveries import ClaimedRow

log = logging.getLogger(__name__)

#: Discord error codes that mean Airdate may not (or can no longer) post in a channel.
CHANNEL_GONE_CODES = frozenset({10003, 50001, 50013})
CANNOT_DM_CODE = 50007
#: How long sent messages wait to be recorded together.
RECORD_EVERY_SECONDS = 0.05
#: How long past its look's lease a held send waits if the look is never recorded.
HOLD_MARGIN = timedelta(seconds=1)


class DeliveryError(Exception):
    """A send that did not go through; `retryable` says whether trying again can help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: int | None = None,
        maybe_delivered: bool = False,
        post_gone: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code
        #: No answer came (a timeout, a dropped connection): Discord may have the message.
        self.maybe_delivered = maybe_delivered
        #: The release's forum post is gone (deleted in Discord): start a new one.
        self.post_gone = post_gone


@dataclass(frozen=True, slots=True)
class Posted:
    """A message sent to a forum: its id, and the id of the release's post it is in."""

    message_id: int
    post_id: int


class Sender(Protocol):
    async def wait_turn(self) -> None:
        """Wait until the bot's rate limit allows the next request."""

    def fingerprint(self, batch: Batch) -> str:
        """Return a hash of the message the batch composes, to recognise it later."""

    async def send(self, batch: Batch) -> int | Posted:
        """Post the batch as one message; return its id or raise DeliveryError."""

    async def find_sent(self, batch: Batch) -> int | Posted | None:
        """Return the id of the target's recent message with the batch's fingerprint."""

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
    #: How long date-change notices wait for further edits.
    notice_debounce: timedelta = timedelta(seconds=60)


@dataclass
class DeliveryStats:
    """What the engine did since start-up, counted by the engine alone (logs and tests read it)."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    found_after_lease: int = 0
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a batch, waiting to be recorded."""

    batch: Batch
    message_id: int | None = None
    error: DeliveryError | None = None
    #: The forum post the message went into, when it may be new.
    post_id: int | None = None
    #: Rows found no longer owed before sending.
    dropped: tuple[int, ...] = ()
    drop_reason: str = ""


@dataclass
class _Recorder:
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)


class DeliveryService:
    """Implements the dispatcher's Outbox over the database, a fair queue and a Sender."""

    def __init__(
        self,
        database: Database,
        sender: Sender,
        policy: DeliveryPolicy,
        clock: Clock,
        *,
        monotonic: Monotonic = time.monotonic,
        thread_starts: ThreadStarts | None = None,
    ) -> None:
        self._database = database
        #: Starts the discussion threads owed on announcements once they are recorded.
        self._thread_starts = thread_starts
        self._threads_owed = False
        self._sender = sender
        self._policy = policy
        self._clock = clock
        self._monotonic = monotonic
        self._queue: FairQueue[Batch] = FairQueue(ChannelWindows(clock=monotonic), clock=monotonic)
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._recorder = _Recorder()
        self._changed_guilds: dict[int, float] = {}
        self._wake_after_commit = False
        self.on_capacity: Callable[[], None] = lambda: None
        self.stats = DeliveryStats()
        self._deadlines = Deadlines(policy.send_timeout.total_seconds(), clock=monotonic)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for number in range(self._policy.workers):
            start_supervised(f"delivery sender {number}", self._work_once, self._tasks)
        start_supervised("send time limits", self._deadlines.sweep_forever, self._tasks)
        start_supervised("delivery recorder", self._record_once, self._tasks)
        if self._thread_starts is not None:
            start_supervised("discussion threads", self._thread_starts.run_once, self._tasks)

    async def stop(self) -> None:
        """Stop sending; record what Discord already accepted, abandon the rest to leases."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self._flush()

    def idle(self) -> bool:
        """Whether nothing claimed is waiting to be sent or recorded."""
        return not self._in_flight and not self._recorder.outcomes and not len(self._queue)

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
        """Have messages of this guild claimed before now checked again before they leave."""
        now = self._monotonic()
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
        # The engine's monotonic time matching `now`: a message held for its due moment
        # leaves at `due - now` after this, however long the claim itself takes. It is
        # also when the claim counts as made, so a change during the claim is re-checked.
        claimed_at = self._monotonic()

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
            now_owed = await owed_now(
                tx,
                sorted({row.key.release_id for row in claimed}),
                now,
                policy.notice_debounce,
                only=held_targets(row.key for row in claimed),
            )
            # A reminder re-claimed past the nonce window may have been posted already and
            # is only worth anything while fresh: don't risk a second one.
            stale = {
                row.delivery_id
                for row in claimed
                if row.lease_expired_at is not None
                and row.key.kind is DeliveryKind.REMINDER
                and now - row.lease_expired_at > policy.nonce_window
            }
            sendable = [
                row for row in claimed if row.key in now_owed.owed and row.delivery_id not in stale
            ]
            kept = {row.delivery_id for row in sendable}
            # Not to be sent, but an earlier attempt may be in Discord: look for it first.
            looked_for = [
                row
                for row in claimed
                if row.delivery_id not in kept and row.unconfirmed and row.fingerprint
            ]
            kept |= {row.delivery_id for row in looked_for}
            skipped = [row.delivery_id for row in claimed if row.delivery_id not in kept]
            await deliveries.mark_skipped(tx, skipped, "not owed when due")
            sendable = await self._hold_until_looked_for(tx, sendable, now)
            forums = await threads.forums_among(
                tx, {r.key.target_id for r in claimed if r.key.target_kind is TargetKind.CHANNEL}
            )
            threaded = await threads.threaded_guilds(tx, {r.guild_id for r in sendable})

            def alone(row: ClaimedRow) -> bool:
                # A forum post is one release's; so is a message that starts a thread.
                announcement = row.key.kind is DeliveryKind.ANNOUNCEMENT
                return row.key.target_id in forums or (announcement and row.guild_id in threaded)

            batches = []
            built = build_batches(
                sendable, now_owed, now, policy.nonce_window, claimed_at, alone=alone
            )
            for batch in built:
                try:
                    batches.append(self._fingerprinted(batch))
                except Exception as error:
                    # A message that cannot be composed is a bug: fail its rows, so one bad
                    # row never blocks every claim after it.
                    log.exception("composing a message for %s failed", batch.target_id)
                    await deliveries.mark_failed(tx, batch.delivery_ids, repr(error))
            await deliveries.fix_batches(
                tx,
                [
                    deliveries.FixedBatch(
                        b.delivery_ids,
                        b.nonce,
                        b.fingerprint,
                        tuple(
                            i
                            for i, n in zip(b.delivery_ids, b.notifications, strict=True)
                            if n.late
                        ),
                    )
                    for b in batches
                ],
            )
            batches += verify_batches(looked_for, now, claimed_at)
            batches = await _into_posts(tx, batches, forums, now)
        for batch in batches:
            self._in_flight.update(batch.delivery_ids)
        self.stats.dropped += len(skipped)
        return batches, len(claimed)

    async def _hold_until_looked_for(
        self, tx: Transaction, rows: list[ClaimedRow], now: datetime
    ) -> list[ClaimedRow]:
        """Hold back rows whose earlier version to the same target may be in Discord and
        is still to be looked for: once it is found, the new one may no longer be owed."""
        waiting = await held_sends.waiting_for_a_look(tx, [row.delivery_id for row in rows])
        if not waiting:
            return rows
        # Released as soon as the look is recorded; the lease is only the fallback.
        await held_sends.hold(tx, {i: max(look, now) + HOLD_MARGIN for i, look in waiting.items()})
        return [row for row in rows if row.delivery_id not in waiting]

    def _fingerprinted(self, batch: Batch) -> Batch:
        if batch.fingerprint:
            return batch
        return replace(batch, fingerprint=self._sender.fingerprint(batch))

    # ------------------------------------------------------------------ sending
    async def _work_once(self) -> None:
        batch = await self._queue.get()
        try:
            await self._send(batch)
        except Exception:
            # Nothing in memory is dropped: the batch waits and tries again.
            self._queue.put(replace(batch, not_before=self._monotonic() + 1.0))
            raise
        finally:
            if len(self._queue) < self._policy.claim_limit // 2:
                self.on_capacity()

    async def _checked(self, batch: Batch) -> tuple[Batch, tuple[int, ...]]:
        """Check a batch against what is owed now if its guild changed since the claim."""
        batch, started = started_reminders(batch, self._clock())
        if self._changed_guilds.get(batch.guild_id, 0.0) <= batch.claimed_at:
            return batch, started
        release_ids = sorted({key.release_id for key in batch.keys})
        async with self._database.snapshot() as tx:
            now_owed = await owed_now(
                tx,
                release_ids,
                self._clock(),
                self._policy.notice_debounce,
                only=held_targets(batch.keys),
            )
        checked, dropped = still_owed(batch, now_owed, self._monotonic())
        return checked, started + dropped

    async def _send(self, batch: Batch) -> None:
        if batch.verify:
            await self._verify(batch)
            return
        # Wait for the rate limit first, then check: a change confirmed to a moderator
        # meanwhile is seen, and nothing leaves on a check made before it.
        await self._sender.wait_turn()
        checked, dropped = await self._checked(batch)
        if dropped:
            maybe_there = [i for i in dropped if i in batch.unconfirmed_ids and batch.fingerprint]
            gone = tuple(i for i in dropped if i not in maybe_there)
            if gone:
                self._record(Outcome(batch, dropped=gone, drop_reason="no longer owed"))
            if maybe_there:
                self._queue.put(batch.verifying(maybe_there))
        if not checked.delivery_ids:
            return
        batch = checked
        try:
            result: int | Posted | None = None
            # Bounded by a shared sweep, not a timer per send: it matters in bursts.
            async with self._deadlines.bounded():
                if batch.look_first:
                    result = await self._sender.find_sent(batch)
                    if result is not None:
                        self.stats.found_after_lease += 1
                        log.info("found message %s already posted for %s", result, batch.nonce)
                    else:
                        await self._sender.wait_turn()
                if result is None:
                    result = await self._sender.send(batch)
        except TimeoutError:
            lost = DeliveryError("timed out", retryable=True, maybe_delivered=True)
            self._record(Outcome(batch, error=lost))
        except DeliveryError as error:
            self._record(Outcome(batch, error=error))
        except Exception as error:
            # A bug, not Discord: retrying would repeat it, so fail the rows and say why.
            log.exception("sending to %s raised", batch.target_id)
            self._record(Outcome(batch, error=DeliveryError(repr(error), retryable=False)))
        else:
            self._record(_sent(batch, result))

    async def _verify(self, batch: Batch) -> None:
        """Look for a message no longer owed that an earlier attempt may have posted."""
        try:
            async with self._deadlines.bounded():
                found = await self._sender.find_sent(batch)
        except TimeoutError:
            self._record(Outcome(batch, error=DeliveryError("timed out", retryable=True)))
            return
        except DeliveryError as error:
            self._record(Outcome(batch, error=error))
            return
        if found is None:
            self._record(
                Outcome(batch, dropped=batch.delivery_ids, drop_reason="no longer owed; not sent")
            )
            return
        self.stats.found_after_lease += 1
        log.info("found message %s posted before its release changed", found)
        self._record(_sent(batch, found))

    # ------------------------------------------------------------------ recording
    def _record(self, outcome: Outcome) -> None:
        self._recorder.outcomes.append(outcome)
        self._recorder.waiting.set()

    async def _record_once(self) -> None:
        """Record outcomes in batches: one transaction for many sends, not one each.

        Until recorded, a sent row keeps its lease and nonce: after a crash it is resent
        with the same nonce and Discord returns the message it already has.
        """
        await self._recorder.waiting.wait()
        await asyncio.sleep(RECORD_EVERY_SECONDS)
        await self._flush()

    async def _flush(self) -> None:
        """Write every outcome held; on failure keep them all for the next try."""
        held = list(self._recorder.outcomes)
        if not held:
            self._recorder.waiting.clear()
            return
        now = self._clock()
        tell: list[tuple[Batch, str, GuildWorking]] = []
        async with self._database.transaction() as tx:
            sent = [o for o in held if o.message_id is not None]
            for outcome in sent:
                await deliveries.mark_sent(
                    tx, outcome.batch.delivery_ids, outcome.message_id or 0, now
                )
            await self._after_sent(tx, [o.batch for o in sent], now)
            await self._posts_and_threads(tx, sent, now)
            looked = [key for o in held if o.batch.unconfirmed_ids for key in o.batch.keys]
            if looked and await held_sends.release(tx, looked, now):
                self._wake_after_commit = True
            for outcome in held:
                if outcome.dropped:
                    await deliveries.mark_skipped(tx, outcome.dropped, outcome.drop_reason)
                if outcome.error is not None:
                    told = await self._settle_failure(tx, outcome.batch, outcome.error, now)
                    if told is not None:
                        tell.append((outcome.batch, told[0], told[1]))
        if self._wake_after_commit:
            self._wake_after_commit = False
            self.on_capacity()
        if self._threads_owed and self._thread_starts is not None:
            self._threads_owed = False
            self._thread_starts.wake()
        del self._recorder.outcomes[: len(held)]
        if not self._recorder.outcomes:
            self._recorder.waiting.clear()
        for outcome in held:
            self._in_flight.difference_update(outcome.dropped)
            if outcome.message_id is not None or outcome.error is not None:
                self._in_flight.difference_update(outcome.batch.delivery_ids)
        self.stats.sent += sum(1 for o in held if o.message_id is not None)
        self.stats.dropped += sum(len(o.dropped) for o in held)
        for batch, reason, working in tell:
            self._tell_later(batch, reason, working)

    async def _after_sent(self, tx: Transaction, sent: Sequence[Batch], now: datetime) -> None:
        """Mark announced releases out (same revision only), and owe notices to targets
        just told about a time the release has since moved from."""
        announced = {pair for batch in sent for pair in batch.announced}
        for release_id, revision in sorted(announced):
            await releases.mark_released(tx, release_id, revision)
        # One flush may record several revisions of a release (a notice of the new time
        # beside a found post about the old one): any told revision not current counts.
        told = {(key.release_id, key.revision) for b in sent for key in b.keys}
        if not told:
            return
        current = await releases.releases_by_ids(tx, {release_id for release_id, _ in told})
        moved = sorted(
            {r for r, revision in told if r in current and current[r].revision != revision}
        )
        owed = await reconcile.reconcile_releases(
            tx, moved, now, self._policy.notice_debounce, reason="told about an old time"
        )
        if owed:
            # A notice may be owed now: have the dispatcher look again after the commit.
            self._wake_after_commit = True

    async def _posts_and_threads(
        self, tx: Transaction, sent: Sequence[Outcome], now: datetime
    ) -> None:
        """Record the forum posts just created, and owe a discussion thread on each
        announcement just posted in a guild that has threads on (in this transaction, so
        the thread is owed exactly when the message is recorded)."""
        starts: list[threads.ThreadStart] = []
        plain = [o for o in sent if o.batch.target_kind is TargetKind.CHANNEL]
        threaded = await threads.threaded_guilds(tx, {o.batch.guild_id for o in plain})
        for outcome in plain:
            batch, message_id = outcome.batch, outcome.message_id or 0
            if batch.forum:
                if batch.post_id is None and batch.keys:
                    # A new post's first message has the post's id.
                    post_id = outcome.post_id or message_id
                    await threads.record_post(
                        tx, batch.keys[0].release_id, batch.target_id, post_id
                    )
                continue
            archive = threaded.get(batch.guild_id)
            announced = [n for n in batch.notifications if n.kind is DeliveryKind.ANNOUNCEMENT]
            if archive is None or not announced:
                continue
            starts.append(
                threads.ThreadStart(
                    message_id=message_id,
                    channel_id=batch.target_id,
                    guild_id=batch.guild_id,
                    name=discussion_name(announced[0]),
                    archive_minutes=archive.value,
                    attempts=0,
                    created_at=now,
                )
            )
        if starts and await threads.owe_threads(tx, starts, now):
            self._threads_owed = True

    async def _settle_failure(
        self, tx: Transaction, batch: Batch, error: DeliveryError, now: datetime
    ) -> tuple[str, GuildWorking] | None:
        """Record a failed send; return what to tell the guild, if its channel is gone."""
        if error.post_gone and batch.post_id is not None and batch.keys:
            # Deleted by a moderator: the release's next attempt starts a new post.
            await threads.forget_post(tx, batch.keys[0].release_id, batch.target_id, batch.post_id)
        # Refused because of where it was going, not what it said: Discord has no copy, and
        # the message is skipped like everything else that target is no longer owed, so a
        # channel restored (or DMs reopened) is owed it again, late or not, by the one rule.
        if batch.target_kind is TargetKind.CHANNEL and error.code in CHANNEL_GONE_CODES:
            reason = _channel_reason(error.code)
            await _mark_refused(tx, batch, error.reason)
            newly = await disable_channel(
                tx, batch.guild_id, batch.target_id, reason, now, self._policy.notice_debounce
            )
            self.stats.failed += 1
            log.warning("channel %s disabled: %s", batch.target_id, reason)
            if not newly:
                return None
            guild = await settings.guild_settings(tx, batch.guild_id)
            working = guild.channel_id if guild.channel_disabled_reason is None else None
            return reason, working
        if batch.target_kind is TargetKind.USER and error.code == CANNOT_DM_CODE:
            await _mark_refused(tx, batch, error.reason)
            await pause_dms(tx, batch.target_id, now, self._policy.notice_debounce)
            self.stats.failed += 1
            log.info(
                "member %s does not accept DMs; their DM subscriptions are paused", batch.target_id
            )
            return None
        backoff = min(timedelta(seconds=2**batch.attempts), self._policy.max_backoff)
        if error.retryable and now + backoff < batch.deadline:
            self.stats.retried += 1
            log.warning(
                "send to %s failed (%s); retrying in %s", batch.target_id, error.reason, backoff
            )
            await deliveries.retry_at(
                tx,
                batch.delivery_ids,
                now + backoff,
                error.reason,
                maybe_delivered=error.maybe_delivered,
            )
        else:
            self.stats.failed += 1
            log.error("send to %s failed for good: %s", batch.target_id, error.reason)
            await deliveries.mark_failed(tx, batch.delivery_ids, error.reason)
        return None

    def _tell_later(self, batch: Batch, reason: str, working: int | None) -> None:
        """Tell the guild its channel was disabled, without holding up the recorder."""
        text = (
            f"Airdate stopped posting in <#{batch.target_id}>: {reason}. Fix that, then "
            "run `/follow` (or `/settings channel`) for it again to resume."
        )
        channels = [] if working is None or working == batch.target_id else [working]

        async def tell() -> None:
            try:
                await self._sender.tell_guild(batch.guild_id, text, channels)
            except Exception:
                log.exception(
                    "telling guild %s about channel %s failed", batch.guild_id, batch.target_id
                )

        task = asyncio.create_task(tell(), name=f"airdate-tell-{batch.guild_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


GuildWorking = int | None


def _sent(batch: Batch, result: int | Posted) -> Outcome:
    if isinstance(result, Posted):
        return Outcome(batch, message_id=result.message_id, post_id=result.post_id)
    return Outcome(batch, message_id=result)


async def _into_posts(
    tx: Transaction, batches: list[Batch], forums: set[int], now: datetime
) -> list[Batch]:
    """Point each batch for a forum at its release's post (noting the post's title the
    first time, so an uncertain attempt is looked for by the title it was sent with)."""
    in_forums = [
        b
        for b in batches
        if b.target_id in forums and b.keys and b.target_kind is TargetKind.CHANNEL
    ]
    if not in_forums:
        return batches
    first = await threads.note_post_titles(
        tx,
        {
            (b.keys[0].release_id, b.target_id): post_title(b.notifications[0])
            for b in in_forums
            if b.notifications
        },
        now,
    )
    posts = await threads.posts_for(tx, {(b.keys[0].release_id, b.target_id) for b in in_forums})
    placed = []
    forum_batches = {id(b) for b in in_forums}
    for batch in batches:
        if id(batch) not in forum_batches:
            placed.append(batch)
            continue
        post = posts.get((batch.keys[0].release_id, batch.target_id))
        placed.append(
            replace(
                batch,
                forum=True,
                post_id=None if post is None else post.thread_id,
                post_title="" if post is None else post.title,
                # A post noted before may have been made without its answer reaching us.
                uncertain=batch.uncertain
                or (batch.keys[0].release_id, batch.target_id) not in first,
            )
        )
    return placed


async def _mark_refused(tx: Transaction, batch: Batch, reason: str) -> None:
    """Record rows Discord refused for where they were going (see `_settle_failure`).

    A row an earlier attempt may already have posted (its answer was lost) is failed
    instead: owed again later, it would be sent without looking for that first post.
    """
    maybe_posted = [i for i in batch.delivery_ids if i in batch.unconfirmed_ids]
    await deliveries.mark_skipped(
        tx, [i for i in batch.delivery_ids if i not in batch.unconfirmed_ids], reason
    )
    await deliveries.mark_failed(tx, maybe_posted, reason)


def _channel_reason(code: int | None) -> str:
    if code == 10003:
        return "the channel no longer exists"
    if code == 50001:
        return "Airdate can no longer see the channel (missing access)"
    return (
        "Airdate lacks permission to post there "
        "(it needs View Channel, Send Messages and Embed Links)"
    )
