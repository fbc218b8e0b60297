"""Reading what `owed` needs: releases with their audiences, and what Discord accepted."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta

from bot.domain.audience import is_regular_episode, release_targets
from bot.domain.catalog_view import seen_release
from bot.domain.models import (
    DeliveryKind,
    Follow,
    GuildSettings,
    Precision,
    Release,
    ReleaseTime,
)
from bot.domain.owed import ReleaseState, Sent, Target
from bot.storage import catalog, follows, releases, settings, subscriptions
from bot.storage.convert import from_epoch, maybe_datetime
from bot.storage.database import Transaction


async def release_states(
    tx: Transaction,
    release_ids: Iterable[int],
    notice_debounce: timedelta,
    *,
    only: Mapping[int, Collection[int]] | None = None,
    guild_id: int | None = None,
) -> list[ReleaseState]:
    """Return each release as it is now with its audience: a guild's release once, a
    catalog release once per guild that sees it (one of its follows names the show), with
    that guild's audience, offsets, delay and title language.

    `only` maps a release to the target ids of interest (a claim checks just the rows it
    holds): its state then lists only those targets, and only their follows are looked
    at, so a release followed by thousands of channels costs what the claim holds. Each
    guild's settings, follows and DM subscribers are read once however many releases.
    `guild_id`: only that guild's audience (a change in one guild of catalog releases
    that thousands of guilds follow costs that guild's share).
    """
    found = await releases.releases_by_ids(tx, release_ids)
    revised = await releases.revised_at(tx, found)
    by_guild: dict[int, list[Release]] = defaultdict(list)
    catalog_shows = {r.show.id for r in found.values() if r.is_catalog}
    seeing = await catalog.guilds_seeing(tx, catalog_shows) if catalog_shows else {}
    titles = await catalog.titles_of(tx, catalog_shows) if catalog_shows else {}
    for release in found.values():
        if release.show.guild_id is not None:
            by_guild[release.show.guild_id].append(release)
        else:
            for seer in seeing.get(release.show.id, ()):
                by_guild[seer].append(release)
    if guild_id is not None:
        by_guild = {guild_id: by_guild[guild_id]} if guild_id in by_guild else {}
    states: list[ReleaseState] = []
    for guild_of, guild_releases in by_guild.items():
        guild = await settings.guild_settings(tx, guild_of)
        wanted_channels = (
            None if only is None else {t for r in guild_releases for t in only.get(r.id, ())}
        )
        channel_follows = await _follows_by_channel(
            tx, guild_of, _with_predecessor(wanted_channels, guild)
        )
        by_show: dict[int | None, list[Follow]] = defaultdict(list)
        for followed in channel_follows.values():
            for follow in followed:
                by_show[follow.show_id].append(follow)
        subscribers = await subscriptions.dm_subscribers_of_shows(
            tx, guild_of, {release.show.id for release in guild_releases}
        )
        # Who hears of a release depends on it only through its show and whether it is a
        # regular episode: releases alike share their targets (a guild has 10,000 releases
        # of a few hundred shows).
        audiences: dict[tuple[int, bool, bool, frozenset[int] | None], tuple[Target, ...]] = {}
        for release in guild_releases:
            wanted = None if only is None else frozenset(only.get(release.id, ()))
            # A finale (known from AniList) is covered where a regular episode is not.
            alike = (release.show.id, is_regular_episode(release.label), release.finale, wanted)
            targets = audiences.get(alike)
            if targets is None:
                related = _with_predecessor(None if wanted is None else set(wanted), guild)
                covering = [
                    f
                    for f in (*by_show.get(None, ()), *by_show.get(release.show.id, ()))
                    if related is None or f.channel_id in related
                ]
                targets = release_targets(
                    release, guild, covering, subscribers.get(release.show.id, ())
                )
                if wanted is not None:
                    targets = tuple(t for t in targets if t.id in wanted)
                audiences[alike] = targets
            titled = seen_release(
                release, titles.get(release.show.id), guild.title_language, timedelta(0)
            )
            states.append(
                ReleaseState(
                    release=titled,
                    targets=targets,
                    offsets=guild.offsets,
                    revised_at=revised[release.id],
                    offsets_since=guild.offsets_since,
                    notice_due_at=revised[release.id] + notice_debounce,
                    delay=guild.delay_after if release.is_catalog else timedelta(0),
                    guild_id=guild_of,
                )
            )
    return states


def _with_predecessor(channels: set[int] | None, guild: GuildSettings) -> set[int] | None:
    """These channels, and the announcement channel's predecessor when the announcement
    channel is among them: whether it takes over what that one was owed depends on what
    covers that one."""
    previous = guild.previous_channel_id
    if channels is None or previous is None or guild.channel_id not in channels:
        return channels
    return channels | {previous}


async def _follows_by_channel(
    tx: Transaction, guild_id: int, channels: Collection[int] | None
) -> dict[int, list[Follow]]:
    """The guild's follows by channel (of these channels only, if given)."""
    if channels is not None:
        # A catalog release's targets are read guild by guild: only this guild's follows.
        return {
            channel: [f for f in channel_follows if f.guild_id == guild_id]
            for channel, channel_follows in (
                await follows.follows_of_channels(tx, channels)
            ).items()
        }
    found: dict[int, list[Follow]] = defaultdict(list)
    for follow in await follows.guild_follows(tx, guild_id):
        found[follow.channel_id].append(follow)
    return found


async def history(
    tx: Transaction, release_ids: Iterable[int], *, target_ids: Collection[int] | None = None
) -> dict[int, list[Sent]]:
    """Return, per release, what Discord accepted about it (to these targets only, if given)."""
    wanted = json.dumps(sorted(set(release_ids)))
    targets = None if target_ids is None else json.dumps(sorted(set(target_ids)))
    rows = await tx.fetchall(
        """
        SELECT release_id, target_id, kind, offset_seconds, about_starts_at, about_precision,
               about_timezone, sent_at
        FROM deliveries
        WHERE release_id IN (SELECT value FROM json_each(?)) AND status = 'sent'
          AND (? IS NULL OR target_id IN (SELECT value FROM json_each(?)))
        """,
        (wanted, targets, targets),
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
