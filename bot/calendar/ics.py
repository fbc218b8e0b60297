"""Calendars as iCalendar (RFC 5545) text, written by the `icalendar` library.

Each event is rendered once per version (`render_event`, handed to the calendar service)
and kept; a calendar is icalendar's VCALENDAR with those VEVENTs in it, exactly what
`Calendar.add_component` would give, without rendering every event again.

icalendar 7 traps avoided here (see the calendar reference): `Calendar.new` would add a
random UID and `Event.new` a DTSTAMP of now (both would change the bytes on every build),
REFRESH-INTERVAL needs `VALUE=DURATION` spelled out, and X-PUBLISHED-TTL must be a
`vDuration` or it is written as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import STATUS, TRANSP, Calendar, Event, vDuration

from bot.domain.calendar import CalendarEvent

PRODID = "-//Airdate//Airdate release calendar//EN"
#: How often calendar apps are asked to fetch the feed again (a suggested minimum).
REFRESH_INTERVAL = timedelta(hours=1)
_END = b"END:VCALENDAR\r\n"


def render_event(event: CalendarEvent, uid: str) -> str:
    """One release's VEVENT: a UTC timed event, or an all-day one (exclusive end)."""
    content = event.content
    vevent = Event.new(
        uid=uid,
        summary=content.summary,
        start=content.start,
        end=content.end,
        sequence=event.sequence,
        stamp=event.changed_at,
        last_modified=event.changed_at,
        status=STATUS.CANCELLED if content.cancelled else STATUS.CONFIRMED,
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
