"""Scheduled events' rows: each guild's mirror setting, and each mirrored event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.scheduled_events import Attempt, EventSpec, MirrorRow, MirrorSetting, Want
from bot.storage.convert import from_epoch, maybe_datetime, to_epoch
from bot.storage.database import Transaction


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A mirrored event's row with its retry state."""

    row: MirrorRow
    attempts: int
    next_try_at: datetime
    lease_until: datetime | None


async def mirror_setting(tx: Transaction, guild_id: int) -> MirrorSetting:
    row = await tx.fetchone(
        "SELECT enabled, paused_reason, paused_at FROM guild_event_mirrors WHERE guild_id = ?",
        (guild_id,),
    )
    if row is None:
        return MirrorSetting(guild_id)
    return MirrorSetting(
        guild_id,
        bool(row["enabled"]),
        row["paused_reason"],
        maybe_datetime(row["paused_at"]),
    )


async def save_mirror_setting(tx: Transaction, setting: MirrorSetting, now: datetime) -> None:
    await tx.execute(
        """
        INSERT INTO guild_event_mirrors (guild_id, enabled, paused_reason, paused_at, changed_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled,
            paused_reason = excluded.paused_reason, paused_at = excluded.paused_at,
            changed_at = excluded.changed_at
        """,
        (
            setting.guild_id,
            int(setting.enabled),
            setting.paused_reason,
            None if setting.paused_at is None else to_epoch(setting.paused_at),
            to_epoch(now),
        ),
    )


async def mirroring_guilds(tx: Transaction) -> list[int]:
    """Guilds with events on, or with events rows still owing something."""
    rows = await tx.fetchall(
        """
        SELECT guild_id FROM guild_event_mirrors WHERE enabled = 1
        UNION SELECT DISTINCT guild_id FROM scheduled_events WHERE want != 'done' AND gone = 0
        """
    )
    return [row["guild_id"] for row in rows]


def _row(row: aiosqlite.Row) -> StoredRow:
    attempt = None
    if row["attempt_name"] is not None:
        attempt = Attempt(
            row["attempt_name"], from_epoch(row["attempt_starts_at"]), row["attempt_fingerprint"]
        )
    mirror = MirrorRow(
        guild_id=row["guild_id"],
        release_id=row["release_id"],
        want=Want(row["want"]),
        spec=EventSpec(
            name=row["name"],
            description=row["description"],
            location=row["location"],
            starts_at=from_epoch(row["starts_at"]),
            ends_at=from_epoch(row["ends_at"]),
            image_url=row["image_url"],
        ),
        event_id=row["event_id"],
        synced=row["synced"],
        attempt=attempt,
        gone=bool(row["gone"]),
    )
    return StoredRow(
        mirror, row["attempts"], from_epoch(row["next_try_at"]), maybe_datetime(row["lease_until"])
    )


async def guild_rows(tx: Transaction, guild_id: int) -> list[StoredRow]:
    rows = await tx.fetchall("SELECT * FROM scheduled_events WHERE guild_id = ?", (guild_id,))
    return [_row(row) for row in rows]


async def one_row(tx: Transaction, guild_id: int, release_id: int) -> StoredRow | None:
    row = await tx.fetchone(
        "SELECT * FROM scheduled_events WHERE guild_id = ? AND release_id = ?",
        (guild_id, release_id),
    )
    return None if row is None else _row(row)


async def want(
    tx: Transaction, guild_id: int, release_id: int, wanted: Want, spec: EventSpec
) -> None:
    """Say what Discord should show for the release (a new row, or the row's new wish)."""
    await tx.execute(
        """
        INSERT INTO scheduled_events
            (guild_id, release_id, want, name, description, location, starts_at, ends_at,
             image_url)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (guild_id, release_id) DO UPDATE SET want = excluded.want,
            name = excluded.name, description = excluded.description,
            location = excluded.location, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, image_url = excluded.image_url,
            -- a new wish is tried at once
            next_try_at = 0, attempts = 0
        """,
        (
            guild_id,
            release_id,
            wanted.value,
            spec.name,
            spec.description,
            spec.location,
            to_epoch(spec.starts_at),
            to_epoch(spec.ends_at),
            spec.image_url,
        ),
    )


async def set_want(
    tx: Transaction, guild_id: int, release_ids: Iterable[int], wanted: Want
) -> None:
    await tx.executemany(
        "UPDATE scheduled_events SET want = ?, next_try_at = 0, attempts = 0 "
        "WHERE guild_id = ? AND release_id = ?",
        [(wanted.value, guild_id, release_id) for release_id in release_ids],
    )


async def forget(tx: Transaction, guild_id: int, release_ids: Iterable[int]) -> None:
    await tx.executemany(
        "DELETE FROM scheduled_events WHERE guild_id = ? AND release_id = ?",
        [(guild_id, release_id) for release_id in release_ids],
    )


async def forget_canceled_event(tx: Transaction, guild_id: int, release_id: int) -> None:
    """A canceled event cannot be scheduled again: the release's next event is a new one."""
    await tx.execute(
        "UPDATE scheduled_events SET event_id = NULL, synced = NULL "
        "WHERE guild_id = ? AND release_id = ?",
        (guild_id, release_id),
    )


async def claim(
    tx: Transaction,
    guild_id: int,
    release_id: int,
    now: datetime,
    lease_until: datetime,
    attempt: Attempt | None,
) -> bool:
    """Take the row for one operation until `lease_until`; a create records what it sends
    first (so a crash after Discord made the event finds it again). False: someone holds it."""
    params: tuple[object, ...]
    if attempt is None:
        sql = "UPDATE scheduled_events SET lease_until = ? "
        params = (to_epoch(lease_until),)
    else:
        sql = (
            "UPDATE scheduled_events SET lease_until = ?, attempt_name = ?, "
            "attempt_starts_at = ?, attempt_fingerprint = ? "
        )
        params = (
            to_epoch(lease_until),
            attempt.name,
            to_epoch(attempt.starts_at),
            attempt.fingerprint,
        )
    changed = await tx.execute(
        sql + "WHERE guild_id = ? AND release_id = ? "
        "AND (lease_until IS NULL OR lease_until <= ?) AND next_try_at <= ?",
        (*params, guild_id, release_id, to_epoch(now), to_epoch(now)),
    )
    return changed == 1


async def record_event(
    tx: Transaction, guild_id: int, release_id: int, event_id: int | None, synced: str | None
) -> None:
    """Discord now shows `synced` as `event_id` (None: no event): the operation is done."""
    await tx.execute(
        """
        UPDATE scheduled_events SET event_id = ?, synced = ?, attempt_name = NULL,
            attempt_starts_at = NULL, attempt_fingerprint = NULL, lease_until = NULL,
            attempts = 0, next_try_at = 0, last_error = NULL
        WHERE guild_id = ? AND release_id = ?
        """,
        (event_id, synced, guild_id, release_id),
    )


async def record_gone(tx: Transaction, guild_id: int, release_id: int) -> None:
    """Its event was deleted (or finished) on Discord's side: never made again."""
    await tx.execute(
        """
        UPDATE scheduled_events SET gone = 1, lease_until = NULL, attempt_name = NULL,
            attempt_starts_at = NULL, attempt_fingerprint = NULL
        WHERE guild_id = ? AND release_id = ?
        """,
        (guild_id, release_id),
    )


async def record_failure(
    tx: Transaction,
    guild_id: int,
    release_id: int,
    error: str,
    next_try_at: datetime | None,
) -> None:
    """The operation failed: tried again from `next_try_at` (None: released for now, as
    for a pause)."""
    await tx.execute(
        """
        UPDATE scheduled_events SET lease_until = NULL, last_error = ?,
            attempts = attempts + ?, next_try_at = COALESCE(?, next_try_at)
        WHERE guild_id = ? AND release_id = ?
        """,
        (
            error,
            0 if next_try_at is None else 1,
            None if next_try_at is None else to_epoch(next_try_at),
            guild_id,
            release_id,
        ),
    )


async def release_of_event(tx: Transaction, guild_id: int, event_id: int) -> StoredRow | None:
    row = await tx.fetchone(
        "SELECT * FROM scheduled_events WHERE guild_id = ? AND event_id = ?",
        (guild_id, event_id),
    )
    return None if row is None else _row(row)


async def known_event_ids(tx: Transaction, guild_id: int) -> set[int]:
    rows = await tx.fetchall(
        "SELECT event_id FROM scheduled_events WHERE guild_id = ? AND event_id IS NOT NULL",
        (guild_id,),
    )
    return {row["event_id"] for row in rows}


async def next_wake_at(tx: Transaction, now: datetime) -> datetime | None:
    """The next moment after `now` the mirror has work in an unpaused guild: a failure's
    retry, a lease (a killed process's) running out, or a mirrored release starting (its
    slot goes to the next highlight)."""
    row = await tx.fetchone(
        """
        SELECT MIN(CASE WHEN e.next_try_at > ?1 THEN e.next_try_at END) AS retry,
               MIN(CASE WHEN e.lease_until > ?1 THEN e.lease_until END) AS lease,
               MIN(CASE WHEN e.want = 'event' AND e.starts_at > ?1 THEN e.starts_at END)
                   AS start
        FROM scheduled_events e
        WHERE e.gone = 0 AND e.want != 'done'
          AND NOT EXISTS (SELECT 1 FROM guild_event_mirrors m
                          WHERE m.guild_id = e.guild_id AND m.paused_reason IS NOT NULL)
        """,
        (to_epoch(now),),
    )
    if row is None:
        return None
    moments = [row[name] for name in ("retry", "lease", "start") if row[name] is not None]
    return from_epoch(min(moments)) if moments else None


async def paused_guilds(tx: Transaction) -> list[int]:
    rows = await tx.fetchall(
        "SELECT guild_id FROM guild_event_mirrors WHERE paused_reason IS NOT NULL"
    )
    return [row["guild_id"] for row in rows]
