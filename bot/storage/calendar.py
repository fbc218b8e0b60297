"""The calendar feed's rows: guilds' feed tokens, and events as published in calendars.

A guild's calendar is read from the releases it sees (its own, and those of the catalog
shows its follows name), each with the version it was last published with in that guild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.calendar import MAX_SHIFT, WINDOW_AHEAD, WINDOW_BEHIND, EventVersion
from bot.domain.catalog import Titles
from bot.domain.models import Release
from bot.storage.convert import from_epoch, maybe_datetime, to_epoch
from bot.storage.database import Transaction
from bot.storage.releases import RELEASE_COLUMNS, release_from_row

#: The columns read for each event, then its published version (those last, apart: the
#: version is derived from the rest, so it is left out of the digest of what changed).
_COLUMNS = f"""
    {RELEASE_COLUMNS}, r.updated_at, c.duration_minutes,
    c.title_romaji, c.title_english, c.title_native,
    v.fingerprint AS v_fingerprint, v.sequence AS v_sequence, v.changed_at AS v_changed_at,
    v.starts_at AS v_starts_at, v.ends_at AS v_ends_at, v.all_day AS v_all_day
"""
_VERSION_COLUMNS = 6
_FROM = """
    FROM releases r JOIN shows s ON s.id = r.show_id
    LEFT JOIN catalog_media c ON c.show_id = r.show_id
    LEFT JOIN calendar_events v ON v.guild_id = ?1 AND v.release_id = r.id
"""


@dataclass(frozen=True, slots=True)
class EventSource:
    """A release a guild's calendar may show, as stored, with its last published version."""

    release: Release
    updated_at: datetime
    duration: timedelta | None
    titles: Titles | None
    version: EventVersion | None


@dataclass(frozen=True, slots=True)
class FeedState:
    """A guild's feed: its token and what it last served."""

    guild_id: int
    token: str
    etag: str | None
    changed_at: datetime | None


async def source_rows(tx: Transaction, guild_id: int, now: datetime) -> list[aiosqlite.Row]:
    """The rows of every release the guild's calendar may show at `now`: dated within the
    window (a day wider each way, for guilds' delays), or cancelled after it was published
    and not yet past its old date."""
    low = to_epoch(now - WINDOW_BEHIND - MAX_SHIFT)
    high = to_epoch(now + WINDOW_AHEAD + MAX_SHIFT)
    dated = "r.precision IN ('exact', 'day') AND r.starts_at BETWEEN ?2 AND ?3"
    own = await tx.fetchall(
        f"SELECT {_COLUMNS} {_FROM} WHERE r.guild_id = ?1 AND {dated}", (guild_id, low, high)
    )
    catalog = await tx.fetchall(
        f"""
        SELECT {_COLUMNS} {_FROM}
        WHERE r.show_id IN (SELECT f.show_id FROM follows f WHERE f.guild_id = ?1)
          AND r.guild_id IS NULL
          AND (({dated}) OR (r.status = 'cancelled' AND v.ends_at > ?4))
        """,
        (guild_id, low, high, to_epoch(now - MAX_SHIFT)),
    )
    return [*own, *catalog]


def rows_digest(rows: Sequence[aiosqlite.Row]) -> int:
    """A digest of what the rows say apart from their versions (this process only)."""
    return hash(tuple(tuple(row)[:-_VERSION_COLUMNS] for row in rows))


def sources_from_rows(rows: Iterable[aiosqlite.Row]) -> list[EventSource]:
    found = []
    for row in rows:
        titles = None
        if row["title_romaji"] or row["title_english"] or row["title_native"]:
            titles = Titles(row["title_romaji"], row["title_english"], row["title_native"])
        minutes = row["duration_minutes"]
        version = None
        if row["v_fingerprint"] is not None:
            version = EventVersion(
                fingerprint=row["v_fingerprint"],
                sequence=row["v_sequence"],
                changed_at=from_epoch(row["v_changed_at"]),
                starts_at=from_epoch(row["v_starts_at"]),
                ends_at=from_epoch(row["v_ends_at"]),
                all_day=bool(row["v_all_day"]),
            )
        found.append(
            EventSource(
                release=release_from_row(row),
                updated_at=from_epoch(row["updated_at"]),
                duration=None if not minutes else timedelta(minutes=minutes),
                titles=titles,
                version=version,
            )
        )
    return found


async def event_texts(
    tx: Transaction, guild_id: int, release_ids: Iterable[int]
) -> dict[int, tuple[int, str]]:
    """The published text of these events in the guild, with its SEQUENCE, by release."""
    rows = await tx.fetchall(
        "SELECT release_id, sequence, ics FROM calendar_events "
        "WHERE guild_id = ? AND release_id IN (SELECT value FROM json_each(?))",
        (guild_id, _json_ids(release_ids)),
    )
    return {row["release_id"]: (row["sequence"], row["ics"]) for row in rows}


async def save_events(
    tx: Transaction, guild_id: int, published: Iterable[tuple[int, EventVersion, str]]
) -> None:
    """Store events as published in the guild: a version only replaces an older one."""
    await tx.executemany(
        """
        INSERT INTO calendar_events
            (guild_id, release_id, fingerprint, sequence, changed_at, starts_at, ends_at,
             all_day, ics)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (guild_id, release_id) DO UPDATE SET
            fingerprint = excluded.fingerprint, sequence = excluded.sequence,
            changed_at = excluded.changed_at, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, all_day = excluded.all_day, ics = excluded.ics
        WHERE excluded.sequence > calendar_events.sequence
           OR (excluded.sequence = calendar_events.sequence
               AND excluded.fingerprint = calendar_events.fingerprint)
        """,
        [
            (
                guild_id,
                release_id,
                version.fingerprint,
                version.sequence,
                to_epoch(version.changed_at),
                to_epoch(version.starts_at),
                to_epoch(version.ends_at),
                int(version.all_day),
                text,
            )
            for release_id, version, text in published
        ],
    )


async def forget_events_before(tx: Transaction, guild_id: int, before: datetime) -> None:
    """Drop the guild's published events that ended before `before` (long out of its feed)."""
    await tx.execute(
        "DELETE FROM calendar_events WHERE guild_id = ? AND ends_at < ?",
        (guild_id, to_epoch(before)),
    )


def _feed(row: aiosqlite.Row) -> FeedState:
    return FeedState(
        guild_id=row["guild_id"],
        token=row["token"],
        etag=row["body_etag"],
        changed_at=maybe_datetime(row["body_changed_at"]),
    )


async def guild_feed(tx: Transaction, guild_id: int) -> FeedState | None:
    row = await tx.fetchone(
        "SELECT guild_id, token, body_etag, body_changed_at FROM calendar_feeds WHERE guild_id = ?",
        (guild_id,),
    )
    return None if row is None else _feed(row)


async def feed_of_token(tx: Transaction, token: str) -> FeedState | None:
    """The feed a token opens, unless the bot was removed from its guild."""
    row = await tx.fetchone(
        """
        SELECT f.guild_id, f.token, f.body_etag, f.body_changed_at FROM calendar_feeds f
        WHERE f.token = ? AND NOT EXISTS (
            SELECT 1 FROM guild_settings g
            WHERE g.guild_id = f.guild_id AND g.removed_at IS NOT NULL)
        """,
        (token,),
    )
    return None if row is None else _feed(row)


async def save_token(tx: Transaction, guild_id: int, token: str, now: datetime) -> None:
    """Give the guild's feed this token (the old one, if any, opens nothing any more)."""
    await tx.execute(
        """
        INSERT INTO calendar_feeds (guild_id, token, created_at) VALUES (?, ?, ?)
        ON CONFLICT (guild_id) DO UPDATE SET token = excluded.token,
            created_at = excluded.created_at
        """,
        (guild_id, token, to_epoch(now)),
    )


async def record_body(tx: Transaction, guild_id: int, etag: str, changed_at: datetime) -> None:
    await tx.execute(
        "UPDATE calendar_feeds SET body_etag = ?, body_changed_at = ? WHERE guild_id = ?",
        (etag, to_epoch(changed_at), guild_id),
    )


def _json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in sorted(set(ids))) + "]"
