"""The schedule page's releases: the 14 days from the start of today, and what each shows.

The page is rendered in UTC (its days are UTC days) and a script in the reader's browser
moves each release to the reader's own day. Readers' zones run from UTC-12 to UTC+14, so
the page carries the releases of one day more either side for the script to place; a
reader without the script sees the UTC days only.

Cancelled releases are left out, as from every listing (`/upcoming`): the page is read
afresh each time, so unlike a calendar app nobody needs telling that one is gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Precision, Release, ReleaseStatus, require_aware

#: How many days the page shows, today included.
DAYS = 14
#: How far beyond its UTC days the page reaches, for readers in other zones.
MARGIN = timedelta(days=1)

#: "Episode 1", "Ep. 01", "#1": a show's first episode (as `audience` reads labels).
_FIRST_EPISODE = re.compile(r"^\s*(?:episode|ep\.?|#)\s*0*1\b(?!\.\d)", re.IGNORECASE)
#: "Premiere", "Season 2 premiere", "Season 2" (not "Season 2 finale"): a show or season
#: begins.
_PREMIERE = re.compile(r"\bpremiere\b|^\s*season\b(?!.*\b(?:finale|final|last)\b)", re.IGNORECASE)
_FINALE = re.compile(r"\bfinale\b|\bfinal episode\b|\blast episode\b", re.IGNORECASE)


def is_premiere(release: Release) -> bool:
    """A first episode, a season or a premiere: AniList says so for a catalog release,
    the label for a guild's own."""
    if release.is_catalog:
        return release.premiere
    label = release.label or ""
    return bool(_FIRST_EPISODE.match(label) or _PREMIERE.search(label))


def is_finale(release: Release) -> bool:
    """A show's last episode: AniList's count, or a label that says finale."""
    return release.finale or bool(release.label and _FINALE.search(release.label))


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One release on the page, as the guild sees it.

    `at` is an aware UTC moment for an exact release, a date for a `day` release (shown
    on that date wherever the reader is, as calendar apps show all-day events).
    """

    release_id: int
    title: str
    label: str | None
    at: datetime | date
    premiere: bool = False
    finale: bool = False
    cover_url: str | None = None
    link: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.at, datetime):
            require_aware(self.at)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.at, datetime)

    @property
    def utc_day(self) -> date:
        """The UTC day it is listed under without the script."""
        return self.at.astimezone(UTC).date() if isinstance(self.at, datetime) else self.at

    @property
    def sort_key(self) -> tuple[date, int, datetime, int]:
        moment = (
            self.at if isinstance(self.at, datetime) else datetime.combine(self.at, time(), UTC)
        )
        return (self.utc_day, 1 if isinstance(self.at, datetime) else 0, moment, self.release_id)


def schedule_entry(release: Release) -> ScheduleEntry | None:
    """The release on the page, or None: only exact and `day` releases have a place, and
    cancelled ones none."""
    at = release.time.at
    when: datetime | date
    if at is None or release.status is ReleaseStatus.CANCELLED:
        return None
    if release.time.precision is Precision.EXACT:
        when = at.astimezone(UTC)
    elif release.time.precision is Precision.DAY:
        when = at.astimezone(ZoneInfo(release.time.timezone)).date()
    else:
        return None
    return ScheduleEntry(
        release_id=release.id,
        title=release.show.title,
        label=release.label or None,
        at=when,
        premiere=is_premiere(release),
        finale=is_finale(release),
        cover_url=release.show.image_url or None,
        link=release.show.link or None,
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    """A guild's page at one moment: its UTC days, and its releases soonest first
    (reaching `MARGIN` beyond the days each way)."""

    today: date
    entries: tuple[ScheduleEntry, ...]

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.today + timedelta(days=n) for n in range(DAYS))

    def on(self, day: date) -> list[ScheduleEntry]:
        """The releases listed under this UTC day, all-day ones first, then by time."""
        return sorted((e for e in self.entries if e.utc_day == day), key=lambda e: e.sort_key)

    @property
    def beyond(self) -> list[ScheduleEntry]:
        """The releases outside the UTC days, for readers in other zones."""
        days = set(self.days)
        return sorted((e for e in self.entries if e.utc_day not in days), key=lambda e: e.sort_key)


def reach(now: datetime) -> tuple[datetime, datetime]:
    """The moments a page read at `now` needs releases between (ends included)."""
    start = datetime.combine(require_aware(now).astimezone(UTC).date(), time(), UTC)
    return start - MARGIN, start + timedelta(days=DAYS) + MARGIN


def schedule(releases: Iterable[Release], now: datetime) -> Schedule:
    """The page of these releases (as the guild sees them) read at `now`."""
    low, high = reach(now)
    first, last = low.date(), (high - timedelta(days=1)).date()
    entries = []
    for release in releases:
        entry = schedule_entry(release)
        if entry is None:
            continue
        if isinstance(entry.at, datetime):
            if not low <= entry.at < high:
                continue
        elif not first <= entry.at <= last:
            continue
        entries.append(entry)
    entries.sort(key=lambda entry: entry.sort_key)
    return Schedule(now.astimezone(UTC).date(), tuple(entries))
