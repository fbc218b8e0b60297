"""The shared AniList catalog: importing and following shows, and applying what a sync read.

`bot.anilist` fetches; this stores. Each call is one transaction that stores what AniList
said and reconciles what every guild following the show is owed, so a sync interrupted
between calls loses and doubles nothing: applying the same answer again changes nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain import text
from bot.domain.catalog import Airing, CatalogMedia, MediaStatus, TitleLanguage
from bot.domain.catalog_view import CatalogView
from bot.domain.errors import AdultContent
from bot.domain.models import Precision, Release, ReleaseStatus, Show
from bot.domain.owed import ANNOUNCEMENT_CATCH_UP
from bot.services import reconcile
from bot.services.catalog_releases import LIVE, TBA, cancel, dated_release, place_airings, redate
from bot.services.changes import Changes
from bot.services.seen import seen_releases, seen_show
from bot.storage import catalog, follows, releases, settings
from bot.storage.catalog import CatalogShow
from bot.storage.database import Transaction

log = logging.getLogger(__name__)


class FollowStatus(StrEnum):
    FOLLOWED = "followed"
    ALREADY_FOLLOWED = "already followed"
    #: No announcement channel is set and no channel was given: nothing changed.
    NO_CHANNEL = "no channel"


@dataclass(frozen=True, slots=True)
class CatalogFollow:
    """What `follow` did: the show and its next release as the guild sees them."""

    status: FollowStatus
    show: Show | None = None
    channel_id: int | None = None
    next_release: Release | None = None


class CatalogService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def shows_to_sync(self, now: datetime) -> list[int]:
        """AniList ids some guild follows that are neither finished nor cancelled."""
        async with self._changes.read() as tx:
            return await catalog.synced_anilist_ids(tx)

    async def apply_media(self, media: Sequence[CatalogMedia], now: datetime) -> None:
        """Store what AniList says of shows already in the catalog. A cancelled show
        cancels its pending releases (one notice to those already told); a finished one
        stops syncing. A new episode count moves the finale."""
        async with self._changes.guilds() as (tx, touched):
            # Read set-wise (a sync sends 50 shows a call) and write only what changed:
            # most syncs find most shows as they were.
            stored = await catalog.shows_by_anilist_ids(tx, [m.anilist_id for m in media])
            show_ids = [show.show.id for show in stored.values()]
            known = await catalog.media_of(tx, show_ids)
            releases_of = await catalog.releases_of_shows(tx, show_ids)
            changed: list[int] = []
            unchanged: list[int] = []
            for item in media:
                before = stored.get(item.anilist_id)
                if before is None:
                    continue
                old = known.get(before.show.id)
                of_show = releases_of[before.show.id]
                if item == old:
                    unchanged.append(before.show.id)
                else:
                    await catalog.save_media(tx, item, now)
                changed += await redate(tx, of_show, item, now)
                if item.status is MediaStatus.CANCELLED and before.status is not item.status:
                    changed += await cancel(tx, of_show.values(), now)
                    log.info("AniList cancelled %s: its releases are cancelled", item.anilist_id)
                if old is not None and old.episodes != item.episodes:
                    changed += [r.id for r in of_show.values() if r.status in LIVE]
            if unchanged:
                await catalog.mark_synced(tx, unchanged, now)
            await self._reconcile(tx, touched, changed, now)

    async def apply_airings(
        self,
        anilist_ids: Sequence[int],
        airings: Sequence[Airing],
        window_end: datetime,
        now: datetime,
    ) -> list[tuple[int, int]]:
        """Apply the airing schedule read for these shows up to `window_end`: new episodes
        are scheduled, moved ones move. Return (AniList id, episode) of the scheduled
        releases in the window that are no longer in it (to be checked once more); of a
        show that just finished, those ahead beyond the window too."""
        by_show: dict[int, list[Airing]] = defaultdict(list)
        for airing in airings:
            by_show[airing.anilist_id].append(airing)
        vanished: list[tuple[int, int]] = []
        async with self._changes.guilds() as (tx, touched):
            stored = await catalog.shows_by_anilist_ids(tx, anilist_ids)
            releases_of = await catalog.releases_of_shows(tx, [s.show.id for s in stored.values()])
            changed: list[int] = []
            for anilist_id in sorted(stored):
                show = stored[anilist_id]
                of_show = releases_of[show.show.id]
                changed += await place_airings(tx, show, of_show, by_show.get(anilist_id, ()), now)
                present = {a.episode for a in by_show.get(anilist_id, ())}
                vanished += [
                    (anilist_id, r.episode)
                    for r in of_show.values()
                    if r.episode is not None
                    and r.episode not in present
                    and r.status in LIVE
                    and r.time.precision is Precision.EXACT
                    and r.time.at is not None
                    and now < r.time.at
                    # A finished show is not synced again: whatever of it AniList no
                    # longer lists is checked now, however far ahead.
                    and (r.time.at <= window_end or show.sync_ended)
                ]
            await self._reconcile(tx, touched, changed, now)
        return sorted(vanished)

    async def confirm_vanished(
        self, anilist_id: int, episode: int, airings_of_show: Sequence[Airing], now: datetime
    ) -> None:
        """Check a vanished airing against the show's own schedule: found, it is placed
        (moved or kept); still absent, it is delayed to TBA with one notice to those told."""
        async with self._changes.guilds() as (tx, touched):
            show = (await catalog.shows_by_anilist_ids(tx, [anilist_id])).get(anilist_id)
            if show is None:
                return
            of_show = await catalog.show_releases(tx, show.show.id)
            found = [a for a in airings_of_show if a.episode == episode]
            release = of_show.get(episode)
            if found:
                changed = await place_airings(tx, show, of_show, found, now)
            elif release is not None and release.status in LIVE and release.time.at is not None:
                delayed = replace(
                    release, time=TBA, revision=release.revision + 1, status=ReleaseStatus.DELAYED
                )
                await releases.save_release(tx, delayed, now)
                log.info("AniList dropped %s episode %s: date TBA", anilist_id, episode)
                changed = [release.id]
            else:
                changed = []
            await self._reconcile(tx, touched, changed, now)

    async def follow(
        self,
        guild_id: int,
        media: CatalogMedia,
        airings: Sequence[Airing],
        channel_id: int | None,
        role_id: int | None,
        episodes: bool,
        now: datetime,
    ) -> CatalogFollow:
        """Import (or refresh) a show with its releases, and have a channel follow it: the
        one given, else the announcement channel (a by-name follow, like `/follow`)."""
        if media.is_adult:
            raise AdultContent(
                f"{text.quote(media.titles.pick(TitleLanguage.ROMAJI))} is adult (18+) "
                "content on AniList: Airdate does not follow it."
            )
        async with self._changes.guilds() as (tx, touched):
            guild = await settings.guild_settings(tx, guild_id)
            working = guild.channel_id if guild.channel_disabled_reason is None else None
            channel = channel_id if channel_id is not None else working
            if channel is None:
                return CatalogFollow(FollowStatus.NO_CHANNEL)
            known = (await catalog.shows_by_anilist_ids(tx, [media.anilist_id])).get(
                media.anilist_id
            )
            following = None if known is None else await _following(tx, guild_id, known.show.id)
            if known is not None and following and (channel_id is None or channel in following):
                # Without a channel, any follow of the show here is the follow asked for.
                where = channel if channel in following else following[0]
                return await _outcome(
                    tx, FollowStatus.ALREADY_FOLLOWED, guild_id, known, where, now
                )
            show = await catalog.save_media(tx, media, now)
            of_show = await catalog.show_releases(tx, show.show.id)
            changed = await place_airings(tx, show, of_show, airings, now)
            if not of_show and not airings:
                changed.append(await dated_release(tx, show, media, now))
            else:
                changed += await redate(tx, of_show, media, now)
            if media.status is MediaStatus.CANCELLED:
                # Not synced again: what AniList cancelled is never owed.
                placed = await catalog.show_releases(tx, show.show.id)
                changed += await cancel(tx, placed.values(), now)
            await follows.save_follow(
                tx,
                guild_id=guild_id,
                channel_id=channel,
                show_id=show.show.id,
                role_id=role_id,
                episodes=episodes,
                now=now,
            )
            live = await releases.catalog_live_release_ids(
                tx, [show.show.id], now - ANNOUNCEMENT_CATCH_UP
            )
            await self._reconcile(tx, touched, [*changed, *live], now, reason="catalog follow")
            log.info("guild %s follows AniList %s in %s", guild_id, media.anilist_id, channel)
            return await _outcome(tx, FollowStatus.FOLLOWED, guild_id, show, channel, now)

    async def search(self, text: str) -> list[CatalogMedia]:
        """Shows already in the catalog whose titles contain `text` (autocomplete)."""
        async with self._changes.read() as tx:
            return await catalog.search_media(tx, text)

    async def view(self, release_id: int, guild_id: int) -> CatalogView | None:
        """What messages about a catalog release show in a guild (None: not a catalog one)."""
        async with self._changes.read() as tx:
            return await catalog.catalog_view(tx, release_id, guild_id)

    async def _reconcile(
        self,
        tx: Transaction,
        touched: set[int],
        release_ids: Sequence[int],
        now: datetime,
        *,
        reason: str = "AniList sync",
    ) -> None:
        if not release_ids:
            return
        await reconcile.reconcile_releases(
            tx, release_ids, now, self._changes.notice_debounce, reason=reason
        )
        found = await releases.releases_by_ids(tx, release_ids)
        seeing = await catalog.guilds_seeing(tx, {r.show.id for r in found.values()})
        touched.update(g for guilds in seeing.values() for g in guilds)


async def _following(tx: Transaction, guild_id: int, show_id: int) -> list[int]:
    """The guild's channels that follow the show by name."""
    return [f.channel_id for f in await follows.guild_follows(tx, guild_id) if f.show_id == show_id]


async def _outcome(
    tx: Transaction,
    status: FollowStatus,
    guild_id: int,
    show: CatalogShow,
    channel_id: int,
    now: datetime,
) -> CatalogFollow:
    guild = await settings.guild_settings(tx, guild_id)
    of_show = await catalog.show_releases(tx, show.show.id)
    ahead = [
        r
        for r in await seen_releases(tx, guild, list(of_show.values()))
        if r.status in LIVE and r.time.ahead_of(now)
    ]
    ahead.sort(key=lambda r: (r.time.at, r.id))
    return CatalogFollow(
        status,
        show=await seen_show(tx, guild, show.show),
        channel_id=channel_id,
        next_release=ahead[0] if ahead else None,
    )
