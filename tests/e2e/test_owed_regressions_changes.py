"""A change undone, or a guild or channel lost and regained, leaves exactly what is owed.

Each test replays a sequence the old engine got wrong (a message lost or doubled after a
setting, follow, subscription or guild presence went away and came back) and checks what
moderators and members see in the simulated Discord: each message once, with its pings.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from pathlib import Path

from tests.conftest import MANAGE_GUILD, Server
from tests.simulator import DiscordSimulator, Perm
from tests.simulator.models import (
    InteractionReply,
    Overwrite,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
)
from tests.support.harness import RunningBot, rows, start_bot, wait_until

#: How long to keep watching after the last expected message, to catch a late double.
SETTLE = 0.6

_LINE = re.compile(r"\*\*(?P<title>.+?)\*\* (?P<what>premieres|is out!|has moved)")
_KINDS = {"premieres": "reminder", "is out!": "announcement", "has moved": "notice"}


def heard(sim: DiscordSimulator, channel: SimChannel | int) -> list[tuple[str, str]]:
    """Every notification a reader of the channel saw, in order: (kind, title)."""
    return notifications(sim.messages(channel))


def heard_by_dm(sim: DiscordSimulator, member: SimMember) -> list[tuple[str, str]]:
    return notifications(sim.dm_messages(member))


def notifications(messages: list[SimMessage]) -> list[tuple[str, str]]:
    """The notifications these messages carry, in order: (kind, title).

    Several notifications due together share one message (a line and an embed each), so a
    doubled row shows up here even when it was folded into a single message.
    """
    seen = []
    for message in messages:
        lines = [m for m in map(_LINE.search, message.content.splitlines()) if m is not None]
        assert len(lines) == len(message.embeds), message.content
        seen += [(_KINDS[m["what"]], m["title"]) for m in lines]
    return seen


def assert_pings(sim: DiscordSimulator, channel: SimChannel | int, roles: set[int]) -> None:
    """Every message in the channel pings exactly these roles, and nobody else."""
    for message in sim.messages(channel):
        pings = sim.pings(message)
        assert pings.roles == roles, message.content
        assert not pings.everyone and not pings.users, message.content


def posts_to(sim: DiscordSimulator, channel_ids: set[int], since: float = 0.0) -> list[str]:
    """Message creates the bot attempted in these channels (refused ones too) since then."""
    return [
        f"{r.path} -> {r.status}"
        for r in sim.requests
        if r.method == "POST"
        and r.at >= since
        and (match := re.fullmatch(r"/channels/(\d+)/messages", r.path)) is not None
        and int(match[1]) in channel_ids
    ]


async def clips_told_of_frieren(server: Server) -> SimChannel:
    """A #clips that follows Frieren and has had its announcement (no reminders)."""
    clips = server.sim.add_channel(server.guild, name="clips")
    await announce_with_reminder(server, "none")
    await server.mod("release add", {"title": "Frieren", "when": "in 2s"})
    await server.mod("follow", {"show": "Frieren", "channel": clips})
    announced = ("announcement", "Frieren")
    await wait_until(lambda: announced in heard(server.sim, clips), 5, "the announcement in #clips")
    return clips


async def until_told_posting_stopped(server: Server, seconds: float, what: str) -> None:
    """Wait for the guild's notice, in the announcement channel, that Airdate stopped
    posting somewhere."""
    announcements = server.announcements
    await wait_until(
        lambda: any("stopped posting" in m.content for m in server.sim.messages(announcements)),
        seconds,
        what,
    )


async def mod_in(
    sim: DiscordSimulator,
    guild: SimGuild,
    channel: SimChannel,
    moderator: SimMember,
    command: str,
    options: dict[str, object],
) -> InteractionReply:
    return await sim.invoke(guild, channel, moderator, command, options, permissions=MANAGE_GUILD)


async def announce_with_reminder(server: Server, offsets: str) -> None:
    """#announcements gets everything, pinging @Anime Fans, with these reminder offsets."""
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings role", {"role": server.fans})
    await server.mod("settings reminders", {"offsets": offsets})


REMINDER_AND_ANNOUNCEMENT = [("reminder", "Frieren"), ("announcement", "Frieren")]


async def test_moving_the_announcement_channel_away_and_back_posts_each_message_once(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    elsewhere = sim.add_channel(server.guild, name="elsewhere")
    await announce_with_reminder(server, "1s")
    await server.mod("release add", {"title": "Frieren", "when": "in 3s"})
    moved = await server.mod("settings channel", {"channel": elsewhere})
    assert moved.ephemeral
    await server.mod("settings channel", {"channel": server.announcements})

    await wait_until(
        lambda: len(heard(sim, server.announcements)) >= 2, 7, "the reminder and announcement"
    )
    await asyncio.sleep(SETTLE)
    # Before: the move back left #announcements owed nothing (or owed it twice).
    assert heard(sim, server.announcements) == REMINDER_AND_ANNOUNCEMENT
    assert_pings(sim, server.announcements, {server.fans.id})
    assert posts_to(sim, {elsewhere.id}) == []


async def test_reminders_turned_off_and_on_again_post_the_reminder_once(
    server: Server, airdate: RunningBot
) -> None:
    await announce_with_reminder(server, "1s")
    await server.mod("release add", {"title": "Frieren", "when": "in 3s"})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("settings reminders", {"offsets": "1s"})

    await wait_until(
        lambda: len(heard(server.sim, server.announcements)) >= 2,
        7,
        "the reminder and announcement",
    )
    await asyncio.sleep(SETTLE)
    # Before: the reminder skipped by `none` stayed skipped when `1s` came back.
    assert heard(server.sim, server.announcements) == REMINDER_AND_ANNOUNCEMENT
    assert_pings(server.sim, server.announcements, {server.fans.id})


async def test_following_again_after_unfollowing_posts_each_message_once(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    clips = sim.add_channel(server.guild, name="clips")
    clip_fans = sim.add_role(server.guild, name="Clip fans", mentionable=True)
    await announce_with_reminder(server, "1s")
    await server.mod("release add", {"title": "Frieren", "when": "in 3s"})
    follow = {"show": "Frieren", "channel": clips, "role": clip_fans}
    await server.mod("follow", follow)
    gone = await server.mod("unfollow", {"show": "Frieren", "channel": clips})
    assert gone.ephemeral
    await server.mod("follow", follow)

    await wait_until(
        lambda: len(heard(sim, clips)) >= 2 and len(heard(sim, server.announcements)) >= 2,
        7,
        "both channels' reminder and announcement",
    )
    await asyncio.sleep(SETTLE)
    # Before: the rows the unfollow skipped were never revived, so #clips heard nothing.
    assert heard(sim, clips) == REMINDER_AND_ANNOUNCEMENT
    assert_pings(sim, clips, {clip_fans.id})
    assert heard(sim, server.announcements) == REMINDER_AND_ANNOUNCEMENT


def set_bot_can_send(
    sim: DiscordSimulator, guild: SimGuild, channel: SimChannel, can: bool
) -> None:
    """Deny or give back Send Messages to Airdate's role in one channel (CHANNEL_UPDATE)."""
    if can:
        channel.overwrites.pop(guild.bot_role_id, None)
    else:
        channel.overwrites[guild.bot_role_id] = Overwrite(
            target_id=guild.bot_role_id, kind=0, deny=Perm.SEND_MESSAGES
        )
    sim.world.dispatch("CHANNEL_UPDATE", channel.payload())


async def test_following_again_after_missing_permissions_posts_what_is_ahead_once(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    clips = sim.add_channel(server.guild, name="clips")
    await announce_with_reminder(server, "none")
    await server.mod("release add", {"title": "Frieren", "label": "Episode 1", "when": "in 1h"})
    await server.mod("follow", {"show": "Frieren", "channel": clips})
    set_bot_can_send(sim, server.guild, clips, can=False)
    # Episode 2 is scheduled now and falls due well after the follow is made again.
    await server.mod("release add", {"title": "Frieren", "label": "Episode 2", "when": "in 4s"})
    await server.mod("release edit", {"release": "Frieren — Episode 1", "when": "in 1s"})

    await until_told_posting_stopped(server, 5, "the guild to be told #clips was disabled")
    refused = posts_to(sim, {clips.id})
    assert refused and all(r.endswith("-> 403") for r in refused), refused
    listing = await server.mod("follows")
    assert "disabled" in listing.embeds[0]["description"]
    assert "lacks permission" in listing.embeds[0]["description"]

    set_bot_can_send(sim, server.guild, clips, can=True)
    again = await server.mod("follow", {"show": "Frieren", "channel": clips})
    assert "enabled again" in (again.content or "")
    refollowed_at = time.monotonic()
    episode_2 = ("announcement", "Frieren — Episode 2")
    await wait_until(lambda: episode_2 in heard(sim, clips), 6, "Episode 2 in #clips")
    await asyncio.sleep(SETTLE)
    # Before: the follow stayed enabled in name only; Episode 2's row for #clips was skipped.
    assert heard(sim, clips) == [episode_2]
    assert all(m.created_monotonic > refollowed_at for m in sim.messages(clips))
    assert_pings(sim, clips, set())
    announced = [k for k in heard(sim, server.announcements) if k[0] == "announcement"]
    assert announced == [("announcement", "Frieren — Episode 1"), episode_2]


async def test_a_notice_refused_for_lost_permissions_is_sent_once_followed_again(
    server: Server, airdate: RunningBot
) -> None:
    """Found by the deep property run: the refused notice was failed for good, so a
    channel followed again was never told the release had moved."""
    sim = server.sim
    clips = await clips_told_of_frieren(server)
    announced = ("announcement", "Frieren")

    set_bot_can_send(sim, server.guild, clips, can=False)
    await server.mod("release edit", {"release": "Frieren", "when": "in 2h"})
    moved = ("notice", "Frieren")
    # The control: #announcements is told; #clips refuses it and is disabled.
    await wait_until(lambda: moved in heard(sim, server.announcements), 6, "the notice")
    await until_told_posting_stopped(server, 5, "the guild to be told #clips was disabled")
    assert heard(sim, clips) == [announced]

    set_bot_can_send(sim, server.guild, clips, can=True)
    await server.mod("follow", {"show": "Frieren", "channel": clips})
    await wait_until(lambda: moved in heard(sim, clips), 5, "the notice in #clips")
    await asyncio.sleep(SETTLE)
    assert heard(sim, clips) == [announced, moved]
    assert heard(sim, server.announcements).count(moved) == 1


async def test_a_refused_retry_of_a_post_whose_answer_was_lost_is_not_posted_again(
    server: Server, airdate: RunningBot
) -> None:
    """Found in review: the retry of a notice Discord had posted (its answer lost) was
    refused for lost permissions and skipped; following again made it owed and revived
    it with its nonce cleared, and past Discord's nonce window it was posted twice."""
    sim = server.sim
    clips = await clips_told_of_frieren(server)
    announced = ("announcement", "Frieren")

    sim.fail_channel(clips, "drop_after_create", count=1)
    await server.mod("release edit", {"release": "Frieren", "when": "in 2h"})
    moved = ("notice", "Frieren")
    await wait_until(lambda: moved in heard(sim, clips), 6, "the notice whose answer is lost")
    set_bot_can_send(sim, server.guild, clips, can=False)
    await until_told_posting_stopped(server, 8, "the refused retry and the guild told")
    sim.nonce_window_seconds = 0  # later than Discord remembers the first post's nonce
    set_bot_can_send(sim, server.guild, clips, can=True)
    await server.mod("follow", {"show": "Frieren", "channel": clips})
    # The control: a release added now reaches #clips, so #clips is served again.
    await server.mod("release add", {"title": "Frieren", "label": "Episode 2", "when": "in 1s"})
    episode_2 = ("announcement", "Frieren — Episode 2")
    await wait_until(lambda: episode_2 in heard(sim, clips), 5, "Episode 2 in #clips")
    await asyncio.sleep(SETTLE)
    assert heard(sim, clips) == [announced, moved, episode_2]


async def test_a_guild_that_kicked_and_reinvited_the_bot_gets_what_is_ahead_once(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    await announce_with_reminder(server, "2s")
    await server.mod("release add", {"title": "Frieren", "when": "in 4s"})
    kicked_at = time.monotonic()
    await sim.remove_bot_from_guild(server.guild)
    # The reminder falls due while the bot is out of the guild.
    await asyncio.sleep(2.3)
    channels = set(server.guild.channels)
    assert posts_to(sim, channels, since=kicked_at) == []
    await sim.guild_restore(server.guild)  # invited back: a fresh GUILD_CREATE
    rejoined_at = time.monotonic()

    await wait_until(lambda: bool(heard(sim, server.announcements)), 4, "the announcement")
    await asyncio.sleep(SETTLE)
    # Before: the release stayed dropped after the rejoin (or its rows were doubled).
    # The reminder it missed while away is not posted late.
    assert heard(sim, server.announcements) == [("announcement", "Frieren")]
    assert all(m.created_monotonic > rejoined_at for m in sim.messages(server.announcements))
    assert_pings(sim, server.announcements, {server.fans.id})


async def test_subscribing_again_by_dm_after_unsubscribing_sends_each_dm_once(
    server: Server, airdate: RunningBot
) -> None:
    sim = server.sim
    await announce_with_reminder(server, "1s")
    await server.mod("release add", {"title": "Frieren", "when": "in 3s"})
    await server.user("subscribe", {"show": "Frieren", "via": "dm"})
    gone = await server.user("unsubscribe", {"show": "Frieren"})
    assert gone.ephemeral
    again = await server.user("subscribe", {"show": "Frieren", "via": "dm"})
    assert "DM" in (again.content or "")

    await wait_until(
        lambda: len(heard_by_dm(sim, server.member)) >= 2, 7, "the reminder and announcement DMs"
    )
    await asyncio.sleep(SETTLE)
    # Before: the DM rows the unsubscribe skipped stayed skipped.
    assert heard_by_dm(sim, server.member) == REMINDER_AND_ANNOUNCEMENT
    for message in sim.dm_messages(server.member):
        assert sim.pings(message).nobody
    assert heard(sim, server.announcements) == REMINDER_AND_ANNOUNCEMENT


async def guild_with_release(
    sim: DiscordSimulator, name: str, title: str, when: str
) -> tuple[SimGuild, SimChannel]:
    """Another guild whose moderators set a channel (no reminders) and add one release."""
    guild = sim.add_guild(name=name)
    news = sim.add_channel(guild, name="news")
    moderator = sim.add_member(guild, name=f"{name}-mod", permissions=MANAGE_GUILD)
    await mod_in(sim, guild, news, moderator, "settings channel", {"channel": news})
    await mod_in(sim, guild, news, moderator, "settings reminders", {"offsets": "none"})
    await mod_in(sim, guild, news, moderator, "release add", {"title": title, "when": when})
    return guild, news


async def test_start_up_serves_a_guild_that_reinvited_the_bot_and_drops_one_that_removed_it(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    sim = server.sim
    # Anime Hub removes the bot while it runs, then invites it back while it is down.
    await announce_with_reminder(server, "none")
    await server.mod("release add", {"title": "Frieren", "when": "in 4s"})
    await sim.remove_bot_from_guild(server.guild)
    removed = "SELECT removed_at FROM guild_settings WHERE removed_at IS NOT NULL"
    await wait_until(lambda: bool(rows(db_path, removed)), 2, "the removal recorded")
    # Gone Hub removes the bot while it is down; Quiet Hub changes nothing (the control).
    gone, gone_news = await guild_with_release(sim, "Gone Hub", "Dandadan", "in 4s")
    _, quiet_news = await guild_with_release(sim, "Quiet Hub", "Mashle", "in 4s")
    # Added last, the control falls due no earlier than the others: once it is in, they
    # were due too.
    due = [at for (at,) in rows(db_path, "SELECT starts_at FROM releases ORDER BY id")]
    assert due == sorted(due)
    await airdate.stop()
    await sim.guild_restore(server.guild)  # re-added while no bot is connected
    await sim.remove_bot_from_guild(gone)  # kicked while no bot is connected

    restarting_at = time.monotonic()
    restarted = await start_bot(sim, db_path)
    try:
        await wait_until(lambda: bool(heard(sim, quiet_news)), 6, "the control in Quiet Hub")
        await wait_until(
            lambda: bool(heard(sim, server.announcements)), 1, "Frieren in the re-joined guild"
        )
        await asyncio.sleep(SETTLE)
        assert not restarted.unexpected_errors, restarted.unexpected_errors
    finally:
        await restarted.stop()
    assert heard(sim, quiet_news) == [("announcement", "Mashle")]
    # Before: start-up never noticed Anime Hub was back, so it stayed marked removed.
    assert heard(sim, server.announcements) == [("announcement", "Frieren")]
    [message] = sim.messages(server.announcements)
    assert message.created_monotonic > restarting_at
    assert_pings(sim, server.announcements, {server.fans.id})
    # Before: start-up kept serving the guild it had left; Discord refused each post.
    assert posts_to(sim, set(gone.channels)) == []
    assert sim.messages(gone_news) == []


async def test_a_guild_that_removed_the_bot_while_it_was_down_is_not_sent_its_catch_up(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    sim = server.sim
    await announce_with_reminder(server, "none")
    await server.mod("release add", {"title": "Frieren", "when": "in 1h"})
    await airdate.stop()
    await sim.remove_bot_from_guild(server.guild)  # kicked while no bot is connected

    # An hour passes: Frieren's announcement is 10 s overdue (owed, within catch-up) as the
    # bot starts, so it is claimed at once, before READY says which guilds the bot is in.
    offset = timedelta(hours=1, seconds=10)
    removed = "SELECT removed_at FROM guild_settings WHERE removed_at IS NOT NULL"
    restarted = await start_bot(sim, db_path, clock_offset=offset)
    try:
        await wait_until(lambda: bool(rows(db_path, removed)), 2, "the removal noticed")
        await asyncio.sleep(SETTLE)
        attempted = posts_to(sim, set(server.guild.channels))
        # Invited back: what is ahead from now is owed again, in the channel as it was set.
        await sim.guild_restore(server.guild)
        await asyncio.sleep(0.2)
        await server.mod("release add", {"title": "Dandadan", "when": "in 2s"})
        await asyncio.sleep(3 + SETTLE)
        assert not restarted.unexpected_errors, restarted.unexpected_errors
    finally:
        await restarted.stop()
    # Both at once, so that a failure shows the stray post and what the guild then lost.
    seen = heard(sim, server.announcements)
    assert (attempted, seen) == ([], [("announcement", "Dandadan")])
