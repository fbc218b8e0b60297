"""The weekly digest, end to end: `/settings digest`, then one post a week at the guild's
local time, listing that week's releases by day, with the outbox's guarantees.

Each test starts the real bot with its clock a few seconds before a chosen digest moment
(the harness's clock offset), so a week's schedule plays out in seconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import utcnow
from bot.domain.catalog import Airing, CatalogMedia, MediaFormat, MediaStatus, Titles
from bot.services.changes import Changes
from bot.services.digests import DigestService
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.storage.database import Database
from tests.conftest import MANAGE_GUILD, Server
from tests.simulator import Perm
from tests.simulator.models import SimChannel, SimGuild, SimMember, SimMessage
from tests.support.harness import RunningBot, dump_database, rows, start_bot, wait_until

#: Monday 22 March 2027, 09:00 in London (GMT, the week before the clocks go forward).
LONDON_MONDAY = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)
#: The Monday after, 09:00 in London: 08:00 UTC (British Summer Time).
LONDON_NEXT_MONDAY = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)


Seeding = Callable[[Changes], Awaitable[None]]


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


@dataclass(frozen=True, slots=True)
class OtherGuild:
    """A second server with a #schedule channel and a moderator: the control's guild."""

    server: Server
    guild: SimGuild
    schedule: SimChannel
    moderator: SimMember

    @classmethod
    def of(cls, server: Server) -> OtherGuild:
        guild = server.sim.add_guild(name="Other Hub")
        schedule = server.sim.add_channel(guild, name="schedule")
        moderator = server.sim.add_member(guild, name="other-mod", permissions=MANAGE_GUILD)
        return cls(server, guild, schedule, moderator)

    async def set_digest(self) -> None:
        """`/settings digest channel:#schedule` there, with the defaults."""
        await self.server.sim.invoke(
            self.guild,
            self.schedule,
            self.moderator,
            "settings digest",
            {"channel": self.schedule},
            permissions=MANAGE_GUILD,
        )


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
            options: dict[str, object] = {"title": title, "when": when}
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


#: Monday 8 March 2027, 09:00 in New York: 14:00 UTC (EST). The clocks go forward on
#: Sunday 14 March, so the next Monday's 09:00 is 13:00 UTC (EDT).
NEW_YORK_MONDAY = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
NEW_YORK_NEXT_MONDAY = datetime(2027, 3, 15, 13, 0, tzinfo=UTC)


async def test_digest_keeps_its_local_time_across_a_daylight_saving_change(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, NEW_YORK_MONDAY):
        await server.mod("settings timezone", {"zone": "America/New_York"})
        await server.mod("settings digest", {"channel": schedule, "day": 0, "time": "09:00"})
        await wait_for_posts(schedule, server, 1, 12)
    # The bot is down over the weekend the clocks change, and back an hour before the
    # digest would be due by the old offset.
    async with bot_before(server, db_path, NEW_YORK_NEXT_MONDAY):
        await wait_for_posts(schedule, server, 2, 12)
        await asyncio.sleep(0.5)
    first, second = server.sim.messages(schedule)
    assert f"<t:{unix(NEW_YORK_MONDAY)}:F>" in first.content
    assert f"<t:{unix(NEW_YORK_NEXT_MONDAY)}:F>" in second.content
    # Posted at 09:00 New York time both weeks (the simulator stamps real time; the bot's
    # clock ran 6 s behind its moment when it started).
    assert digest_rows(db_path) == [
        (unix(NEW_YORK_MONDAY), schedule.id, "sent"),
        (unix(NEW_YORK_NEXT_MONDAY), schedule.id, "sent"),
        (unix(NEW_YORK_NEXT_MONDAY + timedelta(days=7)), schedule.id, "pending"),
    ]


async def test_a_digest_is_not_posted_again_after_a_restart(server: Server, db_path: Path) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY):
        await server.mod("settings digest", {"channel": schedule})
        await wait_for_posts(schedule, server, 1, 12)
    # Started again a minute after its moment: the digest was recorded, nothing is owed.
    async with bot_before(server, db_path, LONDON_MONDAY, lead=-timedelta(minutes=1)):
        await asyncio.sleep(2)
    assert len(server.sim.messages(schedule)) == 1
    assert [status for _, _, status in digest_rows(db_path)] == ["sent", "pending"]


async def test_a_crash_after_discord_took_the_digest_leaves_one_post(
    server: Server, db_path: Path
) -> None:
    """Discord creates the post but the answer never comes, and the bot dies: started
    again, it sends with the same nonce and Discord returns the first post."""
    schedule = server.sim.add_channel(server.guild, name="schedule")
    server.sim.fail_channel(schedule, "hang_after_create")
    running = await start_bot(
        server.sim, db_path, clock_offset=offset_to(LONDON_MONDAY, timedelta(seconds=4))
    )
    try:
        await server.mod("settings digest", {"channel": schedule})
        await wait_for_posts(schedule, server, 1, 10)
    finally:
        await running.stop()  # while the post's answer is still awaited
    assert [status for _, _, status in digest_rows(db_path)] == ["sending"]
    hits = server.sim.nonce_hits
    async with bot_before(server, db_path, LONDON_MONDAY, lead=-timedelta(seconds=10)):
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] == ["sent", "pending"],
            10,
            "the digest recorded as sent",
        )
    [post] = server.sim.messages(schedule)
    assert server.sim.nonce_hits == hits + 1
    [(message_id,)] = rows(db_path, "SELECT message_id FROM digests WHERE status = 'sent'")
    assert message_id == post.id


async def test_a_digest_found_after_the_nonce_window_is_not_posted_again(
    server: Server, db_path: Path
) -> None:
    """As above, but the bot comes back after Discord forgot the nonce: it looks for its
    post first and records the one it finds."""
    schedule = server.sim.add_channel(server.guild, name="schedule")
    server.sim.fail_channel(schedule, "hang_after_create")
    running = await start_bot(
        server.sim, db_path, clock_offset=offset_to(LONDON_MONDAY, timedelta(seconds=4))
    )
    try:
        await server.mod("settings digest", {"channel": schedule})
        await wait_for_posts(schedule, server, 1, 10)
    finally:
        await running.stop()
    server.sim.nonce_window_seconds = 0.0
    async with bot_before(server, db_path, LONDON_MONDAY, lead=-timedelta(minutes=10)):
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] == ["sent", "pending"],
            10,
            "the digest recorded as sent",
        )
    [post] = server.sim.messages(schedule)
    [(message_id,)] = rows(db_path, "SELECT message_id FROM digests WHERE status = 'sent'")
    assert message_id == post.id


async def test_a_digest_missed_while_down_is_posted_once_when_under_12_hours_late(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(hours=1)):
        await server.mod("settings digest", {"channel": schedule})
        # Two hours into the digest's week: listed though past when the digest goes out.
        await server.mod("release add", {"title": "Frieren", "when": "2027-03-22 11:00"})
    async with bot_before(server, db_path, LONDON_MONDAY, lead=-timedelta(hours=5)):
        await wait_for_posts(schedule, server, 1, 10)
        await asyncio.sleep(1)
    [digest] = server.sim.messages(schedule)
    assert f"<t:{unix(LONDON_MONDAY)}:F>" in digest.content
    assert "**Frieren**" in text_of(digest)
    assert [status for _, _, status in digest_rows(db_path)] == ["sent", "pending"]


async def test_a_digest_more_than_12_hours_late_is_skipped_and_next_week_still_comes(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(hours=1)):
        await server.mod("settings timezone", {"zone": "Europe/London"})
        await server.mod("settings digest", {"channel": schedule})
    async with bot_before(server, db_path, LONDON_MONDAY, lead=-timedelta(hours=13)):
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] == ["skipped", "pending"],
            10,
            "the late digest skipped",
        )
        await asyncio.sleep(1)
    assert server.sim.messages(schedule) == []
    [(reason,)] = rows(db_path, "SELECT last_error FROM digests WHERE status = 'skipped'")
    assert "12 hours late" in reason
    async with bot_before(server, db_path, LONDON_NEXT_MONDAY):
        await wait_for_posts(schedule, server, 1, 12)
    [digest] = server.sim.messages(schedule)
    assert f"<t:{unix(LONDON_NEXT_MONDAY)}:F>" in digest.content


async def seed(db_path: Path, now: datetime, work: Seeding) -> None:
    """Do what moderators would have done, through the services, with the clock at `now`."""
    database = await Database.open(db_path)
    try:
        await work(Changes(database, lambda: now, lambda guild_id: None))
    finally:
        await database.close()


async def test_a_digest_of_300_releases_fits_discords_limits_and_counts_the_rest(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")

    async def three_hundred(changes: Changes) -> None:
        service = ReleaseService(changes)
        for number in range(300):
            at = LONDON_MONDAY + timedelta(minutes=33 * number + 1)
            title = f"Show {number:03d} " + "with a long title " * 6
            draft = ReleaseDraft(title=title, when=f"{at:%Y-%m-%d %H:%M}", label="Episode 2")
            await service.add(server.guild.id, draft)
        await DigestService(changes).set(server.guild.id, schedule.id)

    await seed(db_path, LONDON_MONDAY - timedelta(days=1), three_hundred)
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=3)):
        await wait_for_posts(schedule, server, 1, 12)
    [digest] = server.sim.messages(schedule)
    embeds = digest.embeds
    assert 1 < len(embeds) <= 10
    for embed in embeds:
        assert len(embed.get("title") or "") <= 256
        assert len(embed["description"]) <= 4096
    assert sum(len(e.get("title") or "") + len(e["description"]) for e in embeds) <= 6000
    listing = text_of(digest)
    shown = len(re.findall(r"\*\*Show \d{3} ", listing))
    assert 0 < shown < 300
    assert listing.splitlines()[-1] == f"…and {300 - shown} more"
    # The soonest are the ones shown, in order.
    assert re.findall(r"\*\*Show (\d{3}) ", listing) == [f"{n:03d}" for n in range(shown)]


async def test_a_digest_turned_off_posts_nothing_while_another_guilds_does(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    other = OtherGuild.of(server)
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=8)):
        await server.mod("settings digest", {"channel": schedule})
        await other.set_digest()
        reply = await server.mod("settings digest")
        assert "off" in (reply.content or "")
        view = await server.mod("settings view")
        [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Weekly digest"]
        assert field["value"].startswith("Off")
        await wait_for_posts(other.schedule, server, 1, 12)
        await asyncio.sleep(1)
    assert server.sim.messages(schedule) == []
    statuses = rows(db_path, "SELECT status FROM digests WHERE guild_id = ?", (server.guild.id,))
    assert statuses == [("skipped",)]


async def test_changing_the_digest_and_changing_it_back_leaves_one_digest_due(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=8)):
        await server.mod("settings digest", {"channel": schedule})
        moved = await server.mod(
            "settings digest", {"channel": server.general, "day": 1, "time": "18:30"}
        )
        tuesday = datetime(2027, 3, 23, 18, 30, tzinfo=UTC)
        assert f"<t:{unix(tuesday)}:F>" in (moved.content or "")
        await server.mod("settings digest", {"channel": schedule, "day": 0, "time": "9:00"})
        pending = rows(db_path, "SELECT due_at, channel_id FROM digests WHERE status = 'pending'")
        assert pending == [(unix(LONDON_MONDAY), schedule.id)]
        await wait_for_posts(schedule, server, 1, 12)
        await asyncio.sleep(1)
    assert len(server.sim.messages(schedule)) == 1
    assert [m for m in server.sim.messages(server.general) if "This week" in m.content] == []


async def test_a_bad_digest_time_is_refused_and_changes_nothing(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(hours=1)):
        await server.mod("settings digest", {"channel": schedule})
        before = dump_database(db_path)
        for typed in ("9am", "24:00", "09:60", "tomorrow"):
            reply = await server.mod("settings digest", {"channel": schedule, "time": typed})
            assert reply.ephemeral
            assert "HH:MM" in (reply.content or "") and "`18:30`" in (reply.content or "")
        assert dump_database(db_path) == before


async def test_a_new_time_zone_moves_the_next_digest_to_its_local_time(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(days=1)):
        await server.mod("settings digest", {"channel": schedule})
        assert rows(db_path, "SELECT due_at FROM digests WHERE status = 'pending'") == [
            (unix(LONDON_MONDAY),)
        ]
        await server.mod("settings timezone", {"zone": "Asia/Tokyo"})
        view = await server.mod("settings view")
    tokyo = datetime(2027, 3, 22, 0, 0, tzinfo=UTC)  # Monday 09:00 in Tokyo
    assert rows(db_path, "SELECT due_at FROM digests WHERE status = 'pending'") == [(unix(tokyo),)]
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Weekly digest"]
    assert "Mondays at 09:00 (Asia/Tokyo)" in field["value"]
    assert f"<t:{unix(tokyo)}:F>" in field["value"]


async def test_a_digest_turned_off_while_it_is_being_posted_is_posted_once_and_not_again(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    server.sim.fail_channel(schedule, "slow", delay=0.6)
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=4)):
        await server.mod("settings digest", {"channel": schedule})
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] == ["sending"], 8, "the post in flight"
        )
        await server.mod("settings digest")
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] in (["sent"], ["skipped"]),
            8,
            "the post settled",
        )
        await asyncio.sleep(1)
    # Already on its way to Discord (the usual case: it is composed as it is claimed), it
    # is posted and recorded; caught before it left, it is skipped. Never both, never again.
    [(status,)] = rows(db_path, "SELECT status FROM digests")
    assert len(server.sim.messages(schedule)) == (1 if status == "sent" else 0)


async def test_a_server_that_removed_airdate_gets_no_digest(server: Server, db_path: Path) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    other = OtherGuild.of(server)
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=8)):
        await server.mod("settings digest", {"channel": schedule})
        await other.set_digest()
        await server.sim.remove_bot_from_guild(server.guild)
        await wait_for_posts(other.schedule, server, 1, 12)
        await wait_until(
            lambda: (
                ("skipped",)
                in rows(
                    db_path, "SELECT status FROM digests WHERE guild_id = ?", (server.guild.id,)
                )
            ),
            5,
            "the removed server's digest skipped",
        )
    assert server.sim.messages(schedule) == []


async def test_a_digest_lists_followed_anilist_episodes_as_this_server_sees_them(
    server: Server, db_path: Path
) -> None:
    """Catalog episodes in the guild's title language, at the time it is told (its delay),
    premiere and finale marked; a server that follows nothing gets "Nothing scheduled"."""
    schedule = server.sim.add_channel(server.guild, name="schedule")
    other = OtherGuild.of(server)
    media = CatalogMedia(
        anilist_id=166531,
        titles=Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", None),
        site_url="https://anilist.co/anime/166531",
        is_adult=False,
        format=MediaFormat.TV,
        status=MediaStatus.RELEASING,
        episodes=3,
    )
    airs = [LONDON_MONDAY + timedelta(days=day, hours=3) for day in range(3)]
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=8)) as running:
        await server.mod("settings channel", {"channel": server.announcements})
        await server.mod("settings titles", {"language": "english"})
        await server.mod("settings delay", {"after": "1h"})
        await server.mod("settings digest", {"channel": schedule})
        await other.set_digest()
        airings = [Airing(media.anilist_id, n + 1, unix(at)) for n, at in enumerate(airs)]
        await running.bot.catalog.follow(
            server.guild.id, media, airings, None, None, True, running.bot.clock()
        )
        await wait_for_posts(schedule, server, 1, 12)
        await wait_for_posts(other.schedule, server, 1, 5)
    told = [unix(at + timedelta(hours=1)) for at in airs]
    assert text_of(server.sim.messages(schedule)[0]).splitlines() == [
        "**Monday 22 March**",
        f"<t:{told[0]}:t> · **Oshi no Ko Season 2 — Episode 1** · \N{SPARKLES} premiere"
        f" · <t:{told[0]}:R>",
        "**Tuesday 23 March**",
        f"<t:{told[1]}:t> · **Oshi no Ko Season 2 — Episode 2** · <t:{told[1]}:R>",
        "**Wednesday 24 March**",
        f"<t:{told[2]}:t> · **Oshi no Ko Season 2 — Episode 3** · \N{CHEQUERED FLAG} finale"
        f" · <t:{told[2]}:R>",
    ]
    assert text_of(server.sim.messages(other.schedule)[0]) == "Nothing scheduled this week."


async def test_a_digest_discord_refuses_is_failed_said_in_settings_view_and_next_week_owed(
    server: Server, db_path: Path
) -> None:
    schedule = server.sim.add_channel(server.guild, name="schedule")
    async with bot_before(server, db_path, LONDON_MONDAY, lead=timedelta(seconds=6)):
        await server.mod("settings digest", {"channel": schedule})
        await server.sim.deny_bot(schedule, Perm.SEND_MESSAGES)
        await wait_until(
            lambda: [s for _, _, s in digest_rows(db_path)] == ["failed", "pending"],
            12,
            "the refused digest failed and next week's owed",
        )
        view = await server.mod("settings view")
    assert server.sim.messages(schedule) == []
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Weekly digest"]
    assert "could not be posted (HTTP 403 code 50013)" in field["value"]
    assert f"<t:{unix(LONDON_MONDAY + timedelta(days=7))}:F>" in field["value"]
