"""The events mirror: makes each guild's Discord scheduled events match its highlights.

One supervised worker, woken after every committed change of a guild (and at least once a
minute, and when a retry or a lease falls due or a mirrored release starts), reconciles
the guild in two steps:

1. **Plan** (one transaction): compute the wanted set from what the guild sees now (the
   pure rules of `bot.domain.scheduled_events`) and write it into `scheduled_events`: one
   row per mirrored release saying what Discord should show (`event`, `cancelled`,
   `deleted`, `done`) and what it shows (`event_id`, `synced`). Planning again from the
   same data writes nothing, so a missed or repeated wake-up loses and doubles nothing.
2. **Execute**: each row whose wish differs from what Discord shows owes one operation
   (`next_operation`). The row is claimed with a lease in a transaction, the call is made
   through the bot's one rate limiter, and the outcome recorded. A create writes what it
   is about to send into the row before sending; a row that still carries it (the
   process died, or the answer never came) lists the guild's events and adopts the one
   the bot made with that name and start before anything else, so an event made but not
   recorded is found again rather than made twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from bot.clock import Clock
from bot.domain.catalog_view import seen_release
from bot.domain.models import ReleaseStatus
from bot.domain.scheduled_events import (
    CANCELLED_MARK,
    MISSING_PERMISSION,
    Attempt,
    Candidate,
    EventSpec,
    ListedEvent,
    MirrorRow,
    MirrorSetting,
    Operation,
    Want,
    adoptable,
    event_spec,
    mirrorable,
    mirrored_set,
    next_operation,
    retry_delay,
)
from bot.scheduling.supervise import start_supervised
from bot.services.changes import Changes
from bot.storage import calendar as calendar_store
from bot.storage import scheduled_events as store
from bot.storage import settings
from bot.storage.database import Transaction

log = logging.getLogger(__name__)

#: At least this often every mirroring guild is reconciled (a start passing frees a slot).
TICK = timedelta(seconds=60)
#: Rows that are done, or gone, are forgotten this long after their start.
FORGET_AFTER = timedelta(days=2)
#: Rounds of operations one wake-up may take for a guild (a find, then a create...).
ROUNDS = 4


class EventFailure(Enum):
    GONE = "gone"  # 404, 10070 Unknown Guild Scheduled Event, 180000 finished
    FORBIDDEN = "forbidden"  # 403: Create Events missing
    PASSING = "passing"  # 5xx, 429, timeout, dropped connection
    REFUSED = "refused"  # another 4xx: this request will not work as it is


class EventError(Exception):
    def __init__(self, failure: EventFailure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


class EventGateway(Protocol):
    """Discord's scheduled events, as the mirror uses them (each call paced and bounded)."""

    def bot_id(self) -> int: ...

    async def create(self, guild_id: int, spec: EventSpec) -> int: ...

    async def edit(self, guild_id: int, event_id: int, spec: EventSpec) -> None: ...

    async def cancel(self, guild_id: int, event_id: int) -> None: ...

    async def delete(self, guild_id: int, event_id: int) -> None: ...

    async def listed(self, guild_id: int) -> Sequence[ListedEvent]: ...

    async def close(self) -> None:
        """Let go of what the gateway holds (the mirror has stopped)."""


class EventMirror:
    def __init__(
        self,
        changes: Changes,
        gateway: EventGateway,
        clock: Clock,
        *,
        limit: int,
        lease: timedelta,
    ) -> None:
        self._changes = changes
        self._gateway = gateway
        self._clock = clock
        self._limit = limit
        self._lease = lease
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_tick: datetime | None = None
        self._stopped = False

    def guild_changed(self, guild_id: int) -> None:
        """A change of the guild committed: reconcile its events soon."""
        self._dirty.add(guild_id)
        self._wake.set()

    def start(self) -> None:
        # on_ready may run after the bot began closing (READY is awaited before its
        # handlers run): a worker started then would outlive the database.
        if not self._tasks and not self._stopped:
            self._next_tick = None
            start_supervised("events mirror", self._step, self._tasks)

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._gateway.close()

    async def _step(self) -> None:
        now = self._clock()
        if self._next_tick is None or now >= self._next_tick:
            async with self._changes.read() as tx:
                self._dirty.update(await store.mirroring_guilds(tx))
            self._next_tick = now + TICK
        if not self._dirty:
            await self._sleep(now)
            return
        self._wake.clear()
        guilds, self._dirty = sorted(self._dirty), set()
        for index, guild_id in enumerate(guilds):
            try:
                await self.sync_guild(guild_id)
            except BaseException:
                self._dirty.update(guilds[index:])  # tried again after the backoff
                raise

    async def _sleep(self, now: datetime) -> None:
        async with self._changes.read() as tx:
            due = await store.next_wake_at(tx, now)
        until = self._next_tick or now + TICK
        if due is not None and due < until:
            until = due
        seconds = max(0.0, (until - now).total_seconds())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        if due is not None and self._clock() >= due:
            async with self._changes.read() as tx:
                self._dirty.update(await store.mirroring_guilds(tx))

    async def sync_guild(self, guild_id: int) -> None:
        """Plan the guild's events, then carry out what is owed until nothing more can be."""
        for _ in range(ROUNDS):
            now = self._clock()
            setting = await self.plan(guild_id, now)
            if setting is None or setting.paused:
                return
            if not await self.execute(guild_id, now):
                return

    async def plan(self, guild_id: int, now: datetime) -> MirrorSetting | None:
        """Write what Discord should show for the guild's events (None: the bot is not
        in the guild, and nothing is done there)."""
        async with self._changes.read() as tx:
            setting = await store.mirror_setting(tx, guild_id)
            guild = await settings.guild_settings(tx, guild_id)
            rows = []
            if setting.enabled and not guild.removed:
                rows = await calendar_store.source_rows(tx, guild_id, now)
        if guild.removed:
            return None
        specs: dict[int, EventSpec] = {}
        cancelled: set[int] = set()
        for source in calendar_store.sources_from_rows(rows):
            release = seen_release(
                source.release, source.titles, guild.title_language, guild.delay_after
            )
            if release.status is ReleaseStatus.CANCELLED:
                cancelled.add(release.id)
            if mirrorable(release, now):
                specs[release.id] = event_spec(release, source.duration)
        chosen = mirrored_set(
            (Candidate(release_id, spec.starts_at) for release_id, spec in specs.items()),
            self._limit if setting.enabled else 0,
        )
        async with self._changes.database.transaction() as tx:
            existing = {
                stored.row.release_id: stored.row for stored in await store.guild_rows(tx, guild_id)
            }
            for release_id in chosen:
                await _want_event(
                    tx, existing.get(release_id), guild_id, release_id, specs[release_id]
                )
            for release_id, row in existing.items():
                if release_id not in chosen:
                    await _unwant(tx, row, now, release_id in cancelled, enabled=setting.enabled)
        return setting

    async def execute(self, guild_id: int, now: datetime) -> bool:
        """Carry out one owed operation per row; True if any was done (plan again)."""
        async with self._changes.read() as tx:
            setting = await store.mirror_setting(tx, guild_id)
            rows = await store.guild_rows(tx, guild_id)
            taken = await store.known_event_ids(tx, guild_id)
        if setting.paused:
            return False
        progress = False
        for stored in sorted(rows, key=lambda s: (s.row.spec.starts_at, s.row.release_id)):
            operation = next_operation(stored.row)
            if operation is None or stored.next_try_at > now:
                continue
            if stored.lease_until is not None and stored.lease_until > now:
                continue
            outcome = await self._carry_out(operation, stored.row, stored.attempts, now, taken)
            if outcome is _Outcome.PAUSED:
                return False
            progress = progress or outcome is _Outcome.DONE
        return progress

    async def _carry_out(
        self, operation: Operation, row: MirrorRow, attempts: int, now: datetime, taken: set[int]
    ) -> _Outcome:
        guild_id, release_id, spec = row.guild_id, row.release_id, row.spec
        attempt = Attempt(spec.name, spec.starts_at, spec.fingerprint)
        async with self._changes.database.transaction() as tx:
            claimed = await store.claim(
                tx,
                guild_id,
                release_id,
                now,
                now + self._lease,
                attempt if operation is Operation.CREATE else None,
            )
        if not claimed:
            return _Outcome.SKIPPED
        gateway = self._gateway
        try:
            event_id: int | None = row.event_id
            synced: str | None = None
            if operation is Operation.FIND:
                assert row.attempt is not None
                found = adoptable(
                    await gateway.listed(guild_id), row.attempt, gateway.bot_id(), taken
                )
                event_id = None if found is None else found.event_id
                synced = None if found is None else row.attempt.fingerprint
                log.info(
                    "guild %s release %s: an earlier create %s",
                    guild_id,
                    release_id,
                    "had made its event; adopted" if found else "made no event",
                )
            elif operation is Operation.CREATE:
                event_id = await gateway.create(guild_id, spec)
                synced = spec.fingerprint
            elif operation is Operation.PATCH:
                assert event_id is not None
                await gateway.edit(guild_id, event_id, spec)
                synced = spec.fingerprint
            elif operation is Operation.CANCEL:
                assert event_id is not None
                await gateway.cancel(guild_id, event_id)
                synced = CANCELLED_MARK
            else:
                assert event_id is not None
                await gateway.delete(guild_id, event_id)
                event_id = None
        except EventError as error:
            return await self._failed(row, operation, error, attempts, now)
        if event_id is not None:
            taken.add(event_id)
        async with self._changes.database.transaction() as tx:
            await store.record_event(tx, guild_id, release_id, event_id, synced)
        return _Outcome.DONE

    async def _failed(
        self, row: MirrorRow, operation: Operation, error: EventError, attempts: int, now: datetime
    ) -> _Outcome:
        guild_id, release_id = row.guild_id, row.release_id
        async with self._changes.database.transaction() as tx:
            if error.failure is EventFailure.GONE and operation is not Operation.CREATE:
                if row.want is Want.EVENT:
                    log.info("guild %s: event %s is gone; not made again", guild_id, row.event_id)
                    await store.record_gone(tx, guild_id, release_id)
                else:
                    await store.record_event(tx, guild_id, release_id, None, None)
                return _Outcome.DONE
            if error.failure is EventFailure.FORBIDDEN:
                await store.record_failure(tx, guild_id, release_id, error.detail, None)
                setting = await store.mirror_setting(tx, guild_id)
                if not setting.paused:
                    log.warning(
                        "guild %s: Discord refused a scheduled event (%s); the mirror is "
                        "paused until Airdate has Create Events",
                        guild_id,
                        error.detail,
                    )
                    paused = MirrorSetting(guild_id, setting.enabled, MISSING_PERMISSION, now)
                    await store.save_mirror_setting(tx, paused, now)
                return _Outcome.PAUSED
            retry_at = now + retry_delay(attempts + 1)
            if error.failure is EventFailure.REFUSED:
                log.error("guild %s release %s: %s", guild_id, release_id, error.detail)
                retry_at = max(retry_at, now + timedelta(hours=1))
            else:
                log.warning(
                    "guild %s release %s: %s failed (%s); trying again",
                    guild_id,
                    release_id,
                    operation.value,
                    error.detail,
                )
            await store.record_failure(tx, guild_id, release_id, error.detail, retry_at)
        return _Outcome.FAILED


class _Outcome(Enum):
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    PAUSED = "paused"


async def _want_event(
    tx: Transaction, row: MirrorRow | None, guild_id: int, release_id: int, spec: EventSpec
) -> None:
    if row is None:
        await store.want(tx, guild_id, release_id, Want.EVENT, spec)
        return
    if row.gone or (row.want is Want.EVENT and row.spec == spec):
        return
    if row.synced == CANCELLED_MARK:
        # A canceled event cannot be scheduled again: the release gets a new one.
        await store.forget_canceled_event(tx, guild_id, release_id)
    await store.want(tx, guild_id, release_id, Want.EVENT, spec)


async def _unwant(
    tx: Transaction, row: MirrorRow, now: datetime, cancelled: bool, *, enabled: bool
) -> None:
    """A release that left the guild's mirrored set."""
    guild_id, release_id = row.guild_id, row.release_id
    started = row.spec.starts_at <= now
    if (row.gone or row.want is Want.DONE) and (
        not enabled or row.spec.starts_at <= now - FORGET_AFTER
    ):
        await store.forget(tx, guild_id, [release_id])
        return
    if row.gone or row.want is Want.DONE:
        return
    if row.event_id is None and row.attempt is None:
        await store.forget(tx, guild_id, [release_id])
    elif started:
        # Discord starts and ends an external event by itself.
        await store.set_want(tx, guild_id, [release_id], Want.DONE)
    elif cancelled and enabled:
        if row.want is not Want.CANCELLED:
            await store.set_want(tx, guild_id, [release_id], Want.CANCELLED)
    elif row.want is not Want.DELETED:
        await store.set_want(tx, guild_id, [release_id], Want.DELETED)
