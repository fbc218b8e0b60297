"""The outbox: one row per message owed, claimed with a lease and marked when sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import aiosqlite

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    DeliveryStatus,
    Precision,
    ReleaseTime,
    TargetKind,
)
from bot.domain.owed import Owed
from bot.storage.convert import from_epoch, maybe_datetime, to_epoch
from bot.storage.database import Transaction


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """A due row the dispatcher now holds the lease on."""

    delivery_id: int
    key: DeliveryKey
    guild_id: int
    due_at: datetime
    attempts: int
    nonce: str | None
    late: bool
    old_time: ReleaseTime | None
    fingerprint: str | None = None
    #: Set when an earlier attempt's lease ran out: that attempt may have reached Discord.
    lease_expired_at: datetime | None = None
    #: An earlier attempt may have reached Discord without an answer.
    unconfirmed: bool = False
    #: No longer owed, but maybe in Discord: look for it, record it if there, else skip.
    verify_only: bool = False


@dataclass(frozen=True, slots=True)
class FixedBatch:
    """Rows going out as one message: its nonce and fingerprint, and which rows are late."""

    delivery_ids: tuple[int, ...]
    nonce: str
    fingerprint: str
    late_ids: tuple[int, ...] = ()


def _old_time(row: aiosqlite.Row, timezone: str) -> ReleaseTime | None:
    if row["old_precision"] is None:
        return None
    return ReleaseTime(
        at=maybe_datetime(row["old_starts_at"]),
        precision=Precision(row["old_precision"]),
        timezone=row["old_timezone"] or timezone,
    )


class OutboxRow(NamedTuple):
    """A row of the outbox as reconciling sees it (a named tuple: it reads tens of
    thousands)."""

    id: int
    key: DeliveryKey
    status: DeliveryStatus
    #: Due time in UTC seconds: a reconcile compares tens of thousands of these.
    due_epoch: int
    old_time: ReleaseTime | None
    #: An attempt may have reached Discord without an answer.
    unconfirmed: bool = False

    @property
    def due_at(self) -> datetime:
        return from_epoch(self.due_epoch)


async def rows_of_releases(
    tx: Transaction,
    release_ids: Iterable[int],
    *,
    target_ids: Collection[int] | None = None,
    guild_id: int | None = None,
) -> dict[DeliveryKey, OutboxRow]:
    """Return the rows of these releases still pending or in flight (to `target_ids` only,
    and in `guild_id` only, if given), by key: what a reconcile may reschedule or skip.
    Rows owed again are found by their unique key, without reading every row ever skipped."""
    targets = None if target_ids is None else json.dumps(sorted(set(target_ids)))
    rows = await tx.fetchall(
        """
        SELECT d.id, d.release_id, d.kind, d.offset_seconds, d.revision, d.target_id,
               d.target_kind, d.status, d.due_at, d.old_starts_at, d.old_precision,
               d.old_timezone, d.unconfirmed,
               -- Only a notice's old time needs its release's zone: look it up for those.
               CASE WHEN d.old_precision IS NOT NULL
                    THEN (SELECT r.timezone FROM releases r WHERE r.id = d.release_id)
               END AS timezone
        FROM deliveries d
        WHERE d.release_id IN (SELECT value FROM json_each(?))
          AND (? IS NULL OR d.target_id IN (SELECT value FROM json_each(?)))
          AND d.status IN ('pending', 'sending') AND (? IS NULL OR d.guild_id = ?)
        """,
        (json.dumps(sorted(set(release_ids))), targets, targets, guild_id, guild_id),
    )
    found = {}
    # Unpacked by position: a reconcile reads tens of thousands of rows, and a lookup by
    # column name costs more than everything else done with each.
    for row in rows:
        (row_id, release_id, kind, offset, revision, target_id, target_kind, status, due_at,
         _, old_precision, _, unconfirmed, timezone) = row  # fmt: skip
        key = DeliveryKey(
            release_id, _KINDS[kind], offset, revision, target_id, _TARGET_KINDS[target_kind]
        )
        found[key] = OutboxRow(
            id=row_id,
            key=key,
            status=_STATUSES[status],
            due_epoch=due_at,
            old_time=None if old_precision is None else _old_time(row, timezone),
            unconfirmed=bool(unconfirmed),
        )
    return found


def _epoch(moment: datetime) -> int:
    # `owed` only makes aware datetimes; skip re-checking each of tens of thousands.
    return int(moment.timestamp())


async def make_owed(
    tx: Transaction,
    guild_of: Callable[[DeliveryKey], int],
    about_of: Callable[[int], ReleaseTime],
    owed: Iterable[Owed],
    rows: dict[DeliveryKey, OutboxRow],
    now: datetime,
    *,
    reason: str,
) -> OutboxChange:
    """Make the outbox hold exactly `owed` among `rows`.

    A missing row is added; a pending row gets its due time (and a notice its old time)
    recomputed; a skipped row, or a failed one still ahead, is owed again: pending, its
    attempts and nonce cleared. A pending row not in `owed` is skipped; a row in flight
    not in `owed` is marked to be verified (it may be in Discord already).
    `guild_of` gives the guild a message is owed in, `about_of` a release's current time.
    """
    change = OutboxChange()
    now_at = to_epoch(now)
    wanted = {message.key: message for message in owed}
    missing, updates, owed_again = [], [], []
    abouts: dict[int, tuple[int | None, str, str]] = {}
    for key, message in wanted.items():
        row = rows.get(key)
        due = _epoch(message.due_at)
        old = message.old_time
        if old is None:
            old_at = old_precision = old_zone = None
        else:
            old_at = None if old.at is None else _epoch(old.at)
            old_precision, old_zone = old.precision.value, old.timezone
        if row is None:
            about = abouts.get(key.release_id)
            if about is None:
                time = about_of(key.release_id)
                about = abouts[key.release_id] = (
                    None if time.at is None else _epoch(time.at),
                    time.precision.value,
                    time.timezone,
                )
            guild_id = guild_of(key)
            about_at, about_precision, about_zone = about
            missing.append(
                (
                    key.release_id,
                    guild_id,
                    key.kind.value,
                    key.offset_seconds,
                    key.revision,
                    key.target_id,
                    key.target_kind.value,
                    due,
                    old_at,
                    old_precision,
                    old_zone,
                    about_at,
                    about_precision,
                    about_zone,
                    now_at,
                )
            )
        elif row.status is DeliveryStatus.SENDING:
            owed_again.append((row.id,))
        elif row.due_epoch != due or row.old_time != old:
            updates.append((due, old_at, old_precision, old_zone, row.id))
    stale = [
        row.id
        for key, row in rows.items()
        if row.status is DeliveryStatus.PENDING and key not in wanted
    ]
    # A row in flight may already be in Discord (its answer lost, or the process gone):
    # no longer owed, it is verified (looked for) before it is given up, never forgotten.
    to_verify = [
        (row.id,)
        for key, row in rows.items()
        if row.status is DeliveryStatus.SENDING and key not in wanted
    ]
    if missing:
        change.revived, change.added = await _revive_or_add(tx, missing, now_at)
    change.updated = len(updates)
    await tx.executemany(
        "UPDATE deliveries SET due_at = ?, old_starts_at = ?, old_precision = ?, "
        "old_timezone = ? WHERE id = ? AND status = 'pending'",
        updates,
    )
    change.skipped = len(stale) + len(to_verify)
    await tx.executemany(
        "UPDATE deliveries SET verify_only = 1, last_error = 'no longer owed: verify' "
        "WHERE id = ? AND status = 'sending'",
        to_verify,
    )
    await tx.executemany(
        "UPDATE deliveries SET verify_only = 0 WHERE id = ? AND verify_only = 1", owed_again
    )
    if stale:
        await tx.execute(
            """
            UPDATE deliveries SET status = 'skipped', last_error = ?, lease_expires_at = NULL
            WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('pending', 'sending')
            """,
            (reason, json.dumps(stale)),
        )
    return change


async def move_untried(
    tx: Transaction, release_ids: Collection[int], from_channel: int, to_channel: int
) -> int:
    """Hand the reminders and announcements pending for one channel, never tried yet, to
    another channel that has no row of the same key; return how many moved.

    Only a shortcut for a reconcile that follows it: moving a row is what skipping it
    here and adding it there would do, at half the writes. A row already tried stays (it
    may be in Discord: the reconcile decides), and so does one the other channel has.
    """
    if not release_ids:
        return 0
    return await tx.execute(
        """
        UPDATE deliveries AS d SET target_id = ?1
        WHERE d.release_id IN (SELECT value FROM json_each(?2))
          AND d.target_id = ?3 AND d.target_kind = 'channel'
          AND d.status = 'pending' AND d.kind IN ('reminder', 'announcement')
          AND d.attempts = 0 AND d.nonce IS NULL AND d.unconfirmed = 0
          AND NOT EXISTS (
              SELECT 1 FROM deliveries e
              WHERE e.release_id = d.release_id AND e.kind = d.kind
                AND e.offset_seconds = d.offset_seconds AND e.revision = d.revision
                AND e.target_id = ?1)
        """,
        (to_channel, json.dumps(sorted(release_ids)), from_channel),
    )


async def _revive_or_add(
    tx: Transaction, missing: Sequence[tuple[object, ...]], now_at: int
) -> tuple[int, int]:
    """Make these rows pending: a skipped row (or a failed one still ahead) with the same
    key is owed again, a key never seen is added, a sent one stays history. Return how
    many were owed again and how many added.

    Reconciling does not read skipped rows: the unique key finds them. One upsert from a
    scratch table, several times cheaper than one statement per row when a change makes
    tens of thousands of rows owed again, and one probe of the key per row.
    """
    await tx.execute(
        """
        CREATE TEMP TABLE IF NOT EXISTS owed_rows (
            release_id, guild_id, kind, offset_seconds, revision, target_id, target_kind,
            due_at, old_starts_at, old_precision, old_timezone, about_starts_at,
            about_precision, about_timezone, created_at)
        """
    )
    # Empty here: it is emptied below in the same transaction, and a transaction that
    # fails midway takes its rows with it when it rolls back.
    await tx.executemany(
        "INSERT INTO temp.owed_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        missing,
    )
    newest = await tx.fetchone("SELECT coalesce(max(id), 0) FROM deliveries")
    assert newest is not None
    changed = await tx.execute(
        """
        INSERT INTO deliveries
            (release_id, guild_id, kind, offset_seconds, revision, target_id, target_kind,
             due_at, old_starts_at, old_precision, old_timezone, about_starts_at,
             about_precision, about_timezone, created_at)
        SELECT * FROM temp.owed_rows WHERE true
        ON CONFLICT (release_id, kind, offset_seconds, revision, target_id) DO UPDATE SET
            status = 'pending', due_at = excluded.due_at,
            old_starts_at = excluded.old_starts_at, old_precision = excluded.old_precision,
            old_timezone = excluded.old_timezone, attempts = 0, nonce = NULL,
            fingerprint = NULL, late = 0, lease_expires_at = NULL, last_error = NULL
        WHERE deliveries.status = 'skipped'
           OR (deliveries.status = 'failed' AND excluded.due_at > ?)
        """,
        (now_at,),
    )
    await tx.execute("DELETE FROM temp.owed_rows")
    # New rows take ids past the newest before: the rest changed were owed again.
    added = await tx.fetchone("SELECT count(*) FROM deliveries WHERE id > ?", (newest[0],))
    assert added is not None
    return changed - added[0], added[0]


@dataclass(slots=True)
class OutboxChange:
    """What a reconcile did to the outbox."""

    added: int = 0
    updated: int = 0
    revived: int = 0
    skipped: int = 0


_KINDS = {kind.value: kind for kind in DeliveryKind}
_TARGET_KINDS = {kind.value: kind for kind in TargetKind}
_STATUSES = {status.value: status for status in DeliveryStatus}


def _key(row: aiosqlite.Row) -> DeliveryKey:
    return DeliveryKey(
        row["release_id"],
        _KINDS[row["kind"]],
        row["offset_seconds"],
        row["revision"],
        row["target_id"],
        _TARGET_KINDS[row["target_kind"]],
    )


async def claim_due(
    tx: Transaction,
    now: datetime,
    lease_expires_at: Callable[[int], datetime],
    limit: int,
    *,
    exclude: Collection[int] = (),
    due_before: datetime | None = None,
) -> list[ClaimedRow]:
    """Take the lease on up to `limit` rows: pending ones due by `due_before` (default
    `now`; notices only once due, so their debounce holds), or leases expired by `now`.

    `lease_expires_at(count)` sets the lease from how many rows were claimed. Rows whose
    ids are in `exclude` (already held in memory) are left alone, and never take up the
    room of others: the query looks that many rows further.
    """
    room = limit + len(exclude)
    rows = await tx.fetchall(
        """
        WITH due AS (
            SELECT id FROM (
                SELECT id FROM deliveries
                WHERE status = 'pending' AND due_at <= ? AND (kind != 'notice' OR due_at <= ?)
                ORDER BY due_at LIMIT ?)
            UNION ALL
            SELECT id FROM (
                SELECT id FROM deliveries WHERE status = 'sending' AND lease_expires_at <= ?
                ORDER BY lease_expires_at LIMIT ?)
        )
        SELECT d.id, d.release_id, d.guild_id, d.kind, d.offset_seconds, d.revision,
               d.target_id, d.target_kind, d.due_at, d.lease_expires_at, d.status,
               d.attempts, d.nonce, d.late, d.old_starts_at, d.old_precision, d.old_timezone,
               d.fingerprint,
               d.unconfirmed, d.verify_only, d.concluded, r.timezone
        FROM deliveries d JOIN releases r ON r.id = d.release_id
        WHERE d.id IN (SELECT id FROM due)
        ORDER BY d.due_at, d.id
        """,
        (to_epoch(due_before or now), to_epoch(now), room, to_epoch(now), room),
    )
    rows = [row for row in rows if row["id"] not in exclude][:limit]
    lease = to_epoch(lease_expires_at(len(rows)))
    await tx.executemany(
        "UPDATE deliveries SET status = 'sending', lease_expires_at = ?, attempts = attempts + 1, "
        "concluded = 0 WHERE id = ?",
        [(lease, row["id"]) for row in rows],
    )
    return [
        ClaimedRow(
            delivery_id=row["id"],
            key=_key(row),
            guild_id=row["guild_id"],
            due_at=from_epoch(row["due_at"]),
            attempts=row["attempts"] + 1,
            nonce=row["nonce"],
            late=bool(row["late"]),
            old_time=_old_time(row, row["timezone"]),
            fingerprint=row["fingerprint"],
            lease_expired_at=(
                from_epoch(row["lease_expires_at"])
                if row["status"] == "sending" and (not row["concluded"] or row["unconfirmed"])
                else None
            ),
            # A lease that ran out is an attempt whose outcome nobody recorded; a retry
            # waited out after an answer is not (unless an earlier attempt's answer was lost).
            unconfirmed=bool(row["unconfirmed"])
            or (row["status"] == "sending" and not row["concluded"]),
            verify_only=bool(row["verify_only"]),
        )
        for row in rows
    ]


async def fix_batches(tx: Transaction, fixed: Iterable[FixedBatch]) -> None:
    """Record which rows go out together under which nonce and fingerprint, and which are
    late, so a resend is the same message and a look for it finds the first one."""
    await tx.executemany(
        "UPDATE deliveries SET nonce = ?, fingerprint = ? WHERE id = ? AND nonce IS NULL",
        [(b.nonce, b.fingerprint, i) for b in fixed for i in b.delivery_ids],
    )
    await tx.executemany(
        "UPDATE deliveries SET late = 1 WHERE id = ?",
        [(i,) for b in fixed for i in b.late_ids],
    )


async def mark_sent(
    tx: Transaction, delivery_ids: Sequence[int], message_id: int, now: datetime
) -> None:
    """Record what Discord accepted, whatever happened to the rows meanwhile: it is history."""
    await tx.executemany(
        "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, "
        "lease_expires_at = NULL, last_error = NULL WHERE id = ? AND status != 'sent'",
        [(message_id, to_epoch(now), delivery_id) for delivery_id in delivery_ids],
    )


async def mark_skipped(tx: Transaction, delivery_ids: Sequence[int], reason: str) -> None:
    await tx.executemany(
        "UPDATE deliveries SET status = 'skipped', last_error = ?, lease_expires_at = NULL "
        "WHERE id = ? AND status = 'sending'",
        [(reason, delivery_id) for delivery_id in delivery_ids],
    )


async def mark_failed(tx: Transaction, delivery_ids: Sequence[int], error: str) -> None:
    await tx.executemany(
        "UPDATE deliveries SET status = 'failed', last_error = ?, lease_expires_at = NULL "
        "WHERE id = ? AND status = 'sending'",
        [(error[:500], delivery_id) for delivery_id in delivery_ids],
    )


async def retry_at(
    tx: Transaction,
    delivery_ids: Sequence[int],
    when: datetime,
    error: str | None,
    *,
    maybe_delivered: bool = False,
) -> None:
    """Keep the lease until `when`; the row is claimed again then, with the same nonce.

    `maybe_delivered`: the attempt got no answer, so Discord may have the message.
    """
    await tx.executemany(
        "UPDATE deliveries SET lease_expires_at = ?, last_error = coalesce(?, last_error), "
        "unconfirmed = max(unconfirmed, ?), concluded = 1 WHERE id = ? AND status = 'sending'",
        [
            (to_epoch(when), None if error is None else error[:500], int(maybe_delivered), i)
            for i in delivery_ids
        ],
    )


async def next_wake_at(tx: Transaction, lookahead: timedelta = timedelta(0)) -> datetime | None:
    """Return the earliest moment a row can be claimed: `lookahead` before it is due (a
    notice: when due), or when a lease expires."""
    row = await tx.fetchone(
        """
        SELECT (SELECT min(due_at) FROM deliveries
                WHERE status = 'pending' AND kind != 'notice') AS due_at,
               (SELECT min(due_at) FROM deliveries
                WHERE status = 'pending' AND kind = 'notice') AS notice_due_at,
               (SELECT min(lease_expires_at) FROM deliveries WHERE status = 'sending')
                   AS lease_expires_at
        """
    )
    if row is None:
        return None
    moments = []
    if row["due_at"] is not None:
        moments.append(from_epoch(row["due_at"]) - lookahead)
    if row["notice_due_at"] is not None:
        moments.append(from_epoch(row["notice_due_at"]))
    if row["lease_expires_at"] is not None:
        moments.append(from_epoch(row["lease_expires_at"]))
    return min(moments, default=None)


async def retry_guild_now(tx: Transaction, guild_id: int, now: datetime) -> int:
    """Make the guild's rows waiting out a backoff due at once (it came back from an outage)."""
    return await tx.execute(
        "UPDATE deliveries SET lease_expires_at = ? "
        "WHERE guild_id = ? AND status = 'sending' AND lease_expires_at > ?",
        (to_epoch(now), guild_id, to_epoch(now)),
    )
