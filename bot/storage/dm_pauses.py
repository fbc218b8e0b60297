"""DM pauses: members whose DMs are closed to Airdate, so their DM subscriptions wait."""

from __future__ import annotations

from datetime import datetime

from bot.storage.convert import to_epoch
from bot.storage.database import Transaction


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
