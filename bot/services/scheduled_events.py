"""`/settings events`, and what Discord tells the bot about its events and permissions."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain.scheduled_events import MISSING_PERMISSION, MirrorSetting, Want
from bot.services.changes import Changes
from bot.services.event_mirror import EventMirror
from bot.storage import scheduled_events as store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventsToggled:
    """The setting after `/settings events`, and what follows from it."""

    setting: MirrorSetting
    #: The bot has Create Events in the guild now.
    can_create: bool
    #: Turned off: how many events Airdate made that it is deleting.
    deleting: int = 0


class ScheduledEventService:
    def __init__(self, changes: Changes, mirror: EventMirror) -> None:
        self._changes = changes
        self._mirror = mirror

    def start(self) -> None:
        self._mirror.start()

    async def stop(self) -> None:
        await self._mirror.stop()

    async def view(self, guild_id: int) -> MirrorSetting:
        async with self._changes.read() as tx:
            return await store.mirror_setting(tx, guild_id)

    async def set_enabled(self, guild_id: int, enabled: bool, can_create: bool) -> EventsToggled:
        """Turn the mirror on or off. On without Create Events is stored and waits for the
        permission (nothing is sent that Discord would refuse); on with it (again) resumes a
        paused mirror; off deletes the events it made that have not started."""
        now = self._changes.now()
        deleting = 0
        async with self._changes.guild(guild_id) as tx:
            paused = None if can_create else MISSING_PERMISSION
            setting = MirrorSetting(guild_id, enabled, paused, None if paused is None else now)
            await store.save_mirror_setting(tx, setting, now)
            if not enabled:
                deleting = sum(
                    1
                    for stored in await store.guild_rows(tx, guild_id)
                    if stored.row.event_id is not None
                    and not stored.row.gone
                    and stored.row.want in (Want.EVENT, Want.DELETED)
                    and stored.row.spec.starts_at > now
                )
        log.info("guild %s turned scheduled events %s", guild_id, "on" if enabled else "off")
        return EventsToggled(setting, can_create, deleting)

    async def permissions_seen(self, guild_id: int, can_create: bool) -> None:
        """The bot's permissions in the guild changed: a mirror paused for lack of Create
        Events resumes once it has it."""
        if not can_create:
            return
        async with self._changes.read() as tx:
            setting = await store.mirror_setting(tx, guild_id)
        if not setting.paused:
            return
        async with self._changes.guild(guild_id) as tx:
            setting = await store.mirror_setting(tx, guild_id)
            resumed = MirrorSetting(guild_id, setting.enabled)
            await store.save_mirror_setting(tx, resumed, self._changes.now())
        log.info("guild %s: Airdate has Create Events again; its events mirror resumes", guild_id)

    async def paused_guilds(self) -> list[int]:
        async with self._changes.read() as tx:
            return await store.paused_guilds(tx)

    async def event_deleted(self, guild_id: int, event_id: int) -> None:
        """Someone deleted an event: one the mirror made is not made again (it keeps its
        slot); one it was deleting itself is simply gone."""
        async with self._changes.database.transaction() as tx:
            stored = await store.release_of_event(tx, guild_id, event_id)
            if stored is None:
                return
            if stored.row.want is Want.EVENT:
                await store.record_gone(tx, guild_id, stored.row.release_id)
                log.info(
                    "guild %s: event %s was deleted on Discord; not made again",
                    guild_id,
                    event_id,
                )
            else:
                await store.record_event(tx, guild_id, stored.row.release_id, None, None)
        self._mirror.guild_changed(guild_id)
