"""The VEVENT `render_event` writes line by line is the one a whole icalendar `Event`
writes (`Event.new(...).to_ical()`, what the feed was built with before), byte for byte,
for any event the calendar service can make: every kind of text (escapes, line breaks,
Japanese, emoji, folds falling on an escape), timed and all-day, cancelled, with and
without a synopsis and link, however the lines shared between events were met before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.calendar.ics import forget_shared_lines, render_event, render_event_with_component
from bot.domain.calendar import CalendarEvent, EventContent

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
# Every character but surrogates (which no text from Discord or AniList holds), with the
# ones iCalendar escapes or folds around drawn often.
TEXT = st.lists(
    st.one_of(
        st.sampled_from(["\\", ";", ",", "\n", "\r", "\r\n", "\\N", ":", '"', "^", " "]),
        st.sampled_from(["葬", "【", "—", "🎬", "é"]),
        st.characters(blacklist_categories=["Cs"]),
    ),
    max_size=120,
).map("".join)


def event(
    summary: str,
    start: date | datetime,
    end: date | datetime,
    *,
    cancelled: bool = False,
    description: str | None = None,
    url: str | None = None,
    sequence: int = 0,
    changed_at: datetime = datetime(2024, 7, 1, 9, 30, tzinfo=UTC),
) -> CalendarEvent:
    content = EventContent(7, 3, summary, start, end, cancelled, description, url)
    return CalendarEvent(content, sequence, changed_at)


def assert_same_text(calendar_event: CalendarEvent, uid: str = "release-7-abc@airdate") -> None:
    try:
        expected = render_event_with_component(calendar_event, uid)
    except ValueError as refused:  # a link with a line break: refused alike
        with pytest.raises(type(refused)):
            render_event(calendar_event, uid)
        return
    assert render_event(calendar_event, uid) == expected
    # Again, now that its shared lines are known.
    assert render_event(calendar_event, uid) == expected


@settings(max_examples=400, deadline=None)
@given(
    summary=TEXT,
    start=MOMENTS,
    lasts=st.integers(min_value=1, max_value=24 * 60),
    all_day=st.booleans(),
    cancelled=st.booleans(),
    description=st.none() | TEXT,
    url=st.none()
    | st.just("https://anilist.co/anime/166531")
    | TEXT.filter(lambda text: "\r" not in text and "\n" not in text),
    sequence=st.integers(min_value=0, max_value=10**6),
    changed_at=MOMENTS,
    uid=st.just("release-7-0123456789abcdef@airdate") | TEXT,
    forget=st.booleans(),
)
@example(
    summary="x" * 73 + "\\,;",
    start=datetime(2024, 7, 3, 14, tzinfo=UTC),
    lasts=24,
    all_day=False,
    cancelled=False,
    description=None,
    url=None,
    sequence=0,
    changed_at=datetime(2024, 7, 1, tzinfo=UTC),
    uid="u",
    forget=True,
)
def test_any_event_is_written_as_a_whole_icalendar_event_writes_it(
    summary: str,
    start: datetime,
    lasts: int,
    all_day: bool,
    cancelled: bool,
    description: str | None,
    url: str | None,
    sequence: int,
    changed_at: datetime,
    uid: str,
    forget: bool,
) -> None:
    if forget:
        forget_shared_lines()
    begins: date | datetime = start.date() if all_day else start
    ends = begins + timedelta(days=1) if all_day else start + timedelta(minutes=lasts)
    calendar_event = event(
        summary,
        begins,
        ends,
        cancelled=cancelled,
        description=description,
        url=url,
        sequence=sequence,
        changed_at=changed_at.replace(microsecond=0),
    )
    assert_same_text(calendar_event, uid)


def test_a_fold_falls_where_icalendar_folds_lines_of_every_length() -> None:
    # Lines of 50 to 160 octets of one-, two-, three- and four-octet characters, ending in
    # an escape or not: folded at the same octet, never inside a character or an escape.
    for filler in ("x", "é", "葬", "🎬"):
        for count in range(42 // len(filler.encode()), 152 // len(filler.encode())):
            for text in (filler * count, filler * count + ",", filler * count + "\\;\n"):
                day = date(2024, 7, 3)
                assert_same_text(event(text, day, day + timedelta(days=1), description=text))


def test_times_outside_utc_are_still_written_as_icalendar_writes_them() -> None:
    tokyo = datetime(2024, 7, 3, 23, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    calendar_event = event("Frieren — Episode 1", tokyo, tokyo + timedelta(minutes=24))
    assert_same_text(calendar_event)
    assert "DTSTART;TZID=Asia/Tokyo:20240703T230000" in render_event(calendar_event, "u")


def test_the_lines_events_share_are_each_events_own() -> None:
    # Two events sharing synopsis, link, stamp and day differ exactly where they differ.
    first = event("A — Movie", date(2024, 7, 3), date(2024, 7, 4), description="Same", url="u")
    second = event("B — Movie", date(2024, 7, 3), date(2024, 7, 4), description="Same", url="u")
    third = event("A — Movie", date(2024, 7, 3), date(2024, 7, 4), cancelled=True, sequence=1)
    for calendar_event in (first, second, third, first):
        assert_same_text(calendar_event)
    assert render_event(first, "u1").replace("SUMMARY:A", "SUMMARY:B") == render_event(second, "u1")
    assert "STATUS:CANCELLED" in render_event(third, "u1")
    assert "DESCRIPTION" not in render_event(third, "u1")


def test_a_link_with_a_line_break_is_refused_as_icalendar_refuses_it() -> None:
    broken = event("A — Movie", date(2024, 7, 3), date(2024, 7, 4), url="https://x\r\nX: y")
    with pytest.raises(ValueError):
        render_event_with_component(broken, "u")
    assert_same_text(broken)
