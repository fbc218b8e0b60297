"""Shows: the titles a guild's releases belong to."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.models import Show
from bot.storage.convert import to_epoch
from bot.storage.database import Transaction

#: The columns a show is read from, in a query over `shows s` (a release's query too).
SHOW_COLUMNS = """
    s.id AS show_id, s.guild_id AS show_guild_id, s.title, s.description, s.image_url, s.link
"""


def show_from_row(row: aiosqlite.Row) -> Show:
    """The show in a row selected with SHOW_COLUMNS."""
    return Show(
        id=row["show_id"],
        guild_id=row["show_guild_id"],
        title=row["title"],
        description=row["description"],
        image_url=row["image_url"],
        link=row["link"],
    )


def title_key(title: str) -> str:
    """Return the form of a title used to match it regardless of case and spacing."""
    return " ".join(title.casefold().split())


async def find_or_create_show(tx: Transaction, guild_id: int, title: str, now: datetime) -> Show:
    """Return the guild's show with this title, creating it if it is new."""
    row = await tx.fetchone(
        f"SELECT {SHOW_COLUMNS} FROM shows s WHERE s.guild_id = ? AND s.title_key = ?",
        (guild_id, title_key(title)),
    )
    if row is None:
        show_id = await tx.insert(
            "INSERT INTO shows (guild_id, title, title_key, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, title, title_key(title), to_epoch(now)),
        )
        return Show(id=show_id, guild_id=guild_id, title=title)
    return show_from_row(row)


async def update_show(tx: Transaction, show: Show) -> None:
    """Store the show's title, description, image and link."""
    await tx.execute(
        """
        UPDATE shows SET title = ?, title_key = ?, description = ?, image_url = ?, link = ?
        WHERE id = ?
        """,
        (show.title, title_key(show.title), show.description, show.image_url, show.link, show.id),
    )


async def title_taken(tx: Transaction, guild_id: int, title: str, except_show_id: int) -> bool:
    row = await tx.fetchone(
        "SELECT 1 FROM shows WHERE guild_id = ? AND title_key = ? AND id != ?",
        (guild_id, title_key(title), except_show_id),
    )
    return row is not None


async def guild_show(tx: Transaction, guild_id: int, show_id: int) -> Show | None:
    """Return a show the guild sees: its own, or a catalog show one of its follows names."""
    row = await tx.fetchone(
        f"""
        SELECT {SHOW_COLUMNS} FROM shows s
        WHERE s.id = ? AND (s.guild_id = ? OR (s.guild_id IS NULL AND EXISTS (
            SELECT 1 FROM follows f WHERE f.guild_id = ? AND f.show_id = s.id)))
        """,
        (show_id, guild_id, guild_id),
    )
    return None if row is None else show_from_row(row)


async def shows_titled(tx: Transaction, guild_id: int, typed: str) -> list[Show]:
    """Return the shows the guild sees with this title (a catalog show: any of its titles
    or synonyms)."""
    key = title_key(typed)
    rows = await tx.fetchall(
        f"""
        SELECT {SHOW_COLUMNS} FROM shows s WHERE s.guild_id = ? AND s.title_key = ?
        UNION
        SELECT {SHOW_COLUMNS} FROM follows f JOIN catalog_media c ON c.show_id = f.show_id
        JOIN shows s ON s.id = c.show_id
        WHERE f.guild_id = ?
          AND instr(char(10) || c.search_key || char(10), char(10) || ? || char(10)) > 0
        """,
        (guild_id, key, guild_id, key),
    )
    return [show_from_row(row) for row in rows]
