"""Posting weekly digests from their outbox: claimed with a lease, composed at send time,
posted with their key's nonce, recorded, and the next week's owed in the same transaction.

The dispatcher wakes this outbox as it wakes the release outbox (`next_wake_at`,
`run_due`). A digest more than 12 hours late (the bot was down) is recorded as skipped;
one less late is posted once. A post whose answer was lost is found again: within
Discord's nonce window by its nonce, after it by its content, which names its week.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.domain.digest import CATCH_UP, Digest, digest_days, still_owed, week_end
from bot.domain.models import DeliveryStatus
from bot.scheduling.supervise import start_supervised
from bot.services.delivery import DeliveryError, DeliveryPolicy
from bot.services.digests import plan_next
from bot.services.seen import seen_releases
from bot.storage import digests, releases, settings
from bot.storage.database import Database, Transaction
from bot.storage.digests import DigestRow

log = logging.getLogger(__name__)

#: The most releases one digest reads (it shows what fits and counts the rest).
READ_LIMIT = 5000
#: Digests claimed in one pass.
CLAIM_LIMIT = 100
WORKERS = 4


class DigestPoster(Protocol):
    async def post_digest(self, digest: Digest) -> int:
        """Post the digest (at the bot's pace) with its nonce; return the message id or
        raise DeliveryError."""

    async def find_digest(self, digest: Digest) -> int | None:
        """Return the id of the bot's recent post of this digest in its channel, if any."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    row: DigestRow
    message_id: int | None = None
    error: DeliveryError | None = None
    skipped: str | None = None


@dataclass
class _Held:
    outcomes: list[_Outcome] = field(default_factory=list)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)


class DigestOutbox:
    """The digests' share of the dispatcher's work, over the database and a DigestPoster."""

    def __init__(
        self, database: Database, poster: DigestPoster, policy: DeliveryPolicy, clock: Clock
    ) -> None:
        self._database = database
        self._clock = clock
        self._poster = poster
        self._policy = policy
        self._queue: asyncio.Queue[DigestRow] = asyncio.Queue()
        self._in_flight: set[int] = set()
        self._held = _Held()
        self._tasks: set[asyncio.Task[None]] = set()
        #: Told after outcomes are recorded (the dispatcher re-arms for the next moment).
        self.on_recorded: Callable[[], None] = lambda: None

    def start(self) -> None:
        for number in range(WORKERS):
            start_supervised(f"digest sender {number}", self._work_once, self._tasks)
        start_supervised("digest recorder", self._record_once, self._tasks)

    async def stop(self) -> None:
        """Stop posting; record what Discord already accepted, leave the rest to leases."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self._flush()

    def idle(self) -> bool:
        return not self._in_flight and not self._held.outcomes

    # ------------------------------------------------------------------ the Outbox
    async def next_wake_at(self) -> datetime | None:
        async with self._database.snapshot() as tx:
            return await digests.next_wake_at(tx, exclude=self._in_flight)

    async def run_due(self, now: datetime) -> bool:
        """Claim the digests due; skip those more than 12 hours late. Return True if more
        may be due already (a skip owes the next week's, which may be due too)."""
        # Most passes of the dispatcher are for releases: look before taking the write lock.
        due = await self.next_wake_at()
        if due is None or due > now:
            return False
        skipped = 0
        async with self._database.transaction() as tx:
            claimed = await digests.claim_due(
                tx, now, now + self._policy.lease, exclude=self._in_flight, limit=CLAIM_LIMIT
            )
            for row in claimed:
                if now - row.due_at > CATCH_UP:
                    reason = "more than 12 hours late (Airdate was offline)"
                    await digests.mark_done(tx, row.id, DeliveryStatus.SKIPPED, reason)
                    await plan_next(tx, row.guild_id, now, after=row.due_at)
                    log.warning(
                        "skipped guild %s's digest of %s: %s", row.guild_id, row.due_at, reason
                    )
                    skipped += 1
        for row in claimed:
            if now - row.due_at <= CATCH_UP:
                self._in_flight.add(row.id)
                self._queue.put_nowait(row)
        return skipped > 0 or len(claimed) >= CLAIM_LIMIT

    # ------------------------------------------------------------------ sending
    async def _work_once(self) -> None:
        row = await self._queue.get()
        try:
            outcome = await self._send(row)
        except BaseException:
            # A bug or a stop: the row keeps its lease and is claimed again when it runs out.
            self._in_flight.discard(row.id)
            raise
        self._record(outcome)

    async def _send(self, row: DigestRow) -> _Outcome:
        async with self._database.snapshot() as tx:
            guild = await settings.guild_settings(tx, row.guild_id)
            if guild.removed:
                return _Outcome(row, skipped="Airdate is no longer in the server")
            setting = await digests.digest_setting(tx, row.guild_id)
            if not still_owed(setting, row.channel_id, row.due_at, guild.timezone):
                return _Outcome(row, skipped="digest setting changed")
            # What `/upcoming` would list for the week from the digest's moment (a release
            # exactly at the moment included), as it is now.
            found = await releases.upcoming_releases(
                tx,
                row.guild_id,
                row.due_at - timedelta(seconds=1),
                week_end(row.due_at, guild.timezone),
                READ_LIMIT,
                guild.delay_after,
            )
            found = await seen_releases(tx, guild, found)
        days = digest_days(found, row.due_at, guild.timezone)
        digest = Digest(
            row.guild_id, row.channel_id, row.due_at, guild.timezone, tuple(days), row.nonce
        )
        now = self._clock()
        # Past Discord's nonce window an earlier attempt's post is not returned by the
        # nonce: look for it first.
        look = row.lease_expired_at is not None and (
            now - row.lease_expired_at > self._policy.nonce_window
        )
        try:
            async with asyncio.timeout(self._policy.send_timeout.total_seconds()):
                message_id = await self._poster.find_digest(digest) if look else None
                if message_id is None:
                    message_id = await self._poster.post_digest(digest)
                else:
                    log.info("found guild %s's digest already posted", row.guild_id)
        except TimeoutError:
            return _Outcome(
                row, error=DeliveryError("timed out", retryable=True, maybe_delivered=True)
            )
        except DeliveryError as error:
            return _Outcome(row, error=error)
        except Exception as error:
            log.exception("posting guild %s's digest raised", row.guild_id)
            return _Outcome(row, error=DeliveryError(repr(error), retryable=False))
        return _Outcome(row, message_id=message_id)

    # ------------------------------------------------------------------ recording
    def _record(self, outcome: _Outcome) -> None:
        self._held.outcomes.append(outcome)
        self._held.waiting.set()

    async def _record_once(self) -> None:
        await self._held.waiting.wait()
        await self._flush()

    async def _flush(self) -> None:
        """Record every outcome held and owe each guild its next digest; on failure keep
        them all for the next try."""
        held = list(self._held.outcomes)
        if not held:
            self._held.waiting.clear()
            return
        now = self._clock()
        async with self._database.transaction() as tx:
            for outcome in held:
                await self._settle(tx, outcome, now)
        del self._held.outcomes[: len(held)]
        if not self._held.outcomes:
            self._held.waiting.clear()
        self._in_flight.difference_update(o.row.id for o in held)
        self.on_recorded()

    async def _settle(self, tx: Transaction, outcome: _Outcome, now: datetime) -> None:
        row = outcome.row
        if outcome.message_id is not None:
            await digests.mark_sent(tx, row.id, outcome.message_id, now)
            log.info("posted guild %s's digest of %s", row.guild_id, row.due_at)
        elif outcome.skipped is not None:
            await digests.mark_done(tx, row.id, DeliveryStatus.SKIPPED, outcome.skipped)
        else:
            error = outcome.error
            assert error is not None
            backoff = min(timedelta(seconds=2**row.attempts), self._policy.max_backoff)
            if error.retryable and now + backoff - row.due_at <= CATCH_UP:
                log.warning("guild %s's digest failed (%s); retrying", row.guild_id, error.reason)
                await digests.retry_at(
                    tx, row.id, now + backoff, error.reason, maybe_delivered=error.maybe_delivered
                )
                return
            log.error("guild %s's digest failed for good: %s", row.guild_id, error.reason)
            await digests.mark_done(tx, row.id, DeliveryStatus.FAILED, error.reason)
        await plan_next(tx, row.guild_id, now, after=row.due_at)
