"""The weekly digest, end to end: `/settings digest`, then one post a week at the guild's
local time, listing that week's releases by day, with the outbox's guarantees.

Each test starts the real bot with its clock a few seconds before a chosen digest moment
(the harness's clock offset), so a week's schedule plays out in seconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import utcnow
from tests.conftest import MANAGE_GUILD, Server
from tests.simulator.models import SimChannel, SimMessage
from tests.support.harness import RunningBot, dump_database, rows, start_bot, wait_until

#: Monday 22 March 2027, 09:00 in London (GMT, the week before the clocks go forward).
LONDON_MONDAY = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)
#: The Monday after, 09:00 in London: 08:00 UTC (British Summer Time).
LONDON_NEXT_MONDAY = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def offset_to(moment: datetime, lead: timedelta) -> timedelta:
    """The clock offset that makes the bot's clock read `lead` before `moment` now."""
    return moment - lead - utcnow()


@asynccontextmanager
async def bot_before(
    server: Server, db_path: Path, moment: datetime, lead: timedelta = timedelta(seconds=6)
) -> AsyncIterator[RunningBot]:
    """Run the bot with its clock `lead` before `moment`."""
    running = await start_bot(server.sim, db_path, clock_offset=offset_to(moment, lead))
    try:
        yield running
    finally:
        await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


def digest_rows(db_path: Path) -> list[tuple[int, int, str]]:
    return [
        (due_at, channel_id, status)
        for due_at, channel_id, status in rows(
            db_path, "SELECT due_at, channel_id, status FROM digests ORDER BY due_at, id"
        )
    ]


def text_of(message: SimMessage) -> str:
    return "\n".join(str(embed.get("description") or "") for embed in message.embeds)


async def wait_for_posts(channel: SimChannel, server: Server, count: int, seconds: float) -> None:
    await wait_until(
        lambda: len(server.sim.messages(channel)) >= count, seconds, f"{count} digest post(s)"
    )


async def test_digest_lists_the_weeks_releases_by_day_and_nothing_else(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, timedelta(seconds=8)):
        await server.mod("settings timezone", {"zone": "Europe/London"})
        await server.mod("settings channel", {"channel": server.announcements})
        reply = await server.mod("settings digest", {"channel": schedule})
        assert reply.ephemeral
        assert f"<t:{unix(LONDON_MONDAY)}:F> (<t:{unix(LONDON_MONDAY)}:R>)" in (reply.content or "")
        for title, label, when in [
            ("Frieren", "Episode 1", "2027-03-22 20:00"),
            ("Dandadan", "Finale", "2027-03-24 18:30"),
            ("Kaiju No. 8", "Movie", "2027-03-24"),
            ("@everyone party", None, "2027-03-28 23:30"),
            # Controls: just before the week, 8 days out, a month, and one removed.
            ("Before", "Early", "2027-03-22 08:59:59"),
            ("Too late", None, "2027-03-30 12:00"),
            ("Sometime", None, "April 2027"),
            ("Removed", None, "2027-03-23 12:00"),
        ]:
            options = {"title": title, "when": when}
            if label:
                options["label"] = label
            await server.mod("release add", options)
        await server.mod("release remove", {"release": "Removed"})
        view = await server.mod("settings view")
        [digest_field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Weekly digest"]
        assert f"<#{schedule.id}>, Mondays at 09:00 (Europe/London)" in digest_field["value"]

        await wait_for_posts(schedule, server, 1, 15)
        await asyncio.sleep(0.5)  # a second post would have arrived by now
    [digest] = server.sim.messages(schedule)
    assert f"<t:{unix(LONDON_MONDAY)}:F>" in digest.content
    assert server.sim.pings(digest).nobody
    listing = text_of(digest)
    for control in ("Before", "Too late", "Sometime", "Removed"):
        assert control not in listing
    lines = listing.splitlines()
    frieren = unix(datetime(2027, 3, 22, 20, 0, tzinfo=UTC))
    dandadan = unix(datetime(2027, 3, 24, 18, 30, tzinfo=UTC))
    party = unix(datetime(2027, 3, 28, 22, 30, tzinfo=UTC))  # 23:30 BST
    assert lines == [
        "**Monday 22 March**",
        f"<t:{frieren}:t> · **Frieren — Episode 1** · \N{SPARKLES} premiere · <t:{frieren}:R>",
        "**Wednesday 24 March**",
        "All day · **Kaiju No. 8 — Movie**",
        f"<t:{dandadan}:t> · **Dandadan — Finale** · \N{CHEQUERED FLAG} finale · <t:{dandadan}:R>",
        "**Sunday 28 March**",
        f"<t:{party}:t> · **@\u200beveryone party** · <t:{party}:R>",
    ]
    # Sent once, and next week's owed at 09:00 London, which is 08:00 UTC by then.
    assert digest_rows(db_path) == [
        (unix(LONDON_MONDAY), schedule.id, "sent"),
        (unix(LONDON_NEXT_MONDAY), schedule.id, "pending"),
    ]
    # The digest's own channel got nothing else; the announcement channel no digest.
    assert all(
        "This week's releases" not in m.content for m in server.sim.messages(server.announcements)
    )
