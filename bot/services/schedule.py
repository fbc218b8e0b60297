"""A guild's schedule page: the releases it sees over the next 14 days, as it sees them."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.catalog_view import MAX_DELAY_AFTER
from bot.domain.schedule import Schedule, reach, schedule
from bot.services.changes import Changes
from bot.services.seen import seen_releases
from bot.storage import settings
from bot.storage.schedule import dated_releases

#: A `day` release is stored as its midnight in its own zone: up to 14 hours either side
#: of its UTC day.
_ZONES = timedelta(hours=14)


class ScheduleService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def schedule(self, guild_id: int) -> Schedule:
        """The guild's page now: its releases titled in its language, at its delay."""
        now = self._changes.now()
        low, high = reach(now)
        async with self._changes.read() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            stored = await dated_releases(
                tx, guild_id, low - MAX_DELAY_AFTER - _ZONES, high + _ZONES
            )
            releases = await seen_releases(tx, guild, stored)
        return schedule(releases, now)
