"""Calendars as iCalendar (RFC 5545) text, written by the `icalendar` library.

Each event is rendered once per version (`render_event`, handed to the calendar service)
and kept; a calendar is icalendar's VCALENDAR with those VEVENTs in it, exactly what
`Calendar.add_component` would give, without rendering every event again.

An event is written property by property as icalendar writes a component: each value
encoded by icalendar's own property type (`vText` escaping, `vDatetime` and `vDDDTypes`
dates and times, `vInt`, `vUri`), its parameters by icalendar's `Parameters`, the line folded by
icalendar's `Contentline`, in the order of `Event.canonical_order`. This skips what
`Event.new(...).to_ical()` spends on building a component only to take it apart again
(its typed setters and per-line objects, about 0.2 ms an event), and the lines events
share (a show's synopsis and link, a stamp, a status) are written once. The bytes are
`Event.new`'s, which `render_event_with_component` still is and the tests compare with.

icalendar 7 traps avoided here (see the calendar reference): `Calendar.new` would add a
random UID and `Event.new` a DTSTAMP of now (both would change the bytes on every build),
REFRESH-INTERVAL needs `VALUE=DURATION` spelled out, and X-PUBLISHED-TTL must be a
`vDuration` or it is written as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from icalendar import STATUS, TRANSP, Calendar, Event, Parameters, vDuration
from icalendar.caselessdict import canonsort_keys
from icalendar.parser import Contentline
from icalendar.prop import vDatetime, vText

from bot.domain.calendar import CalendarEvent

PRODID = "-//Airdate//Airdate release calendar//EN"
#: How often calendar apps are asked to fetch the feed again (a suggested minimum).
REFRESH_INTERVAL = timedelta(hours=1)
_END = b"END:VCALENDAR\r\n"
#: A content line of this many octets or more is folded (RFC 5545: lines SHOULD NOT be
#: longer than 75 octets); icalendar folds before the 75th.
_FOLD_AT = 75
#: The properties an event may have, in the order icalendar writes them.
_ORDER = tuple(
    canonsort_keys(
        [
            "SUMMARY",
            "DTSTART",
            "DTEND",
            "DTSTAMP",
            "UID",
            "SEQUENCE",
            "DESCRIPTION",
            "LAST-MODIFIED",
            "STATUS",
            "TRANSP",
            "URL",
        ],
        Event.canonical_order,
    )
)
#: Distinct shared lines kept, and stamps (a synopsis is a few KB: a few MB at most).
_SHARED_LINES = 1024


class _Property(Protocol):
    """An icalendar property value: it writes itself, and has its parameters."""

    params: Parameters

    def to_ical(self) -> bytes: ...


def _line(name: str, value: _Property) -> str:
    """The property's content line as a component writes it (`NAME;PARAMS:VALUE`), folded
    by icalendar's `Contentline` when it is 75 octets or longer."""
    params = value.params.to_ical().decode() if value.params else ""
    return _folded(f"{name};{params}:" if params else f"{name}:", value.to_ical().decode())


def _folded(head: str, value: str) -> str:
    line = head + value
    if len(line.encode()) < _FOLD_AT:
        return line
    folded: bytes = Contentline(line).to_ical()  # type: ignore[no-untyped-call]
    return folded.decode()


def _typed(name: str, value: object) -> _Property:
    """The value as the property type icalendar gives an event's `name`."""
    kind: type[_Property] = Event.types_factory.for_property(name)
    return kind(value)  # type: ignore[call-arg]  # each type takes its Python value


@lru_cache(maxsize=_SHARED_LINES)
def _shared_line(name: str, value: str | int | date) -> str:
    """A line many events share (a show's synopsis and link, a day, a status...), written
    once."""
    return _line(name, _typed(name, value))


@lru_cache(maxsize=_SHARED_LINES)
def _stamp_lines(changed_at: datetime) -> tuple[str, str]:
    """DTSTAMP and LAST-MODIFIED: the same UTC moment (the event's last change), written by
    `vDatetime` as `vDDDTypes` writes one."""
    value = vDatetime(changed_at)
    if value.params:
        return _line("DTSTAMP", value), _line("LAST-MODIFIED", value)
    text: bytes = value.to_ical()  # type: ignore[no-untyped-call]
    return _folded("DTSTAMP:", text.decode()), _folded("LAST-MODIFIED:", text.decode())


def _moment_line(name: str, moment: date | datetime) -> str:
    """A start or end: a UTC date-time (written by `vDatetime`, as `vDDDTypes` writes
    one), or a date (`VALUE=DATE`, shared by the day's all-day events)."""
    if isinstance(moment, datetime):
        return _line(name, vDatetime(moment))
    return _shared_line(name, moment)


def _is_utc(moment: date | datetime) -> bool:
    return not isinstance(moment, datetime) or moment.tzinfo is UTC


def forget_shared_lines() -> None:
    """Forget the lines written once for many events (the benchmark's first publication
    starts without them, as a new process does)."""
    _shared_line.cache_clear()
    _stamp_lines.cache_clear()


def render_event(event: CalendarEvent, uid: str) -> str:
    """One release's VEVENT: a UTC timed event, or an all-day one (exclusive end).

    The same text as `render_event_with_component`, about six times faster (see
    bench/RESULTS.md)."""
    content = event.content
    if not (_is_utc(content.start) and _is_utc(content.end) and _is_utc(event.changed_at)):
        # Not what the calendar service makes: left to icalendar's Event as a whole.
        return render_event_with_component(event, uid)
    stamp, last_modified = _stamp_lines(event.changed_at)
    lines = {
        "SUMMARY": _line("SUMMARY", vText(content.summary)),
        "DTSTART": _moment_line("DTSTART", content.start),
        "DTEND": _moment_line("DTEND", content.end),
        "DTSTAMP": stamp,
        "UID": _line("UID", vText(uid)),
        "SEQUENCE": _shared_line("SEQUENCE", event.sequence),
        "LAST-MODIFIED": last_modified,
        "STATUS": _shared_line("STATUS", _status(content.cancelled)),
        # A release does not make anyone busy.
        "TRANSP": _shared_line("TRANSP", TRANSP.TRANSPARENT),
    }
    if content.description is not None:
        lines["DESCRIPTION"] = _shared_line("DESCRIPTION", content.description)
    if content.url is not None:
        lines["URL"] = _shared_line("URL", content.url)
    body = "\r\n".join(filter(None, map(lines.get, _ORDER)))
    return f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n"


def _status(cancelled: bool) -> STATUS:
    return STATUS.CANCELLED if cancelled else STATUS.CONFIRMED


def render_event_with_component(event: CalendarEvent, uid: str) -> str:
    """The same VEVENT through a whole icalendar `Event` (slower: every line anew)."""
    content = event.content
    vevent = Event.new(
        uid=uid,
        summary=content.summary,
        start=content.start,
        end=content.end,
        sequence=event.sequence,
        stamp=event.changed_at,
        last_modified=event.changed_at,
        status=_status(content.cancelled),
        # A release does not make anyone busy.
        transparency=TRANSP.TRANSPARENT,
        description=content.description,
        url=content.url,
    )
    text: bytes = vevent.to_ical()
    return text.decode()


def calendar_head(name: str) -> Calendar:
    """The VCALENDAR with its name and refresh hints and no METHOD (a published feed)."""
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.calendar_name = name
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    return calendar


def calendar_bytes(name: str, events: Iterable[str]) -> bytes:
    """The whole calendar: its head, then each VEVENT as rendered by `render_event`."""
    head: bytes = calendar_head(name).to_ical()
    if not head.endswith(_END):
        raise AssertionError("icalendar ends a calendar with END:VCALENDAR")
    return b"".join([head[: -len(_END)], *(text.encode() for text in events), _END])
