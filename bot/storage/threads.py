"""Threads setting, forum channels, forum posts, and the threads owed on announcements."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.threads import ArchiveAfter
from bot.storage.convert import from_epoch, to_epoch
from bot.storage.database import Transaction


@dataclass(frozen=True, slots=True)
class ThreadsSetting:
    guild_id: int
    enabled: bool = False
    archive: ArchiveAfter = ArchiveAfter.DAY


@dataclass(frozen=True, slots=True)
class ForumPost:
    release_id: int
    channel_id: int
    #: The title as first composed: what to look for after an uncertain attempt.
    title: str
    thread_id: int | None


@dataclass(frozen=True, slots=True)
class ThreadStart:
    """A discussion thread owed on an announcement already posted."""

    message_id: int
    channel_id: int
    guild_id: int
    name: str
    archive_minutes: int
    attempts: int
    created_at: datetime


async def threads_setting(tx: Transaction, guild_id: int) -> ThreadsSetting:
    row = await tx.fetchone(
        "SELECT enabled, archive_minutes FROM guild_threads WHERE guild_id = ?", (guild_id,)
    )
    if row is None:
        return ThreadsSetting(guild_id)
    return ThreadsSetting(guild_id, bool(row["enabled"]), ArchiveAfter(row["archive_minutes"]))


async def threaded_guilds(tx: Transaction, guild_ids: Iterable[int]) -> dict[int, ArchiveAfter]:
    """Of these guilds, those with threads on, and their archive setting."""
    wanted = sorted(set(guild_ids))
    if not wanted:
        return {}
    rows = await tx.fetchall(
        "SELECT guild_id, archive_minutes FROM guild_threads "
        "WHERE enabled = 1 AND guild_id IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    )
    return {row["guild_id"]: ArchiveAfter(row["archive_minutes"]) for row in rows}


async def save_threads_setting(tx: Transaction, setting: ThreadsSetting, now: datetime) -> None:
    await tx.execute(
        """
        INSERT INTO guild_threads (guild_id, enabled, archive_minutes, updated_at)
        VALUES (?, ?, ?, ?)
        ON CONFLICT (guild_id) DO UPDATE SET
            enabled = excluded.enabled, archive_minutes = excluded.archive_minutes,
            updated_at = excluded.updated_at
        """,
        (setting.guild_id, int(setting.enabled), setting.archive.value, to_epoch(now)),
    )


async def remember_forum(tx: Transaction, guild_id: int, channel_id: int) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO forum_channels (channel_id, guild_id) VALUES (?, ?)",
        (channel_id, guild_id),
    )


async def forums_among(tx: Transaction, channel_ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(channel_ids))
    if not wanted:
        return set()
    rows = await tx.fetchall(
        "SELECT channel_id FROM forum_channels "
        "WHERE channel_id IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    )
    return {row["channel_id"] for row in rows}


async def note_post_titles(
    tx: Transaction, titles: dict[tuple[int, int], str], now: datetime
) -> set[tuple[int, int]]:
    """Note the title of each (release, forum)'s post unless one was noted before; return
    the keys noted now (a post never attempted before)."""
    noted = set()
    for (release_id, channel_id), title in sorted(titles.items()):
        changed = await tx.execute(
            """
            INSERT OR IGNORE INTO forum_posts (release_id, channel_id, title, created_at)
            VALUES (?, ?, ?, ?)
            """,
            (release_id, channel_id, title, to_epoch(now)),
        )
        if changed:
            noted.add((release_id, channel_id))
    return noted


async def posts_for(
    tx: Transaction, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], ForumPost]:
    """The post noted for each (release id, forum channel id), if any."""
    found: dict[tuple[int, int], ForumPost] = {}
    for release_id, channel_id in sorted(set(keys)):
        row = await tx.fetchone(
            "SELECT title, thread_id FROM forum_posts WHERE release_id = ? AND channel_id = ?",
            (release_id, channel_id),
        )
        if row is not None:
            found[(release_id, channel_id)] = ForumPost(
                release_id, channel_id, row["title"], row["thread_id"]
            )
    return found


async def record_post(tx: Transaction, release_id: int, channel_id: int, thread_id: int) -> None:
    await tx.execute(
        """
        UPDATE forum_posts SET thread_id = ?
        WHERE release_id = ? AND channel_id = ? AND thread_id IS NULL
        """,
        (thread_id, release_id, channel_id),
    )


async def forget_post(tx: Transaction, release_id: int, channel_id: int, thread_id: int) -> None:
    """A post deleted in Discord: the release's next message starts a new one."""
    await tx.execute(
        "UPDATE forum_posts SET thread_id = NULL WHERE release_id = ? AND channel_id = ? "
        "AND thread_id = ?",
        (release_id, channel_id, thread_id),
    )


async def owe_threads(tx: Transaction, starts: Sequence[ThreadStart], now: datetime) -> int:
    """Note threads owed on posted announcements (once per message); return how many."""
    return await tx.executemany(
        """
        INSERT OR IGNORE INTO thread_starts
            (message_id, channel_id, guild_id, name, archive_minutes, next_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (
                s.message_id,
                s.channel_id,
                s.guild_id,
                s.name,
                s.archive_minutes,
                to_epoch(now),
                to_epoch(s.created_at),
            )
            for s in starts
        ],
    )


async def due_thread_starts(tx: Transaction, now: datetime, limit: int) -> list[ThreadStart]:
    rows = await tx.fetchall(
        """
        SELECT message_id, channel_id, guild_id, name, archive_minutes, attempts, created_at
        FROM thread_starts WHERE status = 'pending' AND next_at <= ?
        ORDER BY next_at LIMIT ?
        """,
        (to_epoch(now), limit),
    )
    return [
        ThreadStart(
            message_id=row["message_id"],
            channel_id=row["channel_id"],
            guild_id=row["guild_id"],
            name=row["name"],
            archive_minutes=row["archive_minutes"],
            attempts=row["attempts"],
            created_at=from_epoch(row["created_at"]),
        )
        for row in rows
    ]


async def next_thread_start_at(tx: Transaction) -> int | None:
    row = await tx.fetchone("SELECT min(next_at) AS at FROM thread_starts WHERE status = 'pending'")
    return None if row is None else row["at"]


async def settle_thread_start(
    tx: Transaction,
    message_id: int,
    status: str,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record a start's outcome: 'started', 'failed', or still 'pending' until `retry_at`."""
    await tx.execute(
        """
        UPDATE thread_starts SET status = ?, last_error = ?, attempts = attempts + 1,
            next_at = coalesce(?, next_at)
        WHERE message_id = ? AND status = 'pending'
        """,
        (status, error, None if retry_at is None else to_epoch(retry_at), message_id),
    )
