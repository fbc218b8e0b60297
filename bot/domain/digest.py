"""The weekly digest: when it is posted by the guild's clock, and what it lists.

A guild's digest is one message a week, at a day and local time in the guild's zone,
listing the releases it sees in the 7 days from that moment. Its moments follow the
zone's daylight saving: 09:00 Europe/London is 08:00 UTC in summer and 09:00 in winter.
A local time the clocks skip moves forward by the gap; one they repeat is the first.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidInput
from bot.domain.models import Precision, Release, ReleaseStatus, require_aware
from bot.domain.planning import NONCE_LENGTH
from bot.domain.schedule import is_finale, is_premiere
from bot.domain.text import quote

#: The digest lists the releases of a week of the guild's days from its moment.
WEEK = timedelta(days=7)
#: A digest more than this late (the bot was down) is skipped, not sent.
CATCH_UP = timedelta(hours=12)
DEFAULT_TIME = time(9, 0)

_TIME = re.compile(r"^(?P<hour>[01]?[0-9]|2[0-3]):(?P<minute>[0-5][0-9])$")


class Weekday(IntEnum):
    """A day of the week, numbered as `date.weekday()` numbers them."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @property
    def label(self) -> str:
        return self.name.title()


DEFAULT_DAY = Weekday.MONDAY


@dataclass(frozen=True, slots=True)
class DigestSetting:
    """Where and when a guild's weekly digest goes; moments before `since` are not owed."""

    guild_id: int
    channel_id: int
    weekday: Weekday
    at: time
    since: datetime


def parse_time(text: str | None) -> time:
    """Read `HH:MM` on the 24-hour clock (default 09:00)."""
    if text is None or not text.strip():
        return DEFAULT_TIME
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"{quote(text[:50])} is not a time of day. Type it as HH:MM on the 24-hour "
            "clock in this server's time zone, like `09:00` or `18:30`."
        )
    return time(int(match["hour"]), int(match["minute"]))


def local_moment(day: date, at: time, zone: str) -> datetime:
    """The UTC moment of `at` on `day` in `zone`.

    `fold=0`: a time the clocks skip is read with the offset before the change, which
    moves it forward by the gap (01:30 on a spring-forward night is 02:30); a time they
    repeat is its first occurrence.
    """
    local = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).replace(fold=0)
    return local.astimezone(UTC)


def next_digest_at(weekday: Weekday, at: time, zone: str, after: datetime) -> datetime:
    """The first digest moment strictly after `after`."""
    require_aware(after)
    # From the day before: a moment moved by a gap may fall on either side of midnight.
    first = after.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    for days in range(9):
        day = first + timedelta(days=days)
        if day.weekday() == weekday:
            moment = local_moment(day, at, zone)
            if moment > after:
                return moment
    raise AssertionError("a weekday comes round within nine days")


def week_end(start: datetime, zone: str) -> datetime:
    """The end of the week from `start`: the same local time 7 days on (168 hours, give or
    take a daylight-saving change), so one week's digest ends where the next one's begins."""
    local = require_aware(start).astimezone(ZoneInfo(zone))
    return local_moment(local.date() + WEEK, local.time(), zone)


def still_owed(setting: DigestSetting | None, channel_id: int, due_at: datetime, zone: str) -> bool:
    """Whether a digest claimed for this channel and moment is still what the setting asks
    for (it may have changed, or been turned off, since the digest was claimed)."""
    if setting is None or setting.channel_id != channel_id:
        return False
    due_at = require_aware(due_at)
    return (
        next_digest_at(setting.weekday, setting.at, zone, due_at - timedelta(seconds=1)) == due_at
    )


def digest_nonce(guild_id: int, channel_id: int, due_at: datetime) -> str:
    """The message nonce of one digest: its whole key, so a resend is the same message."""
    key = f"digest:{guild_id}:{channel_id}:{int(require_aware(due_at).timestamp())}"
    digest = hashlib.sha256(key.encode()).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:NONCE_LENGTH]


def release_mark(release: Release) -> str | None:
    """'finale', 'premiere' or None, by the schedule page's rule (a finale first: "Season 2
    finale" ends a season)."""
    if is_finale(release):
        return "finale"
    return "premiere" if is_premiere(release) else None


def listed(release: Release, start: datetime, end: datetime) -> bool:
    """Whether the digest of the week from `start` to `end` lists the release: an exact one
    in the window, a `day` one whose day is not over at `start` and begins before `end`
    (as `/upcoming` lists it); never a coarser or cancelled one."""
    time_ = release.time
    if release.status is ReleaseStatus.CANCELLED or time_.at is None:
        return False
    if time_.precision is Precision.EXACT:
        return start <= time_.at < end
    if time_.precision is Precision.DAY:
        return time_.at + timedelta(days=1) > start and time_.at < end
    return False


@dataclass(frozen=True, slots=True)
class DigestDay:
    """One day of the digest (in the guild's zone) and its releases, whole days first."""

    day: date
    releases: tuple[Release, ...]


def digest_days(releases: Iterable[Release], start: datetime, zone: str) -> list[DigestDay]:
    """Group the releases listed in the week from `start` by day, days in order.

    An exact release falls on its day in the guild's `zone`; a `day` release on its own
    date (in its own zone, where it was dated).
    """
    end = week_end(start, zone)
    guild_zone = ZoneInfo(zone)
    by_day: dict[date, list[Release]] = {}
    for release in releases:
        if not listed(release, start, end):
            continue
        at = release.time.at
        assert at is not None
        if release.time.precision is Precision.DAY:
            day = at.astimezone(ZoneInfo(release.time.timezone)).date()
        else:
            day = at.astimezone(guild_zone).date()
        by_day.setdefault(day, []).append(release)

    def order(release: Release) -> tuple[int, datetime, int]:
        assert release.time.at is not None
        whole_day = release.time.precision is Precision.DAY
        return (0 if whole_day else 1, release.time.at, release.id)

    return [DigestDay(day, tuple(sorted(by_day[day], key=order))) for day in sorted(by_day)]


def count_releases(days: Sequence[DigestDay]) -> int:
    return sum(len(day.releases) for day in days)


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest as it goes out: where, the week it covers, its days and its nonce."""

    guild_id: int
    channel_id: int
    #: The digest's moment: its week runs from here for 7 days.
    start: datetime
    #: The guild's zone, which its days are in.
    zone: str
    days: tuple[DigestDay, ...]
    nonce: str
