"""Adding, editing, removing and looking up releases, and scheduling what they owe."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import text, when
from bot.domain.errors import InvalidInput
from bot.domain.models import (
    DeliveryKind,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
)
from bot.domain.owed import Owed
from bot.services import reconcile
from bot.services.references import resolve_release
from bot.storage import releases, settings
from bot.storage.database import Database, Transaction

log = logging.getLogger(__name__)

#: How far back `/upcoming` still lists a `day` release whose midnight has passed.
TODAY_WINDOW = timedelta(days=1)
MAX_UPCOMING = 100


@dataclass(frozen=True, slots=True)
class ReleaseDraft:
    """What a moderator typed into `/release add`, unvalidated."""

    title: str
    when: str
    label: str | None = None
    timezone: str | None = None
    description: str | None = None
    image: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseChanges:
    """What a moderator typed into `/release edit`; None leaves a field as it is."""

    when: str | None = None
    timezone: str | None = None
    title: str | None = None
    label: str | None = None
    description: str | None = None
    image: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    release: Release
    settings: GuildSettings
    reminders_planned: int
    announcement_planned: bool
    moved: bool = False


class ReleaseService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        wake_dispatcher: Callable[[int], None],
        notice_debounce: timedelta,
    ) -> None:
        self._database = database
        self._clock = clock
        self._wake = wake_dispatcher
        self._notice_debounce = notice_debounce

    async def add(self, guild_id: int, draft: ReleaseDraft) -> ScheduleResult:
        """Validate and store a new release, with every message it owes."""
        now = self._clock()
        title = text.clean_title(draft.title)
        label = text.clean_label(draft.label)
        description = text.clean_description(draft.description)
        image = text.clean_url(draft.image, what="image")
        link = text.clean_url(draft.link, what="link")
        async with self._database.transaction() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            time = _parse_time(draft.when, draft.timezone, guild.timezone, now)
            show = await releases.find_or_create_show(tx, guild_id, title, now)
            show = replace(
                show,
                description=description or show.description,
                image_url=image or show.image_url,
                link=link or show.link,
            )
            await releases.update_show(tx, show)
            release = await releases.insert_release(tx, show, label, time, now)
            planned = await self._reconcile(tx, release, now, "release added")
        self._wake(guild_id)
        log.info("guild %s added release %s", guild_id, release.id)
        return _result(release, guild, planned)

    async def edit(self, guild_id: int, reference: str, changes: ReleaseChanges) -> ScheduleResult:
        """Apply changes; a new time is a new revision with a notice to those already told."""
        now = self._clock()
        title = None if changes.title is None else text.clean_title(changes.title)
        label = None if changes.label is None else text.clean_label(changes.label)
        description = (
            None if changes.description is None else text.clean_description(changes.description)
        )
        image = None if changes.image is None else text.clean_url(changes.image, what="image")
        link = None if changes.link is None else text.clean_url(changes.link, what="link")
        if changes.timezone is not None and changes.when is None:
            raise InvalidInput(
                "`timezone` only says how to read `when`. Type the new time in `when` too, "
                "like `2024-07-03 23:00`."
            )
        async with self._database.transaction() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            release = await resolve_release(tx, guild_id, reference)
            show = release.show
            if title is not None and await releases.title_taken(tx, guild_id, title, show.id):
                raise InvalidInput(
                    f"Another show is already called {text.quote(title)}. "
                    "Pick a different title, or edit that show's releases instead."
                )
            show = replace(
                show,
                title=title or show.title,
                description=description or show.description,
                image_url=image or show.image_url,
                link=link or show.link,
            )
            await releases.update_show(tx, show)
            updated = replace(
                release, show=show, label=label if label is not None else release.label
            )
            moved = False
            if changes.when is not None:
                time = _parse_time(changes.when, changes.timezone, guild.timezone, now)
                if time != release.time:
                    updated = _moved(updated, time)
                    moved = True
            await releases.save_release(tx, updated, now)
            planned = await self._reconcile(tx, updated, now, "release edited")
        self._wake(guild_id)
        return replace(_result(updated, guild, planned), moved=moved)

    async def remove(self, guild_id: int, reference: str) -> Release:
        """Cancel a release silently: it leaves listings and nothing more is posted."""
        now = self._clock()
        async with self._database.transaction() as tx:
            release = await resolve_release(tx, guild_id, reference)
            await releases.set_status(tx, release.id, ReleaseStatus.CANCELLED)
            await self._reconcile(tx, release, now, "release removed")
        self._wake(guild_id)
        return replace(release, status=ReleaseStatus.CANCELLED)

    async def get(self, guild_id: int, reference: str) -> Release:
        async with self._database.snapshot() as tx:
            return await resolve_release(tx, guild_id, reference)

    async def suggest(self, guild_id: int, typed: str) -> list[Release]:
        """Return up to 25 releases whose title contains what the user typed so far."""
        async with self._database.snapshot() as tx:
            return await releases.search_releases(tx, guild_id, typed.strip()[:100], self._clock())

    async def upcoming(self, guild_id: int, within: timedelta) -> list[Release]:
        now = self._clock()
        async with self._database.snapshot() as tx:
            found = await releases.upcoming_releases(
                tx, guild_id, now - TODAY_WINDOW, now + within, MAX_UPCOMING
            )
        return [release for release in found if _still_ahead(release, now)]

    async def _reconcile(
        self, tx: Transaction, release: Release, now: datetime, reason: str
    ) -> list[Owed]:
        """Make the release's outbox rows what it owes now; return what it owes."""
        return await reconcile.reconcile_releases(
            tx, [release.id], now, self._notice_debounce, reason=reason
        )


def _parse_time(typed: str, zone: str | None, default_zone: str, now: datetime) -> ReleaseTime:
    zone_name = None if zone is None else when.validate_zone(zone)
    time = when.parse_when(typed, zone=zone_name, default_zone=default_zone, now=now)
    if time.at is not None and time.precision.is_scheduled and not _period_ahead(time, now):
        raise InvalidInput(
            f"{text.quote(typed)} is in the past. Type a time still ahead, like `in 2h` "
            "or a date to come."
        )
    return time


def _period_ahead(time: ReleaseTime, now: datetime) -> bool:
    """A day counts until it is over; an exact moment until it passes."""
    assert time.at is not None
    if time.precision is Precision.DAY:
        return time.at + timedelta(days=1) > now
    return time.at > now


def _still_ahead(release: Release, now: datetime) -> bool:
    return release.time.at is not None and _period_ahead(release.time, now)


def _moved(release: Release, time: ReleaseTime) -> Release:
    later = release.time.at is not None and time.at is not None and time.at > release.time.at
    status = ReleaseStatus.DELAYED if later else ReleaseStatus.SCHEDULED
    return replace(release, time=time, revision=release.revision + 1, status=status)


def _result(release: Release, guild: GuildSettings, planned: list[Owed]) -> ScheduleResult:
    reminders = {p.key.offset_seconds for p in planned if p.key.kind is DeliveryKind.REMINDER}
    return ScheduleResult(
        release=release,
        settings=guild,
        reminders_planned=len(reminders),
        announcement_planned=any(p.key.kind is DeliveryKind.ANNOUNCEMENT for p in planned),
    )
