"""Where Airdate may still post: channels it lost, members whose DMs are closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.services import reconcile
from bot.storage import dm_pauses, follows, settings
from bot.storage.database import Transaction


async def disable_channel(
    tx: Transaction,
    guild_id: int,
    channel_id: int,
    reason: str,
    now: datetime,
    notice_debounce: timedelta,
) -> bool:
    """Stop posting in a channel: its follows disabled, what it was owed no longer owed.

    Return True if anything was enabled before, so the guild is told only once.
    """
    newly = await follows.disable_channel_follows(tx, channel_id, reason, now) > 0
    guild = await settings.guild_settings(tx, guild_id)
    if guild.channel_id == channel_id and guild.channel_disabled_reason is None:
        await settings.save_guild_settings(tx, replace(guild, channel_disabled_reason=reason), now)
        newly = True
    await reconcile.reconcile_guild(
        tx, guild_id, now, notice_debounce, reason=reason, targets=(channel_id,)
    )
    return newly


async def pause_dms(
    tx: Transaction, user_id: int, now: datetime, notice_debounce: timedelta
) -> None:
    """A member's DMs refused a message: their DM subscriptions wait until they act."""
    await dm_pauses.pause_dms(tx, user_id, now)
    await reconcile.reconcile_member(tx, user_id, now, notice_debounce, reason="DMs closed")
