"""The outbox: one row per message owed, claimed with a lease and marked when sent."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    Precision,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
)
from bot.domain.planning import DueRow, PlannedDelivery
from bot.storage.convert import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Transaction

#: Kinds planned from a release's time; notices are owed by edits, not by plans.
PLANNED_KINDS = (DeliveryKind.REMINDER.value, DeliveryKind.ANNOUNCEMENT.value)


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """A due row the dispatcher now holds the lease on."""

    due: DueRow
    guild_id: int
    attempts: int
    nonce: str | None
    late: bool
    old_time: ReleaseTime | None
    #: Set when an earlier attempt's lease ran out: that attempt may have reached Discord.
    lease_expired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PendingNotice:
    delivery_id: int
    old_time: ReleaseTime


def _old_time(row: aiosqlite.Row, timezone: str) -> ReleaseTime | None:
    if row["old_precision"] is None:
        return None
    return ReleaseTime(
        at=maybe_datetime(row["old_starts_at"]),
        precision=Precision(row["old_precision"]),
        timezone=timezone,
    )


async def insert_planned(
    tx: Transaction, guild_id: int, planned: Iterable[PlannedDelivery], now: datetime
) -> None:
    """Store planned rows; a row whose key already exists is left as it is."""
    await tx.executemany(
        """
        INSERT OR IGNORE INTO deliveries
            (release_id, guild_id, kind, offset_seconds, revision, target_id, target_kind,
             due_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (
                p.key.release_id,
                guild_id,
                p.key.kind.value,
                p.key.offset_seconds,
                p.key.revision,
                p.key.target_id,
                p.key.target_kind.value,
                to_epoch(p.due_at),
                to_epoch(now),
            )
            for p in planned
        ],
    )


async def replace_planned(
    tx: Transaction,
    guild_id: int,
    release_id: int,
    planned: Sequence[PlannedDelivery],
    now: datetime,
) -> None:
    """Make the release's pending reminders and announcement exactly `planned`."""
    wanted = {p.key for p in planned}
    rows = await tx.fetchall(
        """
        SELECT id, kind, offset_seconds, revision, target_id, target_kind FROM deliveries
        WHERE release_id = ? AND status = 'pending' AND kind IN (?, ?)
        """,
        (release_id, *PLANNED_KINDS),
    )
    stale = [
        (row["id"],)
        for row in rows
        if DeliveryKey(
            release_id,
            DeliveryKind(row["kind"]),
            row["offset_seconds"],
            row["revision"],
            row["target_id"],
            TargetKind(row["target_kind"]),
        )
        not in wanted
    ]
    await tx.executemany(
        "UPDATE deliveries SET status = 'skipped', last_error = 'replanned' "
        "WHERE id = ? AND status = 'pending'",
        stale,
    )
    await insert_planned(tx, guild_id, planned, now)


async def skip_pending(
    tx: Transaction, release_id: int, reason: str, *, before_revision: int | None = None
) -> int:
    """Skip what is still owed for a release (of revisions before one, if given)."""
    return await tx.execute(
        "UPDATE deliveries SET status = 'skipped', last_error = ? "
        "WHERE release_id = ? AND status = 'pending' AND revision < ?",
        (reason, release_id, before_revision if before_revision is not None else 2**62),
    )


async def targets_told(tx: Transaction, release_id: int) -> list[tuple[int, TargetKind]]:
    """Return the targets already sent a message about this release.

    A row still `sending` counts: Discord may have accepted it before it was recorded.
    """
    rows = await tx.fetchall(
        "SELECT DISTINCT target_id, target_kind FROM deliveries "
        "WHERE release_id = ? AND status IN ('sent', 'sending')",
        (release_id,),
    )
    return [(row["target_id"], TargetKind(row["target_kind"])) for row in rows]


async def pending_notice(
    tx: Transaction, release_id: int, target_id: int, timezone: str
) -> PendingNotice | None:
    row = await tx.fetchone(
        """
        SELECT id, old_starts_at, old_precision FROM deliveries
        WHERE release_id = ? AND target_id = ? AND kind = 'notice' AND status = 'pending'
        ORDER BY id DESC LIMIT 1
        """,
        (release_id, target_id),
    )
    if row is None:
        return None
    old_time = _old_time(row, timezone)
    if old_time is None:
        return None
    return PendingNotice(row["id"], old_time)


async def insert_notice(
    tx: Transaction,
    *,
    guild_id: int,
    key: DeliveryKey,
    due_at: datetime,
    old_time: ReleaseTime,
    now: datetime,
) -> None:
    await tx.execute(
        """
        INSERT OR IGNORE INTO deliveries
            (release_id, guild_id, kind, offset_seconds, revision, target_id, target_kind,
             due_at, old_starts_at, old_precision, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            key.release_id,
            guild_id,
            key.kind.value,
            key.offset_seconds,
            key.revision,
            key.target_id,
            key.target_kind.value,
            to_epoch(due_at),
            maybe_epoch(old_time.at),
            old_time.precision.value,
            to_epoch(now),
        ),
    )


async def move_pending_notices(
    tx: Transaction, guild_id: int, old_target: int, new_target: int | None
) -> None:
    """Send pending notices for `old_target` to `new_target`, or drop them if None."""
    if new_target is None:
        await tx.execute(
            "UPDATE deliveries SET status = 'skipped', last_error = 'channel cleared' "
            "WHERE guild_id = ? AND target_id = ? AND kind = 'notice' AND status = 'pending'",
            (guild_id, old_target),
        )
        return
    await tx.execute(
        "UPDATE OR IGNORE deliveries SET target_id = ? "
        "WHERE guild_id = ? AND target_id = ? AND kind = 'notice' AND status = 'pending'",
        (new_target, guild_id, old_target),
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

    `lease_expires_at(count)` sets the lease from how many rows were claimed; rows whose
    ids are in `exclude` (already queued in memory) are left alone.
    """
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
               d.attempts, d.nonce, d.late, d.old_starts_at, d.old_precision,
               r.starts_at, r.precision, r.timezone,
               r.status AS release_status, r.revision AS release_revision
        FROM deliveries d JOIN releases r ON r.id = d.release_id
        WHERE d.id IN (SELECT id FROM due)
        ORDER BY d.due_at, d.id
        LIMIT ?
        """,
        (to_epoch(due_before or now), to_epoch(now), limit, to_epoch(now), limit, limit),
    )
    rows = [row for row in rows if row["id"] not in exclude]
    lease = to_epoch(lease_expires_at(len(rows)))
    await tx.executemany(
        "UPDATE deliveries SET status = 'sending', lease_expires_at = ?, attempts = attempts + 1 "
        "WHERE id = ?",
        [(lease, row["id"]) for row in rows],
    )
    claimed = []
    for row in rows:
        release_time = ReleaseTime(
            at=maybe_datetime(row["starts_at"]),
            precision=Precision(row["precision"]),
            timezone=row["timezone"],
        )
        key = DeliveryKey(
            row["release_id"],
            DeliveryKind(row["kind"]),
            row["offset_seconds"],
            row["revision"],
            row["target_id"],
            TargetKind(row["target_kind"]),
        )
        due = DueRow(
            delivery_id=row["id"],
            key=key,
            due_at=from_epoch(row["due_at"]),
            release_time=release_time,
            release_status=ReleaseStatus(row["release_status"]),
            release_revision=row["release_revision"],
        )
        claimed.append(
            ClaimedRow(
                due=due,
                guild_id=row["guild_id"],
                attempts=row["attempts"] + 1,
                nonce=row["nonce"],
                late=bool(row["late"]),
                old_time=_old_time(row, row["timezone"]),
                lease_expired_at=(
                    from_epoch(row["lease_expires_at"]) if row["status"] == "sending" else None
                ),
            )
        )
    return claimed


async def fix_batches(
    tx: Transaction, nonces: Iterable[tuple[int, str]], *, late_ids: Iterable[int]
) -> None:
    """Record which rows go out together under which nonce, so a resend is the same message.

    `nonces` pairs each delivery id with its message's nonce.
    """
    await tx.executemany(
        "UPDATE deliveries SET nonce = ? WHERE id = ? AND nonce IS NULL",
        [(nonce, delivery_id) for delivery_id, nonce in nonces],
    )
    await tx.executemany("UPDATE deliveries SET late = 1 WHERE id = ?", [(i,) for i in late_ids])


async def mark_sent(
    tx: Transaction, delivery_ids: Sequence[int], message_id: int, now: datetime
) -> None:
    await tx.executemany(
        "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, "
        "lease_expires_at = NULL WHERE id = ? AND status = 'sending'",
        [(message_id, to_epoch(now), delivery_id) for delivery_id in delivery_ids],
    )


async def mark_skipped(tx: Transaction, delivery_ids: Sequence[int], reason: str) -> None:
    await tx.executemany(
        "UPDATE deliveries SET status = 'skipped', last_error = ?, lease_expires_at = NULL "
        "WHERE id = ? AND status IN ('pending', 'sending')",
        [(reason, delivery_id) for delivery_id in delivery_ids],
    )


async def mark_failed(tx: Transaction, delivery_ids: Sequence[int], error: str) -> None:
    await tx.executemany(
        "UPDATE deliveries SET status = 'failed', last_error = ?, lease_expires_at = NULL "
        "WHERE id = ? AND status = 'sending'",
        [(error[:500], delivery_id) for delivery_id in delivery_ids],
    )


async def retry_at(
    tx: Transaction, delivery_ids: Sequence[int], when: datetime, error: str | None
) -> None:
    """Keep the lease until `when`; the row is claimed again then, with the same nonce."""
    await tx.executemany(
        "UPDATE deliveries SET lease_expires_at = ?, last_error = coalesce(?, last_error) "
        "WHERE id = ? AND status = 'sending'",
        [
            (to_epoch(when), None if error is None else error[:500], delivery_id)
            for delivery_id in delivery_ids
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


async def skip_pending_for_target(tx: Transaction, target_id: int, reason: str) -> int:
    """Stop everything still owed to one channel or member."""
    return await tx.execute(
        "UPDATE deliveries SET status = 'skipped', last_error = ? "
        "WHERE target_id = ? AND status = 'pending'",
        (reason, target_id),
    )


async def skip_pending_for_guild(tx: Transaction, guild_id: int, reason: str) -> int:
    return await tx.execute(
        "UPDATE deliveries SET status = 'skipped', last_error = ? "
        "WHERE guild_id = ? AND status = 'pending'",
        (reason, guild_id),
    )


async def retry_guild_now(tx: Transaction, guild_id: int, now: datetime) -> int:
    """Make the guild's rows waiting out a backoff due at once (it came back from an outage)."""
    return await tx.execute(
        "UPDATE deliveries SET lease_expires_at = ? "
        "WHERE guild_id = ? AND status = 'sending' AND lease_expires_at > ?",
        (to_epoch(now), guild_id, to_epoch(now)),
    )
