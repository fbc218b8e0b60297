"""Showing release times, and telling whether a change of time is worth a notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Precision, ReleaseTime
from bot.domain.when import MONTHS, SEASON_START_MONTHS

NOTICE_THRESHOLD = timedelta(minutes=30)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COARSENESS = {
    Precision.EXACT: 0,
    Precision.DAY: 1,
    Precision.MONTH: 2,
    Precision.SEASON: 3,
    Precision.YEAR: 4,
    Precision.TBA: 5,
}
_MONTHS_IN = {Precision.MONTH: 1, Precision.SEASON: 3, Precision.YEAR: 12}


def display_when(time: ReleaseTime) -> str:
    """Return the time for a message: a Discord timestamp if exact, else the date as text.

    Non-exact dates are written as in the release's own zone: a timestamp would show
    readers west of it the day before.
    """
    if time.at is None:
        return "TBA"
    if time.precision is Precision.EXACT:
        return f"<t:{unix_seconds(time.at)}:F>"
    local = _local(time.at, time.timezone)
    if time.precision is Precision.DAY:
        return f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return _period_name(local, time.precision)


def display_relative(time: ReleaseTime) -> str | None:
    """Return a live countdown (`<t:UNIX:R>`) for exact and day releases, else None."""
    if time.at is None or not time.precision.is_scheduled:
        return None
    return f"<t:{unix_seconds(time.at)}:R>"


def short_when(time: ReleaseTime) -> str:
    """Return the time as plain text, for places without Discord markup (autocomplete).

    An exact time is written in its zone as `parse_when` reads it back:
    "2024-07-03 23:00 Asia/Tokyo".
    """
    if time.at is None:
        return "TBA"
    local = _local(time.at, time.timezone)
    if time.precision is Precision.EXACT:
        clock = "%H:%M:%S" if local.second else "%H:%M"
        return f"{local:%Y-%m-%d} {local.strftime(clock)} {time.timezone}"
    if time.precision is Precision.DAY:
        return f"{local:%Y-%m-%d}"
    return _period_name(local, time.precision)


def moved_enough(old: ReleaseTime, new: ReleaseTime) -> bool:
    """Tell whether a change of time deserves a date-change notice.

    A date becoming more precise within the period it already named (July -> 20 July,
    3 July -> 3 July 23:00) has not moved. Otherwise a release moves when it starts 30
    minutes or more earlier or later; becoming TBA counts, leaving TBA does not. A finer
    date that falls outside the old period counts once it is 30 minutes or more outside.
    """
    if new.at is None:
        return old.at is not None
    if old.at is None:
        return False
    if _COARSENESS[new.precision] < _COARSENESS[old.precision]:
        old_start, old_end = _period(old)
        new_start, new_end = _period(new)
        return new_start <= old_start - NOTICE_THRESHOLD or new_end >= old_end + NOTICE_THRESHOLD
    return abs(new.at - old.at) >= NOTICE_THRESHOLD


def unix_seconds(moment: datetime) -> int:
    """Return whole seconds since the epoch, rounded down."""
    return (moment - _EPOCH) // timedelta(seconds=1)


def _period(time: ReleaseTime) -> tuple[datetime, datetime]:
    """Return the UTC start and end of the period a dated release time names."""
    assert time.at is not None
    if time.precision is Precision.EXACT:
        return time.at, time.at
    zone = ZoneInfo(time.timezone)
    local = time.at.astimezone(zone)
    if time.precision is Precision.DAY:
        end_date = local.date() + timedelta(days=1)
        end = datetime(end_date.year, end_date.month, end_date.day, tzinfo=zone)
    else:
        months = local.year * 12 + local.month - 1 + _MONTHS_IN[time.precision]
        end = datetime(months // 12, months % 12 + 1, 1, tzinfo=zone)
    return time.at, end.astimezone(UTC)


def _period_name(local: datetime, precision: Precision) -> str:
    if precision is Precision.MONTH:
        return f"{MONTHS[local.month - 1]} {local.year}"
    if precision is Precision.SEASON:
        season = max(
            (name for name, month in SEASON_START_MONTHS.items() if month <= local.month),
            key=SEASON_START_MONTHS.__getitem__,
        )
        return f"{season} {local.year}"
    return str(local.year)


def _local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone_name))
