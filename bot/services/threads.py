"""`/settings threads` and forum channels: what a guild chose, and where it posts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidInput
from bot.domain.threads import ArchiveAfter
from bot.services.changes import Changes
from bot.storage import follows, settings, threads
from bot.storage.database import Transaction
from bot.storage.threads import ThreadsSetting


@dataclass(frozen=True, slots=True)
class ThreadsView:
    """The guild's threads setting, and the channels Airdate posts in (forums among them)."""

    setting: ThreadsSetting
    channel_ids: tuple[int, ...]
    forums: frozenset[int]


class ThreadSettings:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def set(self, guild_id: int, enabled: bool, archive: str | None) -> ThreadsView:
        """Turn threads on or off; leaving `archive` out keeps it (1 day at first)."""
        async with self._changes.guild(guild_id) as tx:
            before = await threads.threads_setting(tx, guild_id)
            chosen = before.archive if archive is None else _archive(archive)
            after = ThreadsSetting(guild_id, enabled, chosen)
            await threads.save_threads_setting(tx, after, self._changes.now())
            return await self._view(tx, after)

    async def view(self, guild_id: int) -> ThreadsView:
        async with self._changes.read() as tx:
            return await self._view(tx, await threads.threads_setting(tx, guild_id))

    async def remember_forum(self, guild_id: int, channel_id: int) -> None:
        """Note that a channel chosen for posting is a forum (before anything goes there)."""
        async with self._changes.guild(guild_id) as tx:
            await threads.remember_forum(tx, guild_id, channel_id)

    async def _view(self, tx: Transaction, setting: ThreadsSetting) -> ThreadsView:
        guild = await settings.guild_settings(tx, setting.guild_id)
        channels = [
            f.channel_id for f in await follows.guild_follows(tx, setting.guild_id) if f.enabled
        ]
        if guild.channel_id is not None and guild.channel_disabled_reason is None:
            channels.insert(0, guild.channel_id)
        ids = tuple(dict.fromkeys(channels))
        return ThreadsView(setting, ids, frozenset(await threads.forums_among(tx, ids)))


def _archive(typed: str) -> ArchiveAfter:
    try:
        return ArchiveAfter.from_choice(typed)
    except ValueError:
        names = ", ".join(a.choice for a in ArchiveAfter)
        raise InvalidInput(f"`archive` is one of {names}: pick one from the list.") from None
