"""Keep the outbox in step with releases, settings, follows and subscriptions.

Every change that alters who is owed what calls one of these inside its transaction; each
makes a release's pending reminders and announcement exactly what its audience is owed
from now on, so undoing a follow cancels only what it alone was owed.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.audience import channel_audiences
from bot.domain.models import Release, TargetKind
from bot.domain.planning import PlannedDelivery, owed_deliveries
from bot.storage import deliveries, follows, releases, settings
from bot.storage.database import Transaction


async def owed_for_release(
    tx: Transaction, release: Release, now: datetime
) -> list[PlannedDelivery]:
    """Return every reminder and announcement the release owes its audience from `now` on."""
    guild_id = release.show.guild_id
    if guild_id is None or not release.time.precision.is_scheduled:
        return []
    guild = await settings.guild_settings(tx, guild_id)
    if guild.removed:
        return []
    covering = await follows.follows_covering_show(tx, guild_id, release.show.id)
    targets = [
        (audience.channel_id, TargetKind.CHANNEL)
        for audience in channel_audiences(release, guild, covering)
    ]
    targets += [
        (user_id, TargetKind.USER)
        for user_id in await follows.dm_subscribers(tx, guild_id, release.show.id)
    ]
    planned: list[PlannedDelivery] = []
    for target_id, target_kind in targets:
        planned += owed_deliveries(
            release_id=release.id,
            time=release.time,
            revision=release.revision,
            target_id=target_id,
            target_kind=target_kind,
            offsets=guild.offsets,
            now=now,
        )
    return planned


async def replan_release(tx: Transaction, release: Release, now: datetime) -> list[PlannedDelivery]:
    planned = await owed_for_release(tx, release, now)
    guild_id = release.show.guild_id
    if guild_id is not None:
        await deliveries.replace_planned(tx, guild_id, release.id, planned, now)
    return planned


async def replan_guild(
    tx: Transaction, guild_id: int, now: datetime, show_id: int | None = None
) -> None:
    """Replan the guild's scheduled releases (of one show, or all of them)."""
    for release in await releases.scheduled_releases(tx, guild_id, now):
        if show_id is None or release.show.id == show_id:
            await replan_release(tx, release, now)
