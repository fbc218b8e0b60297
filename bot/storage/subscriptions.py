"""Subscriptions: which members hear about which shows, by DM or through a role."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from bot.domain.audience import DmSubscriber
from bot.domain.models import Subscription, Via
from bot.storage.convert import maybe_datetime, to_epoch
from bot.storage.database import Transaction


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
