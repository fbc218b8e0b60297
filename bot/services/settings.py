"""Guild settings: where announcements go, whom they ping, when reminders fire."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.domain import durations, when
from bot.domain.catalog import TitleLanguage
from bot.domain.models import GuildSettings
from bot.services import digests, reconcile
from bot.services.changes import Changes
from bot.storage import follows, settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelSet:
    """The settings after `/settings channel`, and how many follows post elsewhere anyway."""

    settings: GuildSettings
    follows: int


class SettingsService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def view(self, guild_id: int) -> GuildSettings:
        async with self._changes.read() as tx:
            return await settings.guild_settings(tx, guild_id)

    async def set_channel(self, guild_id: int, channel_id: int | None) -> ChannelSet:
        """Point announcements at a channel (None: nowhere); what is owed follows it."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            before = await settings.guild_settings(tx, guild_id)
            working = before.channel_id is not None and before.channel_disabled_reason is None
            moved = working and channel_id is not None and channel_id != before.channel_id
            if moved:
                # The new channel inherits what the old one was still owed, nothing more.
                after = replace(
                    before,
                    channel_id=channel_id,
                    channel_since=now,
                    previous_channel_id=before.channel_id,
                    # The slot's whole unbroken run: moving back and forth loses nothing.
                    previous_channel_since=before.previous_channel_since or before.channel_since,
                )
            elif working and channel_id == before.channel_id:
                after = before
            else:
                after = replace(
                    before,
                    channel_id=channel_id,
                    channel_disabled_reason=None,
                    channel_since=None if channel_id is None else now,
                    previous_channel_id=None,
                    previous_channel_since=None,
                )
            await settings.save_guild_settings(tx, after, now)
            await reconcile.reconcile_channel_move(
                tx, guild_id, before.channel_id, channel_id, now, self._changes.notice_debounce
            )
            enabled = sum(1 for f in await follows.guild_follows(tx, guild_id) if f.enabled)
        return ChannelSet(after, enabled)

    async def set_role(self, guild_id: int, role_id: int | None) -> GuildSettings:
        """Change the ping role; messages already queued ping what is set when they leave."""
        async with self._changes.guild(guild_id) as tx:
            after = replace(await settings.guild_settings(tx, guild_id), role_id=role_id)
            await settings.save_guild_settings(tx, after, self._changes.now())
        return after

    async def set_offsets(self, guild_id: int, typed: str) -> GuildSettings:
        """Change reminder offsets; reminders are recomputed (offsets still ahead)."""
        offsets = durations.parse_offsets(typed)
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            before = await settings.guild_settings(tx, guild_id)
            after = replace(before, offsets=offsets, offsets_since=now)
            await settings.save_guild_settings(tx, after, now)
            await reconcile.reconcile_guild(
                tx, guild_id, now, self._changes.notice_debounce, reason="reminder offsets changed"
            )
        return after

    async def set_title_language(self, guild_id: int, language: TitleLanguage) -> GuildSettings:
        """Change the title catalog shows are read by here (messages, listings, autocomplete)."""
        async with self._changes.guild(guild_id) as tx:
            after = replace(await settings.guild_settings(tx, guild_id), title_language=language)
            await settings.save_guild_settings(tx, after, self._changes.now())
        return after

    async def set_delay(self, guild_id: int, typed: str) -> GuildSettings:
        """Change how long after AniList's airing time this guild is told of catalog
        releases: what is owed is rescheduled, and nobody is sent a notice."""
        delay = durations.parse_delay(typed)
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            after = replace(await settings.guild_settings(tx, guild_id), delay_after=delay)
            await settings.save_guild_settings(tx, after, now)
            await reconcile.reconcile_guild(
                tx, guild_id, now, self._changes.notice_debounce, reason="delay changed"
            )
        return after

    async def set_timezone(self, guild_id: int, typed: str) -> GuildSettings:
        zone = when.validate_zone(typed)
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            after = replace(await settings.guild_settings(tx, guild_id), timezone=zone)
            await settings.save_guild_settings(tx, after, now)
            # The weekly digest's local time is read in this zone: its next moment moves.
            await digests.plan_next(tx, guild_id, now, after=now)
        return after
