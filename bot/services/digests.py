"""The weekly digest's setting, and the one rule for which digest a guild is owed next.

A guild with a digest set is owed exactly one pending digest: the first moment of its
setting after the later of when it was set, the last digest handled and 12 hours ago.
`plan_next` makes the outbox hold that one row, in the transaction of whatever changed it
(the setting, the guild's zone, a digest sent or skipped): a moved setting replaces the
row, a setting turned off skips it, and one changed back finds its row again by its key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.domain.digest import (
    CATCH_UP,
    DEFAULT_DAY,
    DigestSetting,
    Weekday,
    next_digest_at,
    parse_time,
)
from bot.services.changes import Changes
from bot.storage import digests, settings
from bot.storage.database import Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """A guild's digest setting (None: off), its next moment, and the zone it is read in."""

    setting: DigestSetting | None
    next_at: datetime | None
    zone: str
    #: Why the latest digest could not be posted, if it could not.
    failure: str | None = None


async def plan_next(
    tx: Transaction, guild_id: int, now: datetime, *, after: datetime
) -> datetime | None:
    """Make the guild's pending digest the one its setting owes next; return its moment.

    None is owed at or before `after` (a change of setting: now; a digest just handled:
    its moment), nor at or before a digest already posted or being posted, nor more than
    12 hours before `now` (a longer outage skips the weeks it missed), nor before the
    setting was made.
    """
    setting = await digests.digest_setting(tx, guild_id)
    if setting is None:
        skipped = await digests.skip_waiting(tx, guild_id, "digest turned off")
        if skipped:
            log.info("guild %s turned its digest off", guild_id)
        return None
    guild = await settings.guild_settings(tx, guild_id)
    posted = await digests.latest_posted(tx, guild_id)
    floor = max(m for m in (setting.since, after, now - CATCH_UP, posted) if m is not None)
    moment = next_digest_at(setting.weekday, setting.at, guild.timezone, floor)
    keep = await digests.owe(tx, guild_id, setting.channel_id, moment, now)
    await digests.skip_waiting(tx, guild_id, "digest setting changed", keep=keep)
    return moment


class DigestService:
    """`/settings digest`: where and when the weekly digest goes, or that it is off."""

    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def set(
        self,
        guild_id: int,
        channel_id: int | None,
        day: Weekday | None = None,
        typed_time: str | None = None,
    ) -> DigestPlan:
        """Set the digest (no channel: off) and owe its next post in the same transaction."""
        at = parse_time(typed_time)
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            zone = (await settings.guild_settings(tx, guild_id)).timezone
            setting = None
            if channel_id is None:
                await digests.remove_setting(tx, guild_id)
            else:
                weekday = DEFAULT_DAY if day is None else day
                setting = DigestSetting(guild_id, channel_id, weekday, at, since=now)
                await digests.save_setting(tx, setting, now)
            next_at = await plan_next(tx, guild_id, now, after=now)
        log.info("guild %s set its digest: %s, next %s", guild_id, setting, next_at)
        return DigestPlan(setting, next_at, zone)

    async def view(self, guild_id: int) -> DigestPlan:
        async with self._changes.read() as tx:
            zone = (await settings.guild_settings(tx, guild_id)).timezone
            setting = await digests.digest_setting(tx, guild_id)
            waiting = await digests.waiting(tx, guild_id) if setting is not None else []
            failure = await digests.latest_failure(tx, guild_id) if setting is not None else None
        return DigestPlan(setting, waiting[0].due_at if waiting else None, zone, failure)
