"""Follows: which channels announce which shows (or all of them), and with which role."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.domain.models import Follow
from bot.storage.convert import maybe_datetime, to_epoch
from bot.storage.database import Transaction

#: The columns a follow is read from, with its show's title: every query below starts so.
_SELECT = """
    SELECT f.id, f.guild_id, f.channel_id, f.show_id, f.role_id, f.episodes, f.disabled_reason,
        f.since, s.title AS show_title
    FROM follows f LEFT JOIN shows s ON s.id = f.show_id
"""


def _follow(row: aiosqlite.Row) -> Follow:
    """The follow in a row selected with _SELECT."""
    return Follow(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        show_id=row["show_id"],
        role_id=row["role_id"],
        episodes=bool(row["episodes"]),
        disabled_reason=row["disabled_reason"],
        show_title=row["show_title"],
        since=maybe_datetime(row["since"]),
    )


async def guild_follows(tx: Transaction, guild_id: int) -> list[Follow]:
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE f.guild_id = ? ORDER BY f.channel_id, f.show_id IS NOT NULL, s.title
        """,
        (guild_id,),
    )
    return [_follow(row) for row in rows]


async def follows_of_channels(
    tx: Transaction, channel_ids: Iterable[int]
) -> dict[int, list[Follow]]:
    """Return each channel's follows, enabled or not, in one query (channels without: [])."""
    wanted = sorted(set(channel_ids))
    found: dict[int, list[Follow]] = {channel_id: [] for channel_id in wanted}
    if not wanted:
        return found
    rows = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE f.channel_id IN (SELECT value FROM json_each(?))
        """,
        (json.dumps(wanted),),
    )
    for row in rows:
        found[row["channel_id"]].append(_follow(row))
    return found


async def save_follow(
    tx: Transaction,
    *,
    guild_id: int,
    channel_id: int,
    show_id: int | None,
    role_id: int | None,
    episodes: bool,
    now: datetime,
) -> None:
    """Create the follow, or update it and enable it again if it exists."""
    existing = await tx.fetchone(
        "SELECT id FROM follows WHERE guild_id = ? AND channel_id = ? "
        "AND coalesce(show_id, 0) = coalesce(?, 0)",
        (guild_id, channel_id, show_id),
    )
    if existing is None:
        await tx.execute(
            """
            INSERT INTO follows
                (guild_id, channel_id, show_id, role_id, episodes, created_at, since)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            (guild_id, channel_id, show_id, role_id, int(episodes), to_epoch(now), to_epoch(now)),
        )
        return
    await tx.execute(
        """
        UPDATE follows SET role_id = ?, episodes = ?, disabled_at = NULL, disabled_reason = NULL,
            since = CASE WHEN disabled_at IS NULL THEN since ELSE ? END
        WHERE id = ?
        """,
        (role_id, int(episodes), to_epoch(now), existing["id"]),
    )


async def delete_follow(
    tx: Transaction, guild_id: int, channel_id: int, show_id: int | None
) -> bool:
    changed = await tx.execute(
        "DELETE FROM follows WHERE guild_id = ? AND channel_id = ? "
        "AND coalesce(show_id, 0) = coalesce(?, 0)",
        (guild_id, channel_id, show_id),
    )
    return changed > 0


async def disable_channel_follows(
    tx: Transaction, channel_id: int, reason: str, now: datetime
) -> int:
    """Disable every enabled follow of a channel; return how many were enabled."""
    return await tx.execute(
        "UPDATE follows SET disabled_at = ?, disabled_reason = ? "
        "WHERE channel_id = ? AND disabled_at IS NULL",
        (to_epoch(now), reason, channel_id),
    )


async def show_role_follow(tx: Transaction, guild_id: int, show_id: int) -> Follow | None:
    """Return the show's own enabled follow with a role in this guild, if there is one."""
    row = await tx.fetchone(
        f"""
        {_SELECT}
        WHERE f.guild_id = ? AND f.show_id = ? AND f.role_id IS NOT NULL
          AND f.disabled_at IS NULL
        ORDER BY f.id LIMIT 1
        """,
        (guild_id, show_id),
    )
    return None if row is None else _follow(row)
