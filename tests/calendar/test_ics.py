"""The .ics a guild gets, read back by two independent parsers (icalendar, and Home
Assistant's `ical`, a pydantic parser of its own): what each event shows, its UID and
SEQUENCE across edits, and the same bytes while nothing changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
from ical.calendar_stream import IcsCalendarStream
from ical.event import EventStatus

from bot.calendar.ics import calendar_bytes, calendar_head, render_event
from bot.domain.catalog import (
    Airing,
    CatalogMedia,
    MediaFormat,
    MediaStatus,
    TitleLanguage,
    Titles,
)
from bot.services.releases import ReleaseChanges, ReleaseDraft
from bot.storage.convert import to_epoch
from tests.calendar.conftest import GUILD, NOW, OTHER_GUILD, World

JAPANESE = "葬送のフリーレン"
LONG_TITLE = "Re:ゼロから始める異世界生活 " + "とても長いタイトル, with; commas " * 6
DESCRIPTION = "Line one, with a comma; and a semicolon\nLine two: 推しの子 \\ backslash"
EP1 = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)
ANILIST_ID = 166531
OSHI = CatalogMedia(
    anilist_id=ANILIST_ID,
    titles=Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", "【推しの子】第2期"),
    site_url=f"https://anilist.co/anime/{ANILIST_ID}",
    is_adult=False,
    synopsis="Aqua keeps looking for the truth.",
    format=MediaFormat.TV,
    status=MediaStatus.RELEASING,
    episodes=13,
    duration_minutes=24,
)


@dataclass(frozen=True)
class Seen:
    """One event as a parser read it."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime
    sequence: int
    cancelled: bool
    stamp: datetime
    url: str | None
    description: str | None


def by_icalendar(body: bytes) -> dict[str, Seen]:
    calendar = icalendar.Calendar.from_ical(body)
    found = {}
    for component in calendar.walk("VEVENT"):
        event: Any = component  # icalendar types a property as any of its value types
        found[str(event["SUMMARY"])] = Seen(
            uid=str(event["UID"]),
            summary=str(event["SUMMARY"]),
            start=event["DTSTART"].dt,
            end=event["DTEND"].dt,
            sequence=int(event["SEQUENCE"]),
            cancelled=str(event["STATUS"]) == "CANCELLED",
            stamp=event["DTSTAMP"].dt,
            url=None if "URL" not in event else str(event["URL"]),
            description=None if "DESCRIPTION" not in event else str(event["DESCRIPTION"]),
        )
    assert event_last_modified_is_stamp(calendar)
    return found


def event_last_modified_is_stamp(calendar: Any) -> bool:
    events: list[Any] = calendar.walk("VEVENT")
    return all(e["LAST-MODIFIED"].dt == e["DTSTAMP"].dt for e in events)


def by_ical(body: bytes) -> dict[str, Seen]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode())
    events: list[Any] = list(calendar.events)
    return {
        event.summary or "": Seen(
            uid=event.uid or "",
            summary=event.summary or "",
            start=event.dtstart,
            end=event.dtend or event.dtstart,
            sequence=event.sequence or 0,
            cancelled=event.status is EventStatus.CANCELLED,
            stamp=event.dtstamp,
            url=event.url,
            description=event.description,
        )
        for event in events
    }


async def add(world: World, title: str, when: str, **extra: Any) -> int:
    result = await world.releases.add(GUILD, ReleaseDraft(title=title, when=when, **extra))
    return result.release.id


async def feed(world: World, guild_id: int = GUILD) -> bytes:
    return (await world.feeds.feed(guild_id)).body


async def test_both_parsers_read_every_kind_of_event_alike(world: World) -> None:
    await add(
        world, JAPANESE, "2024-07-03T14:00Z", label="第2期 第1話", link="https://example.org/f"
    )
    await add(world, LONG_TITLE, "2024-07-05 21:00", timezone="Asia/Tokyo", description=DESCRIPTION)
    await add(world, "Day Show", "2024-07-10", timezone="Asia/Tokyo", label="Movie")
    await add(world, "Vague Show", "August 2024", label="Season 3")
    world.clock[0] = datetime(2024, 6, 15, tzinfo=UTC)  # added while still ahead
    await add(world, "Last Week", "2024-06-27 10:00", timezone="UTC")
    await add(world, "Too Old", "2024-06-20 10:00", timezone="UTC")
    world.clock[0] = NOW
    dropped = await add(world, "Dropped Show", "2024-07-08 18:00", timezone="UTC")
    await world.releases.remove(GUILD, str(dropped))
    body = await feed(world)

    first, second = by_icalendar(body), by_ical(body)
    assert first == second
    assert sorted(first) == sorted(
        [f"{JAPANESE} — 第2期 第1話", LONG_TITLE.strip(), "Day Show — Movie", "Last Week",
         "Dropped Show"]
    )  # fmt: skip
    japanese = first[f"{JAPANESE} — 第2期 第1話"]
    assert (japanese.start, japanese.end) == (EP1, EP1 + timedelta(minutes=30))
    assert japanese.url == "https://example.org/f" and not japanese.cancelled
    long = first[LONG_TITLE.strip()]
    assert long.start == datetime(2024, 7, 5, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo, in UTC
    assert long.description == DESCRIPTION
    day = first["Day Show — Movie"]
    assert (day.start, day.end) == (date(2024, 7, 10), date(2024, 7, 11))  # end exclusive
    assert first["Dropped Show"].cancelled

    text = body.decode()
    assert "\r\nDTSTART;VALUE=DATE:20240710\r\n" in text
    assert "\r\nDTEND;VALUE=DATE:20240711\r\n" in text
    assert "DTSTART:20240703T140000Z" in text
    assert "STATUS:CANCELLED" in text
    # Folded at 75 octets, never inside a character; CRLF line ends throughout.
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")
    assert "METHOD" not in text
    for line in (
        "NAME:Anime Hub",
        "X-WR-CALNAME:Anime Hub",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert f"\r\n{line}\r\n" in text, line
    uids = [seen.uid for seen in first.values()]
    assert len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"release-[0-9]+-[0-9a-f]{16}@airdate", uid) for uid in uids)


async def test_an_edit_keeps_the_uid_and_grows_sequence_and_stamp(world: World) -> None:
    release_id = await add(world, JAPANESE, "2024-07-03T14:00Z", label="Episode 1")
    before = by_icalendar(await feed(world))[f"{JAPANESE} — Episode 1"]
    assert before.sequence == 0

    world.advance(timedelta(hours=2))
    await world.releases.edit(GUILD, str(release_id), ReleaseChanges(when="2024-07-04T14:00Z"))
    moved = by_ical(await feed(world))[f"{JAPANESE} — Episode 1"]
    assert moved.uid == before.uid
    assert moved.sequence == 1 and moved.stamp > before.stamp
    assert moved.stamp == NOW.replace(microsecond=0) + timedelta(hours=2)  # when it was edited
    assert moved.start == datetime(2024, 7, 4, 14, 0, tzinfo=UTC)

    world.advance(timedelta(hours=1))
    await world.releases.edit(GUILD, str(release_id), ReleaseChanges(label="Episode 1 (finale)"))
    relabelled = by_icalendar(await feed(world))[f"{JAPANESE} — Episode 1 (finale)"]
    assert (relabelled.uid, relabelled.sequence) == (before.uid, 2)
    assert relabelled.stamp > moved.stamp

    world.advance(timedelta(hours=1))
    await world.releases.remove(GUILD, str(release_id))
    cancelled = by_ical(await feed(world))[f"{JAPANESE} — Episode 1 (finale)"]
    assert (cancelled.uid, cancelled.sequence, cancelled.cancelled) == (before.uid, 3, True)
    # A cancelled release stays until its old date passes, then leaves the calendar.
    world.clock[0] = datetime(2024, 7, 4, 14, 0, 1, tzinfo=UTC)
    assert by_icalendar(await feed(world)) == {}


async def test_the_same_data_gives_the_same_bytes(world: World) -> None:
    await add(world, JAPANESE, "2024-07-03T14:00Z", label="Episode 1")
    await add(world, "Day Show", "2024-07-10", label="Movie")
    first = await world.feeds.feed(GUILD)
    world.advance(timedelta(minutes=5))
    again = await world.feeds.feed(GUILD)
    assert again == first
    # Built afresh (a restarted bot), from the stored versions: the same bytes and date.
    world.advance(timedelta(minutes=5))
    restarted = type(world.feeds)(world.calendar, lambda: world.now)
    restarted.read_names_with({GUILD: "Anime Hub"}.get)
    assert await restarted.feed(GUILD) == first
    # A control: a change does change them.
    await add(world, "New Show", "2024-07-12T10:00Z")
    changed = await world.feeds.feed(GUILD)
    assert changed.body != first.body and changed.etag != first.etag
    assert changed.last_modified > first.last_modified


async def test_the_feed_is_what_icalendar_writes_for_the_whole_calendar(world: World) -> None:
    await add(world, JAPANESE, "2024-07-03T14:00Z", label="Episode 1", description=DESCRIPTION)
    await add(world, "Day Show", "2024-07-10", label="Movie")
    calendar = await world.calendar.calendar(GUILD, world.now)
    whole = calendar_head("Anime Hub")
    for published in calendar.events:
        whole.add_component(icalendar.Event.from_ical(published.text))
    assert calendar_bytes("Anime Hub", [p.text for p in calendar.events]) == whole.to_ical()
    event = calendar.events[0].event
    assert render_event(event, "uid@x") == render_event(event, "uid@x")


async def test_catalog_releases_show_in_the_guilds_language_and_at_its_delay(
    world: World,
) -> None:
    airings = (Airing(ANILIST_ID, 1, to_epoch(EP1)), Airing(ANILIST_ID, 2, to_epoch(EP1) + 604800))
    for guild_id in (GUILD, OTHER_GUILD):
        await world.catalog.follow(guild_id, OSHI, airings, None, None, True, world.now)
    await world.settings.set_title_language(GUILD, TitleLanguage.NATIVE)
    await world.settings.set_delay(GUILD, "1h")

    here = by_ical(await feed(world, GUILD))
    there = by_icalendar(await feed(world, OTHER_GUILD))
    first = here["【推しの子】第2期 — Episode 1"]
    assert first.start == EP1 + timedelta(hours=1)
    assert first.end == EP1 + timedelta(hours=1, minutes=24)  # the episode's duration
    assert first.url == OSHI.site_url and first.description == OSHI.synopsis
    other = there["[Oshi no Ko] 2nd Season — Episode 1"]
    assert other.start == EP1 and other.uid == first.uid  # one release, one UID
    assert len(here) == len(there) == 2

    # The guild's delay changes what its events show: SEQUENCE grows here only.
    world.advance(timedelta(minutes=10))
    await world.settings.set_delay(GUILD, "2h")
    later = by_icalendar(await feed(world, GUILD))["【推しの子】第2期 — Episode 1"]
    assert (later.start, later.sequence) == (EP1 + timedelta(hours=2), 1)
    assert by_ical(await feed(world, OTHER_GUILD))[other.summary].sequence == 0


async def test_a_cancelled_catalog_show_stays_cancelled_until_its_old_date(
    world: World,
) -> None:
    airings = (Airing(ANILIST_ID, 1, to_epoch(EP1)),)
    await world.catalog.follow(GUILD, OSHI, airings, None, None, True, world.now)
    before = by_icalendar(await feed(world))["[Oshi no Ko] 2nd Season — Episode 1"]
    world.advance(timedelta(seconds=10))  # within the minute a kept feed is trusted
    cancelled_media = replace(OSHI, status=MediaStatus.CANCELLED)
    await world.catalog.apply_media([cancelled_media], world.now)
    after = by_ical(await feed(world))["[Oshi no Ko] 2nd Season — Episode 1"]
    # AniList's cancellation leaves the release without a date: the event keeps its own.
    assert after.cancelled and (after.start, after.uid) == (before.start, before.uid)
    assert after.sequence == 1
    world.clock[0] = EP1 + timedelta(seconds=1)
    assert by_ical(await feed(world)) == {}


async def test_a_kept_feed_hears_of_changes_at_once_and_checks_the_data_each_minute(
    world: World,
) -> None:
    release_id = await add(world, JAPANESE, "2024-07-03T14:00Z", label="Episode 1")
    first = await world.feeds.feed(GUILD)
    # Through a service: the next request already shows it.
    await world.releases.edit(GUILD, str(release_id), ReleaseChanges(label="Episode 2"))
    edited = await world.feeds.feed(GUILD)
    assert b"Episode 2" in edited.body and edited.etag != first.etag
    # Behind the services' back (another process, a hand edit): seen within a minute.
    async with world.db.transaction() as tx:
        await tx.execute("UPDATE releases SET label = 'Episode 3' WHERE id = ?", (release_id,))
    world.advance(timedelta(seconds=30))
    assert await world.feeds.feed(GUILD) == edited
    world.advance(timedelta(seconds=31))
    assert b"Episode 3" in (await world.feeds.feed(GUILD)).body
