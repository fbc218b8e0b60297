"""Releases: the dated episodes, seasons and films of a guild's shows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.storage.convert import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Transaction
from bot.storage.shows import SHOW_COLUMNS, show_from_row, title_key

#: The columns a release is read from, with its show's: every query below starts so.
RELEASE_COLUMNS = f"""
    r.id, r.label, r.starts_at, r.precision, r.timezone, r.status, r.revision, {SHOW_COLUMNS}
"""
_SELECT = f"SELECT {RELEASE_COLUMNS} FROM releases r JOIN shows s ON s.id = r.show_id"


def release_from_row(row: aiosqlite.Row) -> Release:
    """The release (and its show) in a row selected with RELEASE_COLUMNS."""
    time = ReleaseTime(
        at=maybe_datetime(row["starts_at"]),
        precision=Precision(row["precision"]),
        timezone=row["timezone"],
    )
    return Release(
        id=row["id"],
        show=show_from_row(row),
        label=row["label"],
        time=time,
        status=ReleaseStatus(row["status"]),
        revision=row["revision"],
    )


async def insert_release(
    tx: Transaction, show: Show, label: str | None, time: ReleaseTime, now: datetime
) -> Release:
    if show.guild_id is None:
        raise ValueError("a guild can only add releases to its own shows")
    release_id = await tx.insert(
        """
        INSERT INTO releases
            (show_id, guild_id, label, starts_at, precision, timezone, created_at, updated_at,
             revised_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            show.id,
            show.guild_id,
            label,
            maybe_epoch(time.at),
            time.precision.value,
            time.timezone,
            to_epoch(now),
            to_epoch(now),
            to_epoch(now),
        ),
    )
    return Release(release_id, show, label, time, ReleaseStatus.SCHEDULED, revision=1)


async def save_release(tx: Transaction, release: Release, now: datetime) -> None:
    """Store the release's label, time, status and revision (a new one: when it was set)."""
    await tx.execute(
        """
        UPDATE releases
        SET label = ?, starts_at = ?, precision = ?, timezone = ?, status = ?, revision = ?,
            updated_at = ?, revised_at = CASE WHEN revision != ? THEN ? ELSE revised_at END
        WHERE id = ?
        """,
        (
            release.label,
            maybe_epoch(release.time.at),
            release.time.precision.value,
            release.time.timezone,
            release.status.value,
            release.revision,
            to_epoch(now),
            release.revision,
            to_epoch(now),
            release.id,
        ),
    )


async def set_status(tx: Transaction, release_id: int, status: ReleaseStatus) -> None:
    await tx.execute("UPDATE releases SET status = ? WHERE id = ?", (status.value, release_id))


async def mark_released(tx: Transaction, release_id: int, revision: int) -> None:
    """Mark a release out, only while it is still that revision and not cancelled."""
    await tx.execute(
        "UPDATE releases SET status = 'released' "
        "WHERE id = ? AND revision = ? AND status IN ('scheduled', 'delayed')",
        (release_id, revision),
    )


async def revised_at(tx: Transaction, release_ids: Iterable[int]) -> dict[int, datetime]:
    """Return when each release's current time was set."""
    rows = await tx.fetchall(
        "SELECT id, revised_at, updated_at FROM releases "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(release_ids))),),
    )
    return {row["id"]: from_epoch(row["revised_at"] or row["updated_at"]) for row in rows}


async def live_release_ids(
    tx: Transaction, guild_id: int, since: datetime, show_id: int | None = None
) -> list[int]:
    """Return the guild's releases (of one show, if given) that may still owe messages:
    not cancelled, and dated from `since` on or not dated yet."""
    rows = await tx.fetchall(
        """
        SELECT id FROM releases
        WHERE guild_id = ? AND status != 'cancelled' AND starts_at >= ?
          AND (? IS NULL OR show_id = ?)
        UNION ALL
        SELECT id FROM releases
        WHERE guild_id = ? AND status != 'cancelled' AND starts_at IS NULL
          AND (? IS NULL OR show_id = ?)
        """,
        (guild_id, to_epoch(since), show_id, show_id, guild_id, show_id, show_id),
    )
    return [row["id"] for row in rows]


async def guild_release(tx: Transaction, guild_id: int, release_id: int) -> Release | None:
    """Return a live (not cancelled) release the guild owns, or None."""
    row = await tx.fetchone(
        f"""
        {_SELECT}
        WHERE r.id = ? AND r.guild_id = ? AND r.status != 'cancelled'
        """,
        (release_id, guild_id),
    )
    return None if row is None else release_from_row(row)


async def release_by_id(tx: Transaction, release_id: int) -> Release | None:
    row = await tx.fetchone(
        f"""
        {_SELECT}
        WHERE r.id = ?
        """,
        (release_id,),
    )
    return None if row is None else release_from_row(row)


async def releases_by_ids(tx: Transaction, release_ids: Iterable[int]) -> dict[int, Release]:
    """Return the releases with these ids (any guild, any status), in one query."""
    wanted = sorted(set(release_ids))
    if not wanted:
        return {}
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.id IN (SELECT value FROM json_each(?))
        """,
        (json.dumps(wanted),),
    )
    return {row["id"]: release_from_row(row) for row in rows}


async def releases_titled(tx: Transaction, guild_id: int, typed: str) -> list[Release]:
    """Return the guild's live releases whose 'Show — Label' or show title is `typed`."""
    # A show's own title may contain " — ", so every split point names a candidate show.
    parts = typed.split(" — ")
    show_keys = sorted({title_key(" — ".join(parts[:i])) for i in range(1, len(parts) + 1)})
    marks = ", ".join("?" for _ in show_keys)
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.guild_id = ? AND r.status != 'cancelled' AND s.title_key IN ({marks})
        LIMIT 50
        """,
        (guild_id, *show_keys),
    )
    wanted = title_key(typed)
    releases = [release_from_row(row) for row in rows]
    exact = [r for r in releases if title_key(r.display_title) == wanted]
    return exact or [r for r in releases if title_key(r.show.title) == wanted]


async def upcoming_releases(
    tx: Transaction, guild_id: int, now: datetime, end: datetime, limit: int
) -> list[Release]:
    """Return the guild's live dated releases still ahead at `now` (a `day` release until
    its day is over, anything else until its moment passes) and starting by `end`, soonest
    first."""
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.guild_id = ?1 AND r.status != 'cancelled'
          AND +r.status IN ('scheduled', 'delayed') AND r.starts_at BETWEEN ?2 - 86400 AND ?3
          AND CASE r.precision WHEN 'day' THEN r.starts_at + 86400 ELSE r.starts_at END > ?2
        ORDER BY r.starts_at, r.id
        LIMIT ?4
        """,
        (guild_id, to_epoch(now), to_epoch(end), limit),
    )
    return [release_from_row(row) for row in rows]


async def scheduled_releases(tx: Transaction, guild_id: int, now: datetime) -> list[Release]:
    """Return the guild's releases that still have reminders or an announcement ahead."""
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.guild_id = ? AND r.status IN ('scheduled', 'delayed')
          AND r.precision IN ('exact', 'day') AND r.starts_at > ?
        ORDER BY r.starts_at
        """,
        (guild_id, to_epoch(now)),
    )
    return [release_from_row(row) for row in rows]
