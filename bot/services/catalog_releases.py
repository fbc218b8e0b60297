"""How what AniList says of a show's schedule becomes its catalog releases.

Pure bookkeeping inside a catalog transaction: each function stores changes and returns
the ids of the releases it changed, for the caller to reconcile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from bot.domain import dates
from bot.domain.catalog import Airing, CatalogMedia
from bot.domain.catalog_view import CATALOG_TIMEZONE, airing_time, episode_label, start_time
from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime
from bot.storage import catalog, releases
from bot.storage.catalog import CatalogShow
from bot.storage.database import Transaction

TBA = ReleaseTime(None, Precision.TBA, CATALOG_TIMEZONE)
#: A release still to come (or delayed): what AniList's changes may move or cancel.
LIVE = (ReleaseStatus.SCHEDULED, ReleaseStatus.DELAYED)


async def place_airings(
    tx: Transaction,
    show: CatalogShow,
    of_show: dict[int | None, Release],
    airings: Sequence[Airing],
    now: datetime,
) -> list[int]:
    """Store these airings of a show: a new episode is a new release (already aired:
    released, owing nothing), a moved one a new revision; the show's one dated release
    takes its first airing and becomes exact, not moved if within its date. Return the
    ids of the releases changed."""
    changed: list[int] = []
    by_episode = {a.episode: a for a in sorted(airings, key=lambda a: a.episode)}
    dated = of_show.get(None)
    for episode, airing in by_episode.items():
        time = airing_time(airing.airing_at)
        release = of_show.get(episode)
        if release is None and dated is not None and _is_first_airing(dated, time, now):
            await catalog.set_episode(tx, dated.id, episode, episode_label(episode))
            release = replace(dated, episode=episode, label=episode_label(episode))
            of_show[episode], dated = release, None
            del of_show[None]
            changed.append(release.id)
        if release is None:
            aired = time.at is not None and time.at <= now
            status = ReleaseStatus.RELEASED if aired else ReleaseStatus.SCHEDULED
            release_id = await catalog.insert_release(
                tx, show.show, episode, episode_label(episode), time, status, now
            )
            changed.append(release_id)
            continue
        if release.status not in LIVE or release.time == time:
            continue
        if _past(release.time, now) and _past(time, now):
            continue  # an aired episode's time corrected: history, not a move
        moved = _moved(release, time)
        await releases.save_release(tx, moved, now)
        of_show[episode] = moved
        changed.append(release.id)
    return changed


def _is_first_airing(dated: Release, time: ReleaseTime, now: datetime) -> bool:
    """Whether the show's dated release is this airing: still to come (or within its
    date). One whose date passed is history: a later first airing is an episode of its own."""
    if dated.status not in LIVE:
        return False
    return not _past(dated.time, now) or not dates.moved_enough(dated.time, time)


def _past(time: ReleaseTime, now: datetime) -> bool:
    return time.at is not None and time.at <= now


def _later(old: ReleaseTime, new: ReleaseTime) -> bool:
    return old.at is None or (new.at is not None and new.at > old.at)


async def dated_release(
    tx: Transaction, show: CatalogShow, media: CatalogMedia, now: datetime
) -> int:
    """The one release of a show without airings, from its start date at its precision."""
    time = start_time(media.start_date)
    passed = time.at is not None and not time.ahead_of(now)
    status = ReleaseStatus.RELEASED if passed else ReleaseStatus.SCHEDULED
    return await catalog.insert_release(tx, show.show, None, None, time, status, now)


async def redate(
    tx: Transaction, of_show: dict[int | None, Release], media: CatalogMedia, now: datetime
) -> list[int]:
    """Move the show's dated release (no airing yet) to its start date as AniList says now."""
    release = of_show.get(None)
    if release is None or release.status not in LIVE:
        return []
    time = start_time(media.start_date)
    if time == release.time or (_past(release.time, now) and _past(time, now)):
        return []  # unchanged, or a past date corrected: history, not a move
    await releases.save_release(tx, _moved(release, time), now)
    return [release.id]


def _moved(release: Release, time: ReleaseTime) -> Release:
    """The release at a new time: a new revision, delayed when it moved later enough to
    be told (a date that only gains its time is not delayed)."""
    later = dates.moved_enough(release.time, time) and _later(release.time, time)
    return replace(
        release,
        time=time,
        revision=release.revision + 1,
        status=ReleaseStatus.DELAYED if later else ReleaseStatus.SCHEDULED,
    )


async def cancel(tx: Transaction, of_show: Iterable[Release], now: datetime) -> list[int]:
    """Cancel a show's pending releases: TBA, a new revision, cancelled. Episodes that
    already aired are history: they stay as they are (no notice of a cancellation)."""
    changed = []
    for release in of_show:
        if release.status not in LIVE or _past(release.time, now):
            continue
        cancelled = replace(
            release, time=TBA, revision=release.revision + 1, status=ReleaseStatus.CANCELLED
        )
        await releases.save_release(tx, cancelled, now)
        changed.append(release.id)
    return changed
