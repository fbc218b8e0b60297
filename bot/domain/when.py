"""Reading the `when` and `timezone` options into a ReleaseTime."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain.durations import parse_duration
from bot.domain.errors import InvalidInput
from bot.domain.models import Precision, ReleaseTime, require_aware
from bot.domain.text import quote

WHEN_MAX = 100
FIRST_YEAR = 1970
LAST_YEAR = 2100

WHEN_HINT = "Type a date like `2024-07-03 23:00`, `2024-07`, `Summer 2024` or `in 2h`."
ZONE_HINT = "Pick one from the list, like `Asia/Tokyo` or `UTC`."
RELATIVE_HINT = "Type a time from now like `in 45s`, `in 10m`, `in 2h` or `in 3d`."

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Anime seasons follow the broadcast quarters: Winter starts in January.
SEASON_START_MONTHS = {"Winter": 1, "Spring": 4, "Summer": 7, "Fall": 10}

POPULAR_ZONES = (
    "UTC",
    "Asia/Tokyo",
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "America/Denver",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Moscow",
    "Australia/Sydney",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Manila",
    "Asia/Singapore",
    "Asia/Jakarta",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Toronto",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Argentina/Buenos_Aires",
    "Asia/Bangkok",
)

_MONTH_NAMES = {
    **{name.lower(): number for number, name in enumerate(MONTHS, start=1)},
    **{name[:3].lower(): number for number, name in enumerate(MONTHS, start=1)},
    "sept": 9,
}
_SEASON_NAMES = {
    **{name.lower(): month for name, month in SEASON_START_MONTHS.items()},
    "autumn": 10,
}
_PRIMARY_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)

_DATE_TIME = re.compile(
    r"""
    (?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:
        [ t](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})
        (?::(?P<second>[0-9]{2})(?:\.[0-9]{1,6})?)?
        (?P<zone>.*)
    )?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_YEAR_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})")
_YEAR = re.compile(r"[0-9]{4}")
_NAMED_PERIOD = re.compile(r"(?P<name>[^\W\d_]+)\.? (?P<year>[0-9]{4})")
_RELATIVE = re.compile(r"in (?P<amount>.+)", re.IGNORECASE)
_OFFSET = re.compile(
    r"(?:utc|gmt)? ?(?P<sign>[-+\u2212])(?P<hours>[0-9]{1,2})(?::?(?P<minutes>[0-9]{2}))?",
    re.IGNORECASE,
)
_TWELVE_HOUR = re.compile(r"[ap]\.?m\.?", re.IGNORECASE)
_TBA = frozenset({"tba", "tbd"})
# Abbreviations anime schedules use that name one zone without daylight saving.
_ABBREVIATIONS = {"jst": "Asia/Tokyo", "kst": "Asia/Seoul"}


def parse_when(text: str, *, zone: str | None, default_zone: str, now: datetime) -> ReleaseTime:
    """Read a `when` option into a ReleaseTime.

    Dates are read in `zone` (the command's `timezone` option), else in `default_zone`
    (the guild's). A local time skipped by a daylight-saving change is refused; a local
    time that happens twice (clocks going back) means the first of the two. Hours 24 to
    29 are the early hours of the next day, as broadcasters write them (`25:15`).

    A time written with an offset (`Z`, `+09:00`) keeps an IANA zone for display: the
    guild's zone when its offset at that moment is the one written, else `UTC`. A time
    written with a zone name (`2024-07-03 23:00 Asia/Tokyo`, or `JST`) keeps that zone.

    The moment is truncated to whole seconds. Whether it is in the past is not checked.
    """
    now = require_aware(now).astimezone(UTC)
    read_zone = validate_zone(zone) if zone is not None else validate_zone(default_zone)
    when = _normalise(text)
    lowered = when.lower()

    if lowered in _TBA:
        return ReleaseTime(at=None, precision=Precision.TBA, timezone=read_zone)
    if relative := _RELATIVE.fullmatch(when):
        duration = parse_duration(relative["amount"], hint=RELATIVE_HINT)
        at = now.replace(microsecond=0) + duration
        return ReleaseTime(at=at, precision=Precision.EXACT, timezone=read_zone)
    if match := _DATE_TIME.fullmatch(when):
        return _read_date_time(when, match, zone_option=zone, read_zone=read_zone)
    if match := _YEAR_MONTH.fullmatch(when):
        year = _check_year(when, int(match["year"]))
        month = _check_month(when, int(match["month"]))
        return _period(year, month, Precision.MONTH, read_zone)
    if match := _NAMED_PERIOD.fullmatch(when):
        year = _check_year(when, int(match["year"]))
        name = match["name"].lower()
        if name in _MONTH_NAMES:
            return _period(year, _MONTH_NAMES[name], Precision.MONTH, read_zone)
        if name in _SEASON_NAMES:
            return _period(year, _SEASON_NAMES[name], Precision.SEASON, read_zone)
        raise InvalidInput(
            f"{quote(match['name'])} is not a month or a season. "
            "Type one like `July 2024`, `Jul 2024` or `Summer 2024`."
        )
    if _YEAR.fullmatch(when):
        year = _check_year(when, int(when))
        return _period(year, 1, Precision.YEAR, read_zone)
    raise InvalidInput(f"{quote(when)} is not a date I can read. {WHEN_HINT}")


def parse_schedule(text: str, *, zone: str | None, default_zone: str, now: datetime) -> ReleaseTime:
    """Read a release's new time (`zone` an IANA name typed beside it, if any); a time
    Airdate would schedule (exact or a day) must still be ahead."""
    zone_name = None if zone is None else validate_zone(zone)
    time = parse_when(text, zone=zone_name, default_zone=default_zone, now=now)
    if time.precision.is_scheduled and not time.ahead_of(now):
        raise InvalidInput(
            f"{quote(text)} is in the past. Type a time still ahead, like `in 2h` "
            "or a date to come."
        )
    return time


def validate_zone(name: str) -> str:
    """Return the IANA time zone `name` spelled as tzdata spells it, or refuse it."""
    key = name.strip().replace(" ", "_").lower()
    canonical = _zones_by_key().get(key)
    if canonical is None:
        raise InvalidInput(f"{quote(name)} is not a time zone. {ZONE_HINT}")
    return canonical


def search_zones(prefix: str, limit: int = 25) -> list[str]:
    """Return time zones matching what was typed so far, best first, for autocomplete.

    Zones whose city starts with the query come first, then zones whose name does, then
    those containing it anywhere; popular zones and current names (not legacy aliases
    such as `US/Eastern`) first within each group. An empty query gives popular zones.
    """
    if limit <= 0:
        return []
    query = prefix.strip().replace(" ", "_").lower()
    if not query:
        return [name for name in POPULAR_ZONES if name in _all_zones()][:limit]
    ranked = []
    for name in _all_zones():
        rank = _match_rank(name.lower(), query)
        if rank is not None:
            ranked.append((rank, _zone_order(name), name))
    ranked.sort()
    return [name for _, _, name in ranked[:limit]]


@dataclass(frozen=True, slots=True)
class _Written:
    """A time zone typed inside `when`: a zone for reading the time, and one to keep."""

    reading: tzinfo
    name: str | None


def _read_date_time(
    when: str, match: re.Match[str], *, zone_option: str | None, read_zone: str
) -> ReleaseTime:
    year = _check_year(when, int(match["year"]))
    month = _check_month(when, int(match["month"]))
    day = int(match["day"])
    if not 1 <= day <= _days_in(year, month):
        raise InvalidInput(
            f"{quote(when)} is not a date: {MONTHS[month - 1]} {year} has "
            f"{_days_in(year, month)} days. {WHEN_HINT}"
        )
    if match["hour"] is None:
        return _period(year, month, Precision.DAY, read_zone, day=day)

    local_time, extra_days = _check_time(when, match)
    local = datetime.combine(date(year, month, day) + timedelta(days=extra_days), local_time)
    zone_text = match["zone"].strip()
    if not zone_text:
        return _exact(when, local, ZoneInfo(read_zone), read_zone)
    if _TWELVE_HOUR.fullmatch(zone_text):
        raise InvalidInput(
            f"{quote(zone_text)} is a 12-hour clock; write hours from 00 to 23 instead, "
            "like `2024-07-03 23:00`."
        )
    if zone_option is not None:
        raise InvalidInput(
            "Give the time zone once: either in `when`, like `2024-07-03 23:00 +09:00`, "
            "or in the `timezone` option."
        )
    written = _written_zone(zone_text)
    if written.name is not None:
        return _exact(when, local, written.reading, written.name)
    typed = local.replace(tzinfo=written.reading)
    at = typed.astimezone(UTC)
    keep = _keep_zone(at, typed.utcoffset(), read_zone)
    return ReleaseTime(at=at, precision=Precision.EXACT, timezone=keep)


def _exact(when: str, local: datetime, zone: tzinfo, zone_name: str) -> ReleaseTime:
    at = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    back = at.astimezone(zone).replace(tzinfo=None)
    if back != local:
        raise InvalidInput(
            f"{quote(when)} does not exist in {zone_name}: the clocks skip that time for "
            f"daylight saving. Type a time outside the gap, like "
            f"`{back:%Y-%m-%d %H:%M}`."
        )
    return ReleaseTime(at=at, precision=Precision.EXACT, timezone=zone_name)


def _period(
    year: int, month: int, precision: Precision, zone_name: str, *, day: int = 1
) -> ReleaseTime:
    # Where a daylight-saving change skips midnight, fold=0 lands on the first moment
    # that exists, which is when the day begins there.
    local = datetime(year, month, day, tzinfo=ZoneInfo(zone_name), fold=0)
    return ReleaseTime(at=local.astimezone(UTC), precision=precision, timezone=zone_name)


def _check_time(when: str, match: re.Match[str]) -> tuple[time, int]:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    if hour > 29:
        problem = "hours go from 00 to 29 (24 to 29 are the early hours of the next day)"
    elif minute > 59:
        problem = "minutes go from 00 to 59"
    elif second > 59:
        problem = "seconds go from 00 to 59"
    else:
        return time(hour % 24, minute, second), hour // 24
    raise InvalidInput(f"{quote(when)} is not a time: {problem}. {WHEN_HINT}")


def _check_year(when: str, year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"{quote(when)} is out of range: years go from {FIRST_YEAR} to {LAST_YEAR}. {WHEN_HINT}"
        )
    return year


def _check_month(when: str, month: int) -> int:
    if not 1 <= month <= 12:
        raise InvalidInput(f"{quote(when)} is not a date: months go from 01 to 12. {WHEN_HINT}")
    return month


def _days_in(year: int, month: int) -> int:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - timedelta(days=1)).day


def _written_zone(text: str) -> _Written:
    if text.lower() == "z":
        return _Written(reading=UTC, name=None)
    if offset := _OFFSET.fullmatch(text):
        hours, minutes = int(offset["hours"]), int(offset["minutes"] or 0)
        if hours > 14 or minutes > 59:
            raise InvalidInput(
                f"{quote(text)} is not a UTC offset. "
                "Write offsets like `+09:00` or `-05:00`, or use the `timezone` option."
            )
        sign = -1 if offset["sign"] in "-\u2212" else 1
        return _Written(reading=timezone(sign * timedelta(hours=hours, minutes=minutes)), name=None)
    if text.lower() in _ABBREVIATIONS:
        name = _ABBREVIATIONS[text.lower()]
        return _Written(reading=ZoneInfo(name), name=name)
    try:
        name = validate_zone(text)
    except InvalidInput:
        raise InvalidInput(
            f"{quote(text)} is not a time zone. "
            "Write an offset like `+09:00`, a zone like `Asia/Tokyo`, or use the `timezone` option."
        ) from None
    return _Written(reading=ZoneInfo(name), name=name)


def _keep_zone(at: datetime, written_offset: timedelta | None, default_zone: str) -> str:
    """Return the zone to keep for a moment typed with an offset (see `parse_when`)."""
    if at.astimezone(ZoneInfo(default_zone)).utcoffset() == written_offset:
        return default_zone
    return "UTC"


def _normalise(text: str) -> str:
    when = " ".join(text.split())
    if not when:
        raise InvalidInput(f"The time is empty. {WHEN_HINT}")
    if len(when) > WHEN_MAX:
        raise InvalidInput(
            f"A time can be at most {WHEN_MAX} characters; yours has {len(when)}. {WHEN_HINT}"
        )
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in when):
        raise InvalidInput(f"The time contains control characters. {WHEN_HINT}")
    return when


@cache
def _all_zones() -> frozenset[str]:
    return frozenset(name for name in available_timezones() if name != "Factory")


@cache
def _zones_by_key() -> dict[str, str]:
    return {name.lower(): name for name in _all_zones()}


def _match_rank(name: str, query: str) -> int | None:
    city = name.rsplit("/", 1)[-1]
    if name == query or city == query:
        return 0
    if city.startswith(query):
        return 1
    if name.startswith(query):
        return 2
    if any(part.startswith(query) for part in name.split("/")):
        return 3
    if query in name:
        return 4
    return None


def _zone_order(name: str) -> tuple[int, int]:
    popular = POPULAR_ZONES.index(name) if name in POPULAR_ZONES else len(POPULAR_ZONES)
    current = 0 if name == "UTC" or name.split("/", 1)[0] in _PRIMARY_AREAS else 1
    return (popular, current)
