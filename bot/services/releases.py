"""Adding, editing, removing and looking up releases, and scheduling what they owe."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain import audience, dates, text, when
from bot.domain.errors import InvalidInput, ReadOnly
from bot.domain.models import (
    DeliveryKind,
    DeliveryStatus,
    GuildSettings,
    Release,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
)
from bot.domain.owed import Owed
from bot.services import reconcile
from bot.services.changes import Changes
from bot.services.references import resolve_release
from bot.services.seen import seen_releases
from bot.storage import deliveries, follows, releases, search, settings, shows
from bot.storage.database import Transaction

log = logging.getLogger(__name__)

#: How far back `/upcoming` still lists a `day` release whose midnight has passed.
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
    #: Channels owed a reminder or the announcement (the announcement channel, follows).
    channel_ids: tuple[int, ...] = ()
    #: Members owed them by DM.
    dm_count: int = 0
    #: Targets already sent a message about the release (or with one in flight), that get
    #: a notice of its move.
    notices_planned: int = 0
    #: Whether any channel hears about the release: the announcement channel, or a follow.
    heard: bool = True


@dataclass(frozen=True, slots=True)
class Upcoming:
    """What `/upcoming` shows: the soonest releases, and whether the window holds more."""

    releases: list[Release]
    more: bool = False


class ReleaseService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def add(self, guild_id: int, draft: ReleaseDraft) -> ScheduleResult:
        """Validate and store a new release, with every message it owes."""
        now = self._changes.now()
        title = text.clean_title(draft.title)
        label = text.clean_label(draft.label)
        description = text.clean_description(draft.description)
        image = text.clean_url(draft.image, what="image")
        link = text.clean_url(draft.link, what="link")
        async with self._changes.guild(guild_id) as tx:
            guild = await settings.guild_settings(tx, guild_id)
            time = when.parse_schedule(
                draft.when, zone=draft.timezone, default_zone=guild.timezone, now=now
            )
            named = await shows.shows_titled(tx, guild_id, title)
            if named and all(s.guild_id is None for s in named):
                raise ReadOnly(
                    f"{text.quote(title)} is a show this server follows from AniList, which "
                    "keeps its dates: releases cannot be added to it here. Pick another title "
                    "for a show of your own."
                )
            show = await shows.find_or_create_show(tx, guild_id, title, now)
            show = replace(
                show,
                description=description or show.description,
                image_url=image or show.image_url,
                link=link or show.link,
            )
            await shows.update_show(tx, show)
            release = await releases.insert_release(tx, show, label, time, now)
            result = await self._reconcile(tx, release, guild, now, "release added")
        log.info("guild %s added release %s", guild_id, release.id)
        return result

    async def edit(self, guild_id: int, reference: str, changes: ReleaseChanges) -> ScheduleResult:
        """Apply changes; a new time is a new revision with a notice to those already told."""
        now = self._changes.now()
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
        async with self._changes.guild(guild_id) as tx:
            guild = await settings.guild_settings(tx, guild_id)
            release = _own(await resolve_release(tx, guild_id, reference))
            show = release.show
            if title is not None and await shows.title_taken(tx, guild_id, title, show.id):
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
            await shows.update_show(tx, show)
            updated = replace(
                release, show=show, label=label if label is not None else release.label
            )
            moved = False
            if changes.when is not None:
                time = when.parse_schedule(
                    changes.when, zone=changes.timezone, default_zone=guild.timezone, now=now
                )
                if time != release.time:
                    updated = updated.moved_to(time)
                    moved = True
            await releases.save_release(tx, updated, now)
            result = await self._reconcile(
                tx, updated, guild, now, "release edited", was=release.time if moved else None
            )
        return result

    async def remove(self, guild_id: int, reference: str) -> Release:
        """Cancel a release silently: it leaves listings and nothing more is posted."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            release = _own(await resolve_release(tx, guild_id, reference))
            await releases.set_status(tx, release.id, ReleaseStatus.CANCELLED)
            await reconcile.reconcile_releases(
                tx, [release.id], now, self._changes.notice_debounce, reason="release removed"
            )
        return replace(release, status=ReleaseStatus.CANCELLED)

    async def get(self, guild_id: int, reference: str) -> Release:
        """The release an option names, as the guild sees it (a catalog one: in its title
        language, at the time it is told here)."""
        async with self._changes.read() as tx:
            release = await resolve_release(tx, guild_id, reference)
            guild = await settings.guild_settings(tx, guild_id)
            return (await seen_releases(tx, guild, [release]))[0]

    async def suggest(self, guild_id: int, typed: str) -> list[Release]:
        """Return up to 25 releases whose title contains what the user typed so far."""
        async with self._changes.read() as tx:
            typed = typed.strip()[:100]
            found = await search.search_releases(tx, guild_id, typed, self._changes.now())
            guild = await settings.guild_settings(tx, guild_id)
            return await seen_releases(tx, guild, found)

    async def upcoming(self, guild_id: int, within: timedelta) -> Upcoming:
        """Return the soonest `MAX_UPCOMING` releases still ahead, and whether there are more."""
        now = self._changes.now()
        async with self._changes.read() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            ahead = await releases.upcoming_releases(
                tx, guild_id, now, now + within, MAX_UPCOMING + 1, guild.delay_after
            )
            ahead = await seen_releases(tx, guild, ahead)
        return Upcoming(ahead[:MAX_UPCOMING], more=len(ahead) > MAX_UPCOMING)

    async def _reconcile(
        self,
        tx: Transaction,
        release: Release,
        guild: GuildSettings,
        now: datetime,
        reason: str,
        *,
        was: ReleaseTime | None = None,
    ) -> ScheduleResult:
        """Make the release's outbox rows what it owes now; say what it owes.

        `was`: the release's time before this change, when the change moved it.
        """
        planned = await reconcile.reconcile_releases(
            tx, [release.id], now, self._changes.notice_debounce, reason=reason
        )
        working = guild.channel_id is not None and guild.channel_disabled_reason is None
        heard = working or any(
            audience.covers(follow, release)
            for follow in await follows.guild_follows(tx, guild.guild_id)
        )
        told = {p.key.target_id for p in planned if p.key.kind is DeliveryKind.NOTICE}
        if was is not None and dates.moved_enough(was, release.time):
            # A message Discord may have taken but the engine has not recorded yet: once
            # it is recorded, its target is owed a notice too.
            rows = await deliveries.rows_of_releases(tx, [release.id])
            told |= {k.target_id for k, r in rows.items() if r.status is DeliveryStatus.SENDING}
        return _result(
            release, guild, planned, heard=heard, moved=was is not None, notices=len(told)
        )


def _own(release: Release) -> Release:
    """The release, if the guild may change it: catalog releases are AniList's."""
    if release.is_catalog:
        raise ReadOnly(
            f"{text.quote(release.display_title)} comes from AniList, which keeps its dates "
            "for every server: it cannot be edited or removed here. To stop hearing about "
            "it, `/unfollow` its show."
        )
    return release


def _result(
    release: Release,
    guild: GuildSettings,
    planned: list[Owed],
    *,
    heard: bool,
    moved: bool,
    notices: int,
) -> ScheduleResult:
    reminders = {p.key.offset_seconds for p in planned if p.key.kind is DeliveryKind.REMINDER}
    posts = [p.key for p in planned if p.key.kind is not DeliveryKind.NOTICE]
    channels = [k.target_id for k in posts if k.target_kind is TargetKind.CHANNEL]
    return ScheduleResult(
        release=release,
        settings=guild,
        reminders_planned=len(reminders),
        announcement_planned=any(p.key.kind is DeliveryKind.ANNOUNCEMENT for p in planned),
        channel_ids=tuple(dict.fromkeys(channels)),
        dm_count=len({k.target_id for k in posts if k.target_kind is TargetKind.USER}),
        moved=moved,
        notices_planned=notices,
        heard=heard,
    )
