"""The schedule page's rows: the dated releases a guild sees over a few days."""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import Release
from bot.storage.convert import to_epoch
from bot.storage.database import Transaction
from bot.storage.releases import RELEASE_COLUMNS, release_from_row

_SELECT = f"SELECT {RELEASE_COLUMNS} FROM releases r JOIN shows s ON s.id = r.show_id"
_DATED = """r.precision IN ('exact', 'day') AND r.starts_at BETWEEN ?2 AND ?3
    AND r.status != 'cancelled'"""


async def dated_releases(
    tx: Transaction, guild_id: int, low: datetime, high: datetime
) -> list[Release]:
    """The exact and `day` releases the guild sees (its own, and those of the catalog
    shows its follows name) stored as starting between `low` and `high`, apart from
    cancelled ones; as stored: not yet titled or delayed for the guild."""
    bounds = (guild_id, to_epoch(low), to_epoch(high))
    own = await tx.fetchall(f"{_SELECT} WHERE r.guild_id = ?1 AND {_DATED}", bounds)
    catalog = await tx.fetchall(
        f"""
        {_SELECT}
        WHERE r.show_id IN (SELECT f.show_id FROM follows f WHERE f.guild_id = ?1)
          AND r.guild_id IS NULL AND {_DATED}
        """,
        bounds,
    )
    return [release_from_row(row) for row in (*own, *catalog)]
