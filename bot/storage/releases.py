"""Releases: the dated episodes, seasons and films of a guild's shows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.storage.convert import from_epoch, maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Transaction
from bot.storage.shows import SHOW_COLUMNS, show_from_row, title_key

#: The columns a release is read from, with its show's: every query below starts so.
RELEASE_COLUMNS = f"""
    r.id, r.label, r.starts_at, r.precision, r.timezone, r.status, r.revision, r.episode,
    (r.episode IS NOT NULL AND r.guild_id IS NULL AND r.episode = (
        SELECT c.episodes FROM catalog_media c WHERE c.show_id = r.show_id)) AS finale,
    {SHOW_COLUMNS}
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
        episode=row["episode"],
        finale=bool(row["finale"]),
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
    """Mark a guild's release out, only while it is still that revision and not cancelled.

    A catalog release stays as it is: other guilds may be told of it later (their delay).
    """
    await tx.execute(
        "UPDATE releases SET status = 'released' "
        "WHERE id = ? AND revision = ? AND status IN ('scheduled', 'delayed') "
        "AND guild_id IS NOT NULL",
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
    """Return the releases the guild's audiences may still be owed messages about (of one
    show, if given): not cancelled (a catalog release: or cancelled with a notice owed),
    dated from `since` on or not dated yet. They are the guild's own and those of the
    catalog shows its follows name (of `show_id` whether followed or not, so a change
    that stops a guild seeing a show is reconciled too)."""
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
    found = [row["id"] for row in rows]
    if show_id is None:
        shows = await tx.fetchall(
            "SELECT DISTINCT f.show_id FROM follows f JOIN shows s ON s.id = f.show_id "
            "WHERE f.guild_id = ? AND s.guild_id IS NULL",
            (guild_id,),
        )
        catalog_shows = [row[0] for row in shows]
    else:
        catalog_shows = [show_id]
    return found + await catalog_live_release_ids(tx, catalog_shows, since)


async def catalog_live_release_ids(
    tx: Transaction, show_ids: Iterable[int], since: datetime
) -> list[int]:
    """Return the catalog releases of these shows that may still owe messages to a guild:
    dated from a day before `since` on (a guild's delay is at most a day) or undated. A
    cancelled one counts while it may owe its notice (it is undated then)."""
    rows = await tx.fetchall(
        """
        SELECT id FROM releases
        WHERE show_id IN (SELECT value FROM json_each(?)) AND guild_id IS NULL
          AND (starts_at IS NULL OR (starts_at >= ? AND status != 'cancelled'))
        """,
        (json.dumps(sorted(set(show_ids))), to_epoch(since) - 86_400),
    )
    return [row["id"] for row in rows]


#: A catalog show a guild sees: one of its follows names it.
SEEN_CATALOG_SHOW = "EXISTS (SELECT 1 FROM follows f WHERE f.guild_id = ? AND f.show_id = s.id)"


async def guild_release(tx: Transaction, guild_id: int, release_id: int) -> Release | None:
    """Return a live (not cancelled) release the guild sees (its own, or of a catalog show
    it follows), or None."""
    row = await tx.fetchone(
        f"""
        {_SELECT}
        WHERE r.id = ? AND r.status != 'cancelled'
          AND (r.guild_id = ? OR (r.guild_id IS NULL AND {SEEN_CATALOG_SHOW}))
        """,
        (release_id, guild_id, guild_id),
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
    return _releases_from_rows(rows)


_PRECISIONS = {precision.value: precision for precision in Precision}
_STATUSES = {status.value: status for status in ReleaseStatus}


def _releases_from_rows(rows: Iterable[aiosqlite.Row]) -> dict[int, Release]:
    """`release_from_row` for many rows, by id: a reconcile reads 10,000 releases of a
    few hundred shows, so columns are read by position and each show is built once."""
    shows: dict[int, Show] = {}
    found: dict[int, Release] = {}
    for row in rows:
        (release_id, label, starts_at, precision, timezone, status, revision, episode, finale,
         show_id, show_guild_id, title, description, image_url, link) = row  # fmt: skip
        show = shows.get(show_id)
        if show is None:
            show = Show(show_id, show_guild_id, title, description, image_url, link)
            shows[show_id] = show
        time = ReleaseTime(maybe_datetime(starts_at), _PRECISIONS[precision], timezone)
        found[release_id] = Release(
            release_id,
            show,
            label,
            time,
            _STATUSES[status],
            revision,
            episode=episode,
            finale=bool(finale),
        )
    return found


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
    exact += await _catalog_titled(tx, guild_id, show_keys, wanted, labelled=True)
    return exact or [
        *(r for r in releases if title_key(r.show.title) == wanted),
        *await _catalog_titled(tx, guild_id, show_keys, wanted, labelled=False),
    ]


async def _catalog_titled(
    tx: Transaction, guild_id: int, show_keys: list[str], wanted: str, *, labelled: bool
) -> list[Release]:
    """The live releases of catalog shows the guild sees whose 'Show — Label' (or, not
    `labelled`, show title) is `wanted`, by any of the show's titles and synonyms."""
    rows = await tx.fetchall(
        f"""
        SELECT c.search_key, {RELEASE_COLUMNS}
        FROM follows f JOIN catalog_media c ON c.show_id = f.show_id
        JOIN shows s ON s.id = c.show_id JOIN releases r ON r.show_id = s.id
        WHERE f.guild_id = ? AND r.guild_id IS NULL AND r.status != 'cancelled'
          AND EXISTS (SELECT 1 FROM json_each(?) k
                      WHERE instr(char(10) || c.search_key || char(10),
                                  char(10) || k.value || char(10)) > 0)
        GROUP BY r.id
        LIMIT 50
        """,
        (guild_id, json.dumps(show_keys)),
    )
    found = []
    for row in rows:
        release = release_from_row(row)
        for key in row["search_key"].split("\n"):
            if labelled and release.label and f"{key} — {title_key(release.label)}" == wanted:
                found.append(release)
                break
            if not labelled and key == wanted:
                found.append(release)
                break
    return found


async def upcoming_releases(
    tx: Transaction,
    guild_id: int,
    now: datetime,
    end: datetime,
    limit: int,
    delay: timedelta = timedelta(0),
) -> list[Release]:
    """Return the guild's live dated releases still ahead at `now` (a `day` release until
    its day is over, anything else until its moment passes) and starting by `end`, soonest
    first: its own, and those of the catalog shows it follows, counted `delay` after
    their time (when the guild is told). Releases are returned as stored."""
    shift = int(delay.total_seconds())
    catalog_rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.show_id IN (SELECT f.show_id FROM follows f WHERE f.guild_id = ?1)
          AND r.guild_id IS NULL AND r.status IN ('scheduled', 'delayed')
          AND r.starts_at BETWEEN ?2 - 86400 - ?5 AND ?3 - ?5
          AND CASE r.precision WHEN 'day' THEN r.starts_at + 86400 ELSE r.starts_at END
              > ?2 - ?5
        ORDER BY r.starts_at, r.id
        LIMIT ?4
        """,
        (guild_id, to_epoch(now), to_epoch(end), limit, shift),
    )
    # The guild's own releases last: the one statement that can be long, in display order.
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
    own = [release_from_row(row) for row in rows]
    if not catalog_rows:
        return own
    catalog = [release_from_row(row) for row in catalog_rows]

    def told_at(release: Release) -> tuple[int, int]:
        at = release.time.at
        assert at is not None, "only dated releases are listed"
        return (to_epoch(at) + (shift if release.is_catalog else 0), release.id)

    return sorted([*own, *catalog], key=told_at)[:limit]


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
