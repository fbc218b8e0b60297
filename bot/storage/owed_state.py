"""Reading what `owed` needs: releases with their audiences, and what Discord accepted."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.domain.audience import DmSubscriber, release_targets
from bot.domain.models import (
    DeliveryKind,
    Follow,
    GuildSettings,
    Precision,
    Release,
    ReleaseTime,
    TargetKind,
)
from bot.domain.owed import ReleaseState, Sent
from bot.storage import follows, releases, settings
from bot.storage.convert import from_epoch, maybe_datetime
from bot.storage.database import Transaction


async def release_states(
    tx: Transaction,
    release_ids: Iterable[int],
    notice_debounce: timedelta,
    *,
    target: tuple[int, TargetKind] | None = None,
) -> dict[int, ReleaseState]:
    """Return each release as it is now with its audience (only `target`, if given).

    Reads each guild's settings, follows and DM subscribers once, however many of its
    releases are asked for.
    """
    found = await releases.releases_by_ids(tx, release_ids)
    revised = await releases.revised_at(tx, found)
    by_guild: dict[int, list[Release]] = defaultdict(list)
    for release in found.values():
        if release.show.guild_id is not None:
            by_guild[release.show.guild_id].append(release)
    states: dict[int, ReleaseState] = {}
    for guild_id, guild_releases in by_guild.items():
        guild = await settings.guild_settings(tx, guild_id)
        guild_follows, subscribers = await _audience(tx, guild, target, guild_releases)
        for release in guild_releases:
            targets = release_targets(
                release, guild, guild_follows, subscribers.get(release.show.id, ())
            )
            if target is not None:
                targets = tuple(t for t in targets if (t.id, t.kind) == target)
            states[release.id] = ReleaseState(
                release=release,
                targets=targets,
                offsets=guild.offsets,
                revised_at=revised[release.id],
                offsets_since=guild.offsets_since,
                notice_due_at=revised[release.id] + notice_debounce,
            )
    return states


async def _audience(
    tx: Transaction,
    guild: GuildSettings,
    target: tuple[int, TargetKind] | None,
    guild_releases: Sequence[Release],
) -> tuple[list[Follow], dict[int, list[DmSubscriber]]]:
    """Read the follows and DM subscribers that may cover these releases."""
    if target is not None and target[1] is TargetKind.CHANNEL:
        return (await follows.follows_of_channels(tx, [target[0]]))[target[0]], {}
    guild_follows = await follows.guild_follows(tx, guild.guild_id)
    show_ids = {release.show.id for release in guild_releases}
    subscribers = await follows.dm_subscribers_of_shows(tx, guild.guild_id, show_ids)
    if target is not None:
        guild_follows = []
        subscribers = {
            show: [s for s in subs if s.user_id == target[0]] for show, subs in subscribers.items()
        }
    return guild_follows, subscribers


async def history(
    tx: Transaction, release_ids: Iterable[int], *, target_id: int | None = None
) -> dict[int, list[Sent]]:
    """Return, per release, what Discord accepted about it (to `target_id` only, if given)."""
    wanted = json.dumps(sorted(set(release_ids)))
    rows = await tx.fetchall(
        """
        SELECT release_id, target_id, kind, offset_seconds, about_starts_at, about_precision,
               about_timezone, sent_at
        FROM deliveries
        WHERE release_id IN (SELECT value FROM json_each(?)) AND status = 'sent'
          AND (? IS NULL OR target_id = ?)
        """,
        (wanted, target_id, target_id),
    )
    found: dict[int, list[Sent]] = defaultdict(list)
    for row in rows:
        about = ReleaseTime(
            at=maybe_datetime(row["about_starts_at"]),
            precision=Precision(row["about_precision"] or "tba"),
            timezone=row["about_timezone"] or "UTC",
        )
        found[row["release_id"]].append(
            Sent(
                target_id=row["target_id"],
                kind=DeliveryKind(row["kind"]),
                offset_seconds=row["offset_seconds"],
                about=about,
                sent_at=from_epoch(row["sent_at"] or 0),
            )
        )
    return found
