"""Weekly digests: each guild's setting, and the digest outbox (one row per post owed)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time

import aiosqlite

from bot.domain.digest import DigestSetting, Weekday, digest_nonce
from bot.domain.models import DeliveryStatus
from bot.storage.convert import from_epoch, maybe_datetime, to_epoch
from bot.storage.database import Transaction


@dataclass(frozen=True, slots=True)
class DigestRow:
    """One digest owed (or in flight, or done): where, for which moment, and how it went."""

    id: int
    guild_id: int
    channel_id: int
    due_at: datetime
    status: DeliveryStatus
    attempts: int
    nonce: str
    unconfirmed: bool = False
    #: Set when claimed after an earlier attempt's lease ran out: it may be in Discord.
    lease_expired_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


async def digest_setting(tx: Transaction, guild_id: int) -> DigestSetting | None:
    """Return the guild's digest setting, or None when the digest is off."""
    row = await tx.fetchone(
        "SELECT channel_id, weekday, minute, since FROM digest_settings WHERE guild_id = ?",
        (guild_id,),
    )
    if row is None:
        return None
    return DigestSetting(
        guild_id=guild_id,
        channel_id=row["channel_id"],
        weekday=Weekday(row["weekday"]),
        at=time(row["minute"] // 60, row["minute"] % 60),
        since=from_epoch(row["since"]),
    )


async def save_setting(tx: Transaction, setting: DigestSetting, now: datetime) -> None:
    await tx.execute(
        """
        INSERT INTO digest_settings (guild_id, channel_id, weekday, minute, since, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (guild_id) DO UPDATE SET
            channel_id = excluded.channel_id, weekday = excluded.weekday,
            minute = excluded.minute, since = excluded.since, updated_at = excluded.updated_at
        """,
        (
            setting.guild_id,
            setting.channel_id,
            int(setting.weekday),
            setting.at.hour * 60 + setting.at.minute,
            to_epoch(setting.since),
            to_epoch(now),
        ),
    )


async def remove_setting(tx: Transaction, guild_id: int) -> None:
    await tx.execute("DELETE FROM digest_settings WHERE guild_id = ?", (guild_id,))


_COLUMNS = """
    id, guild_id, channel_id, due_at, status, attempts, nonce, unconfirmed,
    lease_expires_at, last_error, sent_at
"""


def _row(row: aiosqlite.Row, *, claimed: bool = False) -> DigestRow:
    expired = None
    if claimed and row["status"] == "sending":
        expired = maybe_datetime(row["lease_expires_at"])
    return DigestRow(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        due_at=from_epoch(row["due_at"]),
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"] + (1 if claimed else 0),
        nonce=row["nonce"],
        unconfirmed=bool(row["unconfirmed"]) or expired is not None,
        lease_expired_at=expired,
        last_error=row["last_error"],
        sent_at=maybe_datetime(row["sent_at"]),
    )


async def waiting(tx: Transaction, guild_id: int) -> list[DigestRow]:
    """Return the guild's digests still pending, soonest first."""
    rows = await tx.fetchall(
        f"SELECT {_COLUMNS} FROM digests WHERE guild_id = ? AND status = 'pending' ORDER BY due_at",
        (guild_id,),
    )
    return [_row(row) for row in rows]


async def latest_failure(tx: Transaction, guild_id: int) -> str | None:
    """Return why the guild's latest digest failed, if the latest one to end did."""
    row = await tx.fetchone(
        "SELECT status, last_error FROM digests WHERE guild_id = ? "
        "AND status IN ('sent', 'failed') ORDER BY due_at DESC, id DESC LIMIT 1",
        (guild_id,),
    )
    if row is None or row["status"] != "failed":
        return None
    return str(row["last_error"] or "unknown")


async def latest_posted(tx: Transaction, guild_id: int) -> datetime | None:
    """Return the moment of the guild's latest digest posted or being posted."""
    row = await tx.fetchone(
        "SELECT max(due_at) AS due_at FROM digests "
        "WHERE guild_id = ? AND status IN ('sent', 'sending')",
        (guild_id,),
    )
    return None if row is None else maybe_datetime(row["due_at"])


async def skip_waiting(
    tx: Transaction, guild_id: int, reason: str, *, keep: int | None = None
) -> int:
    """Skip the guild's pending digests (but `keep`); return how many."""
    return await tx.execute(
        "UPDATE digests SET status = 'skipped', last_error = ? "
        "WHERE guild_id = ? AND status = 'pending' AND id IS NOT ?",
        (reason, guild_id, keep),
    )


async def owe(
    tx: Transaction, guild_id: int, channel_id: int, due_at: datetime, now: datetime
) -> int:
    """Make the digest of this key pending and return its id: a new key is added, one
    skipped (a setting changed and changed back) or failed is owed again; one sent or in
    flight stays as it is."""
    await tx.execute(
        """
        INSERT INTO digests (guild_id, channel_id, due_at, nonce, created_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (guild_id, channel_id, due_at) DO UPDATE SET
            status = 'pending', attempts = 0, lease_expires_at = NULL, unconfirmed = 0,
            last_error = NULL
        WHERE digests.status IN ('skipped', 'failed')
        """,
        (
            guild_id,
            channel_id,
            to_epoch(due_at),
            digest_nonce(guild_id, channel_id, due_at),
            to_epoch(now),
        ),
    )
    row = await tx.fetchone(
        "SELECT id FROM digests WHERE guild_id = ? AND channel_id = ? AND due_at = ?",
        (guild_id, channel_id, to_epoch(due_at)),
    )
    assert row is not None
    return int(row["id"])


async def claim_due(
    tx: Transaction,
    now: datetime,
    lease_until: datetime,
    *,
    exclude: Collection[int] = (),
    limit: int = 100,
) -> list[DigestRow]:
    """Take the lease on digests due by `now`, and on those whose lease ran out."""
    rows = await tx.fetchall(
        f"""
        SELECT {_COLUMNS} FROM digests
        WHERE (status = 'pending' AND due_at <= ?1)
           OR (status = 'sending' AND lease_expires_at <= ?1)
        ORDER BY due_at, id
        LIMIT ?2
        """,
        (to_epoch(now), limit + len(exclude)),
    )
    taken = [row for row in rows if row["id"] not in exclude][:limit]
    await tx.executemany(
        "UPDATE digests SET status = 'sending', lease_expires_at = ?, attempts = attempts + 1 "
        "WHERE id = ?",
        [(to_epoch(lease_until), row["id"]) for row in taken],
    )
    return [_row(row, claimed=True) for row in taken]


async def mark_sent(tx: Transaction, digest_id: int, message_id: int, now: datetime) -> None:
    """Record what Discord accepted, whatever happened to the row meanwhile: it is history."""
    await tx.execute(
        "UPDATE digests SET status = 'sent', message_id = ?, sent_at = ?, "
        "lease_expires_at = NULL, last_error = NULL WHERE id = ? AND status != 'sent'",
        (message_id, to_epoch(now), digest_id),
    )


async def mark_done(tx: Transaction, digest_id: int, status: DeliveryStatus, reason: str) -> None:
    """Record a digest skipped or failed for `reason` (only while in flight)."""
    await tx.execute(
        "UPDATE digests SET status = ?, last_error = ?, lease_expires_at = NULL "
        "WHERE id = ? AND status = 'sending'",
        (status.value, reason[:500], digest_id),
    )


async def retry_at(
    tx: Transaction, digest_id: int, when: datetime, error: str, *, maybe_delivered: bool
) -> None:
    """Keep the lease until `when`: the digest is claimed again then, with its nonce."""
    await tx.execute(
        "UPDATE digests SET lease_expires_at = ?, last_error = ?, "
        "unconfirmed = max(unconfirmed, ?) WHERE id = ? AND status = 'sending'",
        (to_epoch(when), error[:500], int(maybe_delivered), digest_id),
    )


async def next_wake_at(tx: Transaction, exclude: Collection[int] = ()) -> datetime | None:
    """Return when the next digest falls due or a lease (not held here) runs out."""
    row = await tx.fetchone(
        """
        SELECT (SELECT min(due_at) FROM digests WHERE status = 'pending') AS due_at,
               (SELECT min(lease_expires_at) FROM digests
                WHERE status = 'sending' AND id NOT IN (SELECT value FROM json_each(?)))
                   AS lease_expires_at
        """,
        (_json_ids(exclude),),
    )
    if row is None:
        return None
    moments = [from_epoch(v) for v in (row["due_at"], row["lease_expires_at"]) if v is not None]
    return min(moments, default=None)


def _json_ids(ids: Collection[int]) -> str:
    return json.dumps(sorted(ids))
