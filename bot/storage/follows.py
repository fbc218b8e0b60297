"""Follows and subscriptions: which channels and members hear about which shows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.domain.audience import DmSubscriber
from bot.domain.models import Follow, Subscription, Via
from bot.storage.convert import maybe_datetime, to_epoch
from bot.storage.database import Transaction

_FOLLOW_COLUMNS = """
    f.id, f.guild_id, f.channel_id, f.show_id, f.role_id, f.episodes, f.disabled_reason,
    f.since, s.title AS show_title
"""


def _follow(row: aiosqlite.Row) -> Follow:
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
        SELECT {_FOLLOW_COLUMNS} FROM follows f LEFT JOIN shows s ON s.id = f.show_id
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
        SELECT {_FOLLOW_COLUMNS} FROM follows f LEFT JOIN shows s ON s.id = f.show_id
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
        SELECT {_FOLLOW_COLUMNS} FROM follows f LEFT JOIN shows s ON s.id = f.show_id
        WHERE f.guild_id = ? AND f.show_id = ? AND f.role_id IS NOT NULL
          AND f.disabled_at IS NULL
        ORDER BY f.id LIMIT 1
        """,
        (guild_id, show_id),
    )
    return None if row is None else _follow(row)


async def save_subscription(
    tx: Transaction, guild_id: int, user_id: int, show_id: int, via: Via, now: datetime
) -> bool:
    """Store a subscription; return False if the member already had it."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO subscriptions (guild_id, user_id, show_id, via, created_at, since) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, show_id, via.value, to_epoch(now), to_epoch(now)),
    )
    return changed > 0


async def delete_subscriptions(
    tx: Transaction, guild_id: int, user_id: int, show_id: int
) -> list[Via]:
    """Remove a member's subscriptions to a show; return the ways they had subscribed."""
    rows = await tx.fetchall(
        "SELECT via FROM subscriptions WHERE guild_id = ? AND user_id = ? AND show_id = ?",
        (guild_id, user_id, show_id),
    )
    await tx.execute(
        "DELETE FROM subscriptions WHERE guild_id = ? AND user_id = ? AND show_id = ?",
        (guild_id, user_id, show_id),
    )
    return [Via(row["via"]) for row in rows]


async def member_subscriptions(tx: Transaction, guild_id: int, user_id: int) -> list[Subscription]:
    rows = await tx.fetchall(
        """
        SELECT sub.show_id, sub.via, s.title FROM subscriptions sub
        JOIN shows s ON s.id = sub.show_id
        WHERE sub.guild_id = ? AND sub.user_id = ? ORDER BY s.title_key
        """,
        (guild_id, user_id),
    )
    return [
        Subscription(guild_id, user_id, row["show_id"], Via(row["via"]), row["title"])
        for row in rows
    ]


async def dm_subscribers_of_shows(
    tx: Transaction, guild_id: int, show_ids: Iterable[int]
) -> dict[int, list[DmSubscriber]]:
    """Return, per show, the members subscribed by DM whose DMs are not paused."""
    rows = await tx.fetchall(
        """
        SELECT sub.show_id, sub.user_id, sub.since FROM subscriptions sub
        LEFT JOIN dm_pauses p ON p.user_id = sub.user_id
        WHERE sub.guild_id = ? AND sub.via = 'dm' AND p.user_id IS NULL
          AND sub.show_id IN (SELECT value FROM json_each(?))
        ORDER BY sub.user_id
        """,
        (guild_id, json.dumps(sorted(set(show_ids)))),
    )
    found: dict[int, list[DmSubscriber]] = {}
    for row in rows:
        found.setdefault(row["show_id"], []).append(
            DmSubscriber(row["user_id"], maybe_datetime(row["since"]))
        )
    return found


async def dm_subscribed_shows(tx: Transaction, user_id: int) -> dict[int, list[int]]:
    """Return, per guild, the shows a member is subscribed to by DM."""
    rows = await tx.fetchall(
        "SELECT guild_id, show_id FROM subscriptions WHERE user_id = ? AND via = 'dm' "
        "ORDER BY guild_id, show_id",
        (user_id,),
    )
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["guild_id"], []).append(row["show_id"])
    return found


async def pause_dms(tx: Transaction, user_id: int, now: datetime) -> bool:
    """Pause a member's DM subscriptions; return True if they were not paused yet."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO dm_pauses (user_id, paused_at) VALUES (?, ?)",
        (user_id, to_epoch(now)),
    )
    return changed > 0


async def resume_dms(tx: Transaction, user_id: int, now: datetime) -> bool:
    """Open a member's DMs again: their DM subscriptions cover what is ahead from now."""
    if await tx.execute("DELETE FROM dm_pauses WHERE user_id = ?", (user_id,)) == 0:
        return False
    await tx.execute(
        "UPDATE subscriptions SET since = ? WHERE user_id = ? AND via = 'dm'",
        (to_epoch(now), user_id),
    )
    return True


async def dm_pause_untold(tx: Transaction, user_id: int) -> bool:
    """Whether the member's DMs are paused and they were not told yet."""
    row = await tx.fetchone(
        "SELECT 1 FROM dm_pauses WHERE user_id = ? AND told_at IS NULL", (user_id,)
    )
    return row is not None


async def mark_dm_pause_told(tx: Transaction, user_id: int, now: datetime) -> None:
    await tx.execute("UPDATE dm_pauses SET told_at = ? WHERE user_id = ?", (to_epoch(now), user_id))


async def dms_paused(tx: Transaction, user_id: int) -> bool:
    row = await tx.fetchone("SELECT 1 FROM dm_pauses WHERE user_id = ?", (user_id,))
    return row is not None
