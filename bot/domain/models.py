"""The values Airdate works with: shows, releases, guild settings and deliveries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from bot.domain.catalog import TitleLanguage


class Precision(StrEnum):
    """How precisely a release date is known."""

    EXACT = "exact"
    DAY = "day"
    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    TBA = "tba"

    @property
    def is_scheduled(self) -> bool:
        """Only exact moments and whole days get reminders and announcements."""
        return self in (Precision.EXACT, Precision.DAY)


class ReleaseStatus(StrEnum):
    SCHEDULED = "scheduled"
    DELAYED = "delayed"
    RELEASED = "released"
    CANCELLED = "cancelled"


class DeliveryKind(StrEnum):
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"
    NOTICE = "notice"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


def require_aware(moment: datetime) -> datetime:
    """Return `moment`, refusing a naive datetime: every time here is UTC-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment


@dataclass(frozen=True, slots=True)
class ReleaseTime:
    """When a release happens, as precisely as known.

    `at` is the start of the period in `timezone` (midnight of the day, the first of the
    month, ...) as an aware UTC datetime; it is None only for TBA.
    """

    at: datetime | None
    precision: Precision
    timezone: str

    def __post_init__(self) -> None:
        if self.at is not None:
            require_aware(self.at)
        if (self.at is None) != (self.precision is Precision.TBA):
            raise ValueError("a release time has a moment unless it is TBA")

    def ahead_of(self, now: datetime) -> bool:
        """Whether it is still to come: a day until it is over, anything else dated until
        its moment passes, TBA never. (`/upcoming`'s query says the same in SQL.)"""
        if self.at is None:
            return False
        if self.precision is Precision.DAY:
            return self.at + timedelta(days=1) > now
        return self.at > now


@dataclass(frozen=True, slots=True)
class Show:
    id: int
    guild_id: int | None
    title: str
    description: str | None = None
    image_url: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    show: Show
    label: str | None
    time: ReleaseTime
    status: ReleaseStatus
    revision: int
    #: A catalog release's AniList episode (None: a guild's release, or a catalog show's
    #: one release dated from its start date).
    episode: int | None = None
    #: A catalog release that is its show's last episode (the count known from AniList).
    finale: bool = False

    @property
    def is_catalog(self) -> bool:
        """Whether it belongs to the shared catalog (read-only to guilds)."""
        return self.show.guild_id is None

    @property
    def premiere(self) -> bool:
        """A catalog release that is its show's first episode (or its only, dated one)."""
        return self.is_catalog and (self.episode is None or self.episode == 1)

    @property
    def display_title(self) -> str:
        """'Show — Label', or the show's title alone."""
        if self.label:
            return f"{self.show.title} — {self.label}"
        return self.show.title

    def moved_to(self, time: ReleaseTime) -> Release:
        """The release at a new time: a new revision, delayed if later, else scheduled."""
        later = self.time.at is not None and time.at is not None and time.at > self.time.at
        status = ReleaseStatus.DELAYED if later else ReleaseStatus.SCHEDULED
        return replace(self, time=time, revision=self.revision + 1, status=status)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    channel_id: int | None = None
    role_id: int | None = None
    offsets: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1), timedelta(hours=1))
    timezone: str = "UTC"
    channel_disabled_reason: str | None = None
    removed: bool = False
    #: Since when the announcement channel has been this channel.
    channel_since: datetime | None = None
    #: The announcement channel before this one (it moved at `channel_since`), and since
    #: when that one was: the new channel inherits what the previous was still owed.
    previous_channel_id: int | None = None
    previous_channel_since: datetime | None = None
    #: When the reminder offsets last changed.
    offsets_since: datetime | None = None
    #: When the bot last (re)joined the guild.
    present_since: datetime | None = None
    #: Which title of catalog shows this guild reads.
    title_language: TitleLanguage = TitleLanguage.ROMAJI
    #: How long after AniList's airing time this guild's catalog messages are due.
    delay_after: timedelta = timedelta(0)


class TargetKind(StrEnum):
    """Where a delivery goes: a guild channel, or a member's DMs."""

    CHANNEL = "channel"
    USER = "user"


class Via(StrEnum):
    """How a member hears about a show they subscribed to."""

    ROLE = "role"
    DM = "dm"


class DeliveryKey(NamedTuple):
    """What makes a delivery unique: one message owed to one target.

    Channel and user ids are both Discord snowflakes, unique across kinds, so the target
    kind travels beside the key rather than in it. A named tuple rather than a dataclass:
    a reconcile hashes and compares hundreds of thousands of keys, and a tuple does that
    in C.
    """

    release_id: int
    kind: DeliveryKind
    offset_seconds: int
    revision: int
    target_id: int
    target_kind: TargetKind = TargetKind.CHANNEL


@dataclass(frozen=True, slots=True)
class Follow:
    """A channel following one show (or every show, `show_id` None), maybe pinging a role."""

    id: int
    guild_id: int
    channel_id: int
    show_id: int | None
    role_id: int | None = None
    episodes: bool = True
    disabled_reason: str | None = None
    show_title: str | None = None
    #: When the follow was made or last enabled again.
    since: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_reason is None


@dataclass(frozen=True, slots=True)
class Subscription:
    guild_id: int
    user_id: int
    show_id: int
    via: Via
    show_title: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    key: DeliveryKey
    guild_id: int
    due_at: datetime
    status: DeliveryStatus
    attempts: int = 0
    lease_until: datetime | None = None
    message_id: int | None = None
    late: bool = False
    old_at: datetime | None = None
