"""Fill a guild's database before the bot starts, when a test needs more than a few commands."""

from __future__ import annotations

from pathlib import Path

from bot.clock import utcnow
from bot.services.changes import Changes
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.storage.database import Database


async def seed_shows(db_path: Path, guild_id: int, count: int, when: str = "2030-01-01") -> None:
    """Store `count` shows "Filler 1".. with one release each, as `/release add` would."""
    database = await Database.open(db_path)
    try:
        service = ReleaseService(Changes(database, utcnow, lambda guild_id: None))
        for number in range(1, count + 1):
            await service.add(guild_id, ReleaseDraft(title=f"Filler {number}", when=when))
    finally:
        await database.close()
