"""Releases as calendar events: what each event shows, which are in a feed, and versions.

A guild's calendar holds the releases it sees from 7 days ago to 365 days ahead: an exact
release is a timed event in UTC, a `day` release an all-day event (its end the next day,
exclusive), anything coarser is left out. A cancelled release stays, marked cancelled,
until its old date passes. Each event carries a version: SEQUENCE grows with every change
to what it shows, and DTSTAMP is when that change was first published, so the same data
always gives the same calendar.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Precision, Release, ReleaseStatus, require_aware

#: How far back and ahead a calendar reaches.
WINDOW_BEHIND = timedelta(days=7)
WINDOW_AHEAD = timedelta(days=365)
#: How long an exact release lasts when its episode's duration is unknown.
DEFAULT_DURATION = timedelta(minutes=30)
#: The most a guild's delay moves a catalog release: queries reach this much wider.
MAX_SHIFT = timedelta(days=1)


#: How a fingerprint's parts are written (`json.dumps(..., ensure_ascii=False)`, made once).
_FINGERPRINT_JSON = json.JSONEncoder(ensure_ascii=False)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


@dataclass(frozen=True, slots=True)
class EventContent:
    """What one release's event shows: its time, words, link and whether it is cancelled.

    `start` and `end` are aware UTC datetimes for a timed event, dates for an all-day one
    (`end` exclusive).
    """

    release_id: int
    show_id: int
    summary: str
    start: datetime | date
    end: datetime | date
    cancelled: bool = False
    description: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) != isinstance(self.end, datetime):
            raise ValueError("an event is timed or all-day at both ends")
        if isinstance(self.start, datetime):
            require_aware(self.start)
        if isinstance(self.end, datetime):
            require_aware(self.end)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def starts_at(self) -> datetime:
        """The start as a moment (an all-day event: midnight UTC of its day)."""
        return self.start if isinstance(self.start, datetime) else _midnight(self.start)

    @property
    def ends_at(self) -> datetime:
        return self.end if isinstance(self.end, datetime) else _midnight(self.end)

    @property
    def fingerprint(self) -> str:
        """A digest of everything the event shows (not its identity): equal when unchanged."""
        shown = [
            self.summary,
            self.start.isoformat(),
            self.end.isoformat(),
            self.cancelled,
            self.description,
            self.url,
        ]
        data = _FINGERPRINT_JSON.encode(shown).encode()
        return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class EventVersion:
    """An event as last published in a guild's calendar."""

    fingerprint: str
    #: RFC 5545's SEQUENCE: 0 when first published, one more with each change.
    sequence: int
    #: When that change was first published: DTSTAMP and LAST-MODIFIED.
    changed_at: datetime
    starts_at: datetime
    ends_at: datetime
    all_day: bool

    @property
    def start(self) -> datetime | date:
        return self.starts_at.date() if self.all_day else self.starts_at

    @property
    def end(self) -> datetime | date:
        return self.ends_at.date() if self.all_day else self.ends_at


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One VEVENT: what it shows and its version."""

    content: EventContent
    sequence: int
    changed_at: datetime

    @property
    def release_id(self) -> int:
        return self.content.release_id


def event_content(
    release: Release, duration: timedelta | None, previous: EventVersion | None
) -> EventContent | None:
    """The event of a release as the guild sees it (titled and timed for the guild), or
    None for a date coarser than a day. A cancelled release that lost its date keeps the
    time it was last published with."""
    at = release.time.at
    cancelled = release.status is ReleaseStatus.CANCELLED
    start: datetime | date
    end: datetime | date
    if at is not None and release.time.precision is Precision.EXACT:
        lasts = duration if duration and duration > timedelta(0) else DEFAULT_DURATION
        start, end = at, at + lasts
    elif at is not None and release.time.precision is Precision.DAY:
        start = at.astimezone(ZoneInfo(release.time.timezone)).date()
        end = start + timedelta(days=1)
    elif cancelled and previous is not None:
        start, end = previous.start, previous.end
    else:
        return None
    return EventContent(
        release_id=release.id,
        show_id=release.show.id,
        summary=release.display_title,
        start=start,
        end=end,
        cancelled=cancelled,
        description=release.show.description or None,
        url=release.show.link or None,
    )


def _gone_at(content: EventContent) -> datetime:
    """When a cancelled event's old date has passed: its moment, or its day's end."""
    return content.ends_at if content.all_day else content.starts_at


def in_calendar(content: EventContent, now: datetime) -> bool:
    """Whether the event belongs in a calendar read at `now`."""
    if content.cancelled:
        return _gone_at(content) > now
    return now - WINDOW_BEHIND <= content.starts_at <= now + WINDOW_AHEAD


def next_boundary(content: EventContent, now: datetime) -> datetime | None:
    """The first moment after `now` at which `in_calendar` may answer differently."""
    if content.cancelled:
        moments = [_gone_at(content)]
    else:
        moments = [
            content.starts_at - WINDOW_AHEAD,
            content.starts_at + WINDOW_BEHIND + timedelta(seconds=1),
        ]
    ahead = [moment for moment in moments if moment > now]
    return min(ahead) if ahead else None


def next_version(
    previous: EventVersion | None, content: EventContent, updated_at: datetime, now: datetime
) -> EventVersion:
    """The event's version once `content` is published at `now`.

    Unchanged content keeps its version. A change grows SEQUENCE and is dated when the
    release itself last changed if that is newer than the last version (an edit), else
    `now` (what changed lies outside the release: its show, the guild's title language or
    delay); never at or before the previous stamp, so DTSTAMP grows with SEQUENCE.
    """
    fingerprint = content.fingerprint
    if previous is not None and previous.fingerprint == fingerprint:
        return previous
    now = now.replace(microsecond=0)
    updated_at = min(updated_at.replace(microsecond=0), now)
    if previous is None:
        sequence, changed_at = 0, updated_at
    else:
        sequence = previous.sequence + 1
        changed_at = updated_at if updated_at > previous.changed_at else now
        changed_at = max(changed_at, previous.changed_at + timedelta(seconds=1))
    return EventVersion(
        fingerprint=fingerprint,
        sequence=sequence,
        changed_at=changed_at,
        starts_at=content.starts_at,
        ends_at=content.ends_at,
        all_day=content.all_day,
    )


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """Where a guild's live feed is read: https for Google, webcal for Apple and Outlook;
    and its schedule page, for a browser."""

    https: str
    webcal: str
    page: str


def feed_links(base_url: str, token: str) -> FeedLinks:
    """The links of a guild's feed under `base_url` (http or https, no trailing slash)."""
    page = f"{base_url.rstrip('/')}/c/{token}"
    https = f"{page}.ics"
    scheme, _, rest = https.partition("://")
    return FeedLinks(https=https, webcal=f"webcal://{rest}" if scheme else https, page=page)
