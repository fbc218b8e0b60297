"""Per-guild settings and small key/value state."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.catalog import TitleLanguage
from bot.domain.models import GuildSettings
from bot.storage.convert import maybe_datetime, maybe_epoch, to_epoch
from bot.storage.database import Transaction


def _offsets_text(offsets: tuple[timedelta, ...]) -> str:
    return " ".join(str(int(offset.total_seconds())) for offset in offsets)


def _offsets(text: str) -> tuple[timedelta, ...]:
    return tuple(timedelta(seconds=int(part)) for part in text.split())


async def guild_settings(tx: Transaction, guild_id: int) -> GuildSettings:
    """Return the guild's settings, or the defaults if it never changed any."""
    row = await tx.fetchone(
        """
        SELECT channel_id, role_id, offsets, timezone, channel_disabled_reason, removed_at,
               channel_since, offsets_since, present_since, previous_channel_id,
               previous_channel_since, title_language, delay_after_seconds
        FROM guild_settings WHERE guild_id = ?
        """,
        (guild_id,),
    )
    if row is None:
        return GuildSettings(guild_id=guild_id)
    return GuildSettings(
        guild_id=guild_id,
        channel_id=row["channel_id"],
        role_id=row["role_id"],
        offsets=_offsets(row["offsets"]),
        timezone=row["timezone"],
        channel_disabled_reason=row["channel_disabled_reason"],
        removed=row["removed_at"] is not None,
        channel_since=maybe_datetime(row["channel_since"]),
        offsets_since=maybe_datetime(row["offsets_since"]),
        present_since=maybe_datetime(row["present_since"]),
        previous_channel_id=row["previous_channel_id"],
        previous_channel_since=maybe_datetime(row["previous_channel_since"]),
        title_language=TitleLanguage(row["title_language"]),
        delay_after=timedelta(seconds=row["delay_after_seconds"]),
    )


async def save_guild_settings(tx: Transaction, settings: GuildSettings, now: datetime) -> None:
    await tx.execute(
        """
        INSERT INTO guild_settings
            (guild_id, channel_id, role_id, offsets, timezone, channel_disabled_reason,
             removed_at, channel_since, offsets_since, present_since, previous_channel_id,
             previous_channel_since, title_language, delay_after_seconds, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (guild_id) DO UPDATE SET
            channel_id = excluded.channel_id, role_id = excluded.role_id,
            offsets = excluded.offsets, timezone = excluded.timezone,
            channel_disabled_reason = excluded.channel_disabled_reason,
            removed_at = excluded.removed_at,
            channel_since = excluded.channel_since, offsets_since = excluded.offsets_since,
            present_since = excluded.present_since,
            previous_channel_id = excluded.previous_channel_id,
            previous_channel_since = excluded.previous_channel_since,
            title_language = excluded.title_language,
            delay_after_seconds = excluded.delay_after_seconds,
            updated_at = excluded.updated_at
        """,
        (
            settings.guild_id,
            settings.channel_id,
            settings.role_id,
            _offsets_text(settings.offsets),
            settings.timezone,
            settings.channel_disabled_reason,
            to_epoch(now) if settings.removed else None,
            maybe_epoch(settings.channel_since),
            maybe_epoch(settings.offsets_since),
            maybe_epoch(settings.present_since),
            settings.previous_channel_id,
            maybe_epoch(settings.previous_channel_since),
            settings.title_language.value,
            int(settings.delay_after.total_seconds()),
            to_epoch(now),
        ),
    )


async def meta_value(tx: Transaction, key: str) -> str | None:
    row = await tx.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def set_meta_value(tx: Transaction, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def known_guilds(tx: Transaction) -> dict[int, bool]:
    """Return every guild with settings, and whether the bot was removed from it."""
    rows = await tx.fetchall("SELECT guild_id, removed_at FROM guild_settings")
    return {row["guild_id"]: row["removed_at"] is not None for row in rows}
