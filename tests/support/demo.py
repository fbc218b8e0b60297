"""`make demo`: the real Airdate bot against the local Discord simulator, no account needed.

Sets up a server, schedules a release about 20 s out with a 10 s reminder, then follows
an anime from the local AniList stand-in by its link (its next episode about 20 s out),
and prints each message the bot posts as a reader would see it, with how late it was
against its due time. Then it fetches the server's live calendar feed over HTTP, as a
calendar app would from the link `/settings calendar` gives a moderator, and prints its
events.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import icalendar

from bot.clock import utcnow
from tests.anilist_standin import AniListStandin, sample_catalogue
from tests.anilist_standin.data import OSHI_NO_KO
from tests.simulator import DiscordSimulator
from tests.simulator.models import SimMessage
from tests.support.harness import start_bot, wait_until

MANAGE_GUILD = 1 << 5
ON_TIME_SECONDS = 1.0
TIMESTAMP = re.compile(r"<t:(\d+):([tTdDfFR])>")
#: The https link of a guild's feed in `/settings calendar`'s reply.
FEED_LINK = re.compile(r"<(https?://[^\s>]+/c/[A-Za-z0-9_-]+\.ics)>")


NAMES: dict[str, str] = {}
MENTION = re.compile(r"<(#|@&)(\d+)>")


def readable(text: str, seen_at: float) -> str:
    """Render Discord timestamps and mentions the way a reader in UTC would see them."""
    text = MENTION.sub(lambda m: m.group(1)[0] + NAMES.get(m.group(2), m.group(2)), text)

    def render(match: re.Match[str]) -> str:
        moment, style = int(match.group(1)), match.group(2)
        if style != "R":
            return datetime.fromtimestamp(moment, UTC).strftime("%a %d %b %Y %H:%M:%S UTC")
        delta = round(moment - seen_at)
        if delta > 0:
            return f"in {delta} seconds"
        return "just now" if delta == 0 else f"{-delta} seconds ago"

    return TIMESTAMP.sub(render, text)


def show(message: SimMessage, due_at: int) -> float:
    lateness = message.created_at - due_at
    stamp = datetime.fromtimestamp(message.created_at, UTC).strftime("%H:%M:%S.%f")[:-3]
    print(f"\n[{stamp} UTC] #announcements   ({lateness:+.3f} s against its due time)")
    for line in message.content.splitlines():
        print(f"  {readable(line, message.created_at)}")
    for embed in message.embeds:
        print(f"  ┃ {embed.get('author', {}).get('name', '')}: {embed.get('title', '')}")
        if embed.get("description"):
            text = readable(embed["description"], message.created_at)
            print("  ┃ " + "\n  ┃ ".join(line for line in text.splitlines() if line))
        for field in embed.get("fields", []):
            print(f"  ┃ {field['name']}: {readable(field['value'], message.created_at)}")
    buttons = [c.get("label", "") for row in message.components for c in row["components"]]
    if buttons:
        print("  " + "  ".join(f"[{label}]" for label in buttons))
    return lateness


def event_line(event: Any) -> str:
    """One VEVENT as a calendar app would list it: its start in UTC, summary, UID and
    SEQUENCE (and whether it is cancelled)."""
    start = event["DTSTART"].dt
    when = (
        start.astimezone(UTC).strftime("%a %d %b %Y %H:%M:%S UTC")
        if isinstance(start, datetime)
        else start.strftime("%a %d %b %Y (all day)")
    )
    cancelled = "  CANCELLED" if str(event.get("STATUS", "")) == "CANCELLED" else ""
    return (
        f"  {when}  {event['SUMMARY']}{cancelled}\n"
        f"      UID {event['UID']}  SEQUENCE {int(event['SEQUENCE'])}"
    )


async def fetch_feed(link: str) -> bool:
    """Fetch the feed as a calendar app does, print its events, then ask again with its
    ETag (a 304); print the schedule page's link. True if the feed answered as it should."""
    async with aiohttp.ClientSession() as session:
        async with session.get(link) as response:
            body = await response.read()
            status, etag = response.status, response.headers.get("ETag", "")
            modified = response.headers.get("Last-Modified", "")
            print(f"\nGET {link}\n  → {status} {response.headers.get('Content-Type', '')}")
        if status != 200:
            print(f"\nFAILED: the feed answered {status}")
            return False
        calendar = icalendar.Calendar.from_ical(body)
        events = calendar.walk("VEVENT")
        print(f"    ETag {etag}, Last-Modified {modified}, {len(body):,} bytes")
        print(f"  {calendar.calendar_name}: {len(events)} event(s)")
        for event in events:
            print(event_line(event))
        async with session.get(link, headers={"If-None-Match": etag}) as response:
            again = response.status
            print(f"GET again with If-None-Match {etag}\n  → {again}")
        page = link.removesuffix(".ics")
        async with session.get(page) as response:
            kind = response.headers.get("Content-Type", "")
            size = len(await response.read())
            print(f"\nSchedule page: {page}")
            if response.status == 200 and kind.startswith("text/html"):
                print(f"  → 200 {kind}, {size:,} bytes")
            else:
                print(f"  → {response.status} (no schedule page served by this build)")
    if not events or again != 304:
        print(f"\nFAILED: the feed held {len(events)} event(s), and its ETag gave {again}")
        return False
    if modified:
        email.utils.parsedate_to_datetime(modified)  # a valid HTTP date, or this raises
    return True


async def run_demo(workdir: Path) -> int:
    sim = DiscordSimulator()
    await sim.start()
    anilist = AniListStandin(sample_catalogue(utcnow()))
    await anilist.start()
    guild = sim.add_guild(name="Anime Hub")
    channel = sim.add_channel(guild, name="announcements")
    fans = sim.add_role(guild, name="Anime Fans", mentionable=True)
    moderator = sim.add_member(guild, name="moderator", permissions=MANAGE_GUILD)
    NAMES.update({str(channel.id): channel.name, str(fans.id): fans.name})
    print(f"Local Discord simulator on {sim.api_base}, AniList stand-in on {anilist.url}")
    # The live calendar feed on a free port (CALENDAR_HTTP_PORT; 0: the system picks one).
    running = await start_bot(sim, workdir / "airdate.db", anilist_url=anilist.url, calendar_port=0)
    print("Airdate is connected. A moderator sets it up:")

    async def run(command: str, options: dict[str, Any]) -> str:
        shown = {k: getattr(v, "name", v) for k, v in options.items()}
        reply = await sim.invoke(
            guild, channel, moderator, command, options, permissions=MANAGE_GUILD, timeout=15
        )
        text = readable(reply.content or "", time.time()).replace("\n", "\n      ")
        print(f"  /{command} {shown}\n    → {text}")
        return reply.content or ""

    async def two_more(seen: int, what: str) -> list[SimMessage] | None:
        with contextlib.suppress(AssertionError):
            await wait_until(lambda: len(sim.messages(channel)) >= seen + 2, 40, what)
        messages = sim.messages(channel)[seen:]
        if len(messages) < 2:
            print(f"\nFAILED: expected {what}, got {len(messages)} message(s)")
            return None
        return messages

    def due_of(shows: str) -> dict[str, int]:
        return {
            kind: due_at
            for kind, due_at in running.database_rows(
                "SELECT d.kind, min(d.due_at) FROM deliveries d "
                "JOIN releases r ON r.id = d.release_id "
                f"WHERE r.guild_id IS {shows} AND d.kind != 'notice' GROUP BY d.kind"
            )
        }

    setup: list[tuple[str, dict[str, Any]]] = [
        ("settings channel", {"channel": channel}),
        ("settings role", {"role": fans}),
        ("settings reminders", {"offsets": "10s"}),
        (
            "release add",
            {
                "title": "Oshi no Ko",
                "label": "Season 2",
                "when": "in 20s",
                "description": "Aqua and Ruby return to the entertainment industry.",
            },
        ),
    ]
    try:
        for command, options in setup:
            await run(command, options)
        typed = await two_more(0, "a reminder and an announcement")
        if typed is None:
            return 1
        due = due_of("NOT NULL")
        latenesses = [show(typed[0], due["reminder"]), show(typed[1], due["announcement"])]

        print("\nThe moderator follows an anime from AniList by its link:")
        # The stand-in's next episode of the show, moved to 20 s from now.
        anilist.catalogue.move_airing(OSHI_NO_KO, 4, utcnow() + timedelta(seconds=20))
        await run("anilist follow", {"query": f"https://anilist.co/anime/{OSHI_NO_KO}"})
        followed = await two_more(2, "the AniList episode's reminder and announcement")
        if followed is None:
            return 1
        due = due_of("NULL")
        latenesses += [
            show(followed[0], due["reminder"]),
            show(followed[1], due["announcement"]),
        ]

        print("\nThe moderator asks for the server's calendar feed, for members' calendar apps:")
        feed = running.bot.calendar.server
        await wait_until(lambda: feed is not None and feed.running, 10, "the calendar feed")
        links = FEED_LINK.findall(await run("settings calendar", {}))
        if not links:
            print("\nFAILED: /settings calendar gave no feed link")
            return 1
        if not await fetch_feed(links[0]):
            return 1
    finally:
        await running.stop()
        await anilist.stop()
        await sim.stop()
    worst = max(abs(x) for x in latenesses)
    verdict = "OK" if worst <= ON_TIME_SECONDS else "LATE"
    print(f"\n{verdict}: all four messages within {worst:.3f} s of their due time.")
    return 0 if verdict == "OK" else 1


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="airdate-demo-") as workdir:
        return asyncio.run(run_demo(Path(workdir)))


if __name__ == "__main__":
    sys.exit(main())
