"""`make demo`: the real Airdate bot against the local Discord simulator, no account needed.

Sets up a server, schedules a release about 20 s out with a 10 s reminder, then follows
an anime from the local AniList stand-in by its link (its next episode about 20 s out),
and prints each message the bot posts as a reader would see it, with how late it was
against its due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import utcnow
from tests.anilist_standin import AniListStandin, sample_catalogue
from tests.anilist_standin.data import OSHI_NO_KO
from tests.simulator import DiscordSimulator
from tests.simulator.models import SimMessage
from tests.support.harness import start_bot, wait_until

MANAGE_GUILD = 1 << 5
ON_TIME_SECONDS = 1.0
TIMESTAMP = re.compile(r"<t:(\d+):([tTdDfFR])>")


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
    running = await start_bot(sim, workdir / "airdate.db", anilist_url=anilist.url)
    print("Airdate is connected. A moderator sets it up:")

    async def run(command: str, options: dict[str, Any]) -> None:
        shown = {k: getattr(v, "name", v) for k, v in options.items()}
        reply = await sim.invoke(
            guild, channel, moderator, command, options, permissions=MANAGE_GUILD, timeout=15
        )
        text = readable(reply.content or "", time.time()).replace("\n", "\n      ")
        print(f"  /{command} {shown}\n    → {text}")

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
