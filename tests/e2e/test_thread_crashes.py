"""A thread or forum post whose attempt was cut short (SIGKILL, no answer) ends up once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.services.audiences import FollowService
from bot.services.changes import Changes
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.services.settings import SettingsService
from bot.services.threads import ThreadSettings
from bot.storage.database import Database
from tests.conftest import Server
from tests.simulator import DiscordSimulator
from tests.simulator.models import SimChannel
from tests.support.harness import rows, start_bot, start_bot_process, wait_until

FORUM = 15


async def seed(
    db_path: Path,
    guild_id: int,
    *,
    channel_id: int | None = None,
    forum_id: int | None = None,
    threads: bool = False,
    offsets: str = "none",
    due_in_seconds: int = 3,
) -> None:
    """Store what moderators would have set up, and one release due soon."""
    database = await Database.open(db_path)
    try:
        changes = Changes(database, utcnow, lambda guild_id: None)
        await SettingsService(changes).set_offsets(guild_id, offsets)
        if channel_id is not None:
            await SettingsService(changes).set_channel(guild_id, channel_id)
        if threads:
            await ThreadSettings(changes).set(guild_id, True, None)
        if forum_id is not None:
            await ThreadSettings(changes).remember_forum(guild_id, forum_id)
            await FollowService(changes).follow(guild_id, forum_id, "all", None, episodes=True)
        await ReleaseService(changes).add(
            guild_id,
            ReleaseDraft(title="Frieren", label="Season 2", when=f"in {due_in_seconds}s"),
        )
    finally:
        await database.close()


async def run_until_killed(sim: DiscordSimulator, db_path: Path, killed_when: str) -> None:
    """Start the bot as a process and SIGKILL it once a request matching the path is made."""
    process = await start_bot_process(sim, db_path, rate=40, lease_seconds=2)
    try:
        await wait_until(lambda: any(killed_when in r.path for r in sim.requests), 15, killed_when)
        await asyncio.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def run_until(sim: DiscordSimulator, db_path: Path, done: str) -> None:
    survivor = await start_bot_process(sim, db_path, rate=40, lease_seconds=2)
    try:
        await wait_until(lambda: rows(db_path, done) == [(1,)], 20, done)
        await asyncio.sleep(1.0)  # anything doubled would show by now
    finally:
        survivor.send_signal(signal.SIGTERM)
        await survivor.wait()


@pytest.mark.parametrize(
    ("fault_path", "mode"),
    [
        # Killed while the thread request hangs: the message is out, the thread is not.
        (r"/messages/\d+/threads$", "hang"),
        # The thread was made but its answer never came: the restart meets 160004.
        (r"/messages/\d+/threads$", "hang_after_create"),
        # The message was posted but its answer never came: nothing recorded yet.
        (r"/channels/\d+/messages$", "hang_after_create"),
    ],
)
async def test_sigkill_between_the_announcement_and_its_thread_ends_with_one_of_each(
    sim: DiscordSimulator, db_path: Path, fault_path: str, mode: str
) -> None:
    guild = sim.add_guild("Anime Hub")
    channel = sim.add_channel(guild, "announcements")
    await seed(db_path, guild.id, channel_id=channel.id, threads=True)
    sim.fail_next("POST", fault_path, mode, count=1)
    killed_when = "/threads" if "threads" in fault_path else "/messages"
    await run_until_killed(sim, db_path, killed_when)
    assert len(sim.threads_in(channel)) == (
        1 if mode == "hang_after_create" and killed_when == "/threads" else 0
    )

    await run_until(sim, db_path, "SELECT count(*) FROM thread_starts WHERE status = 'started'")
    [message] = sim.messages(channel)
    assert "is out" in message.content
    [thread] = sim.threads_in(channel)
    assert thread.id == message.id and thread.name == "Frieren — Season 2 discussion"
    assert rows(db_path, "SELECT status, message_id FROM deliveries") == [("sent", message.id)]


async def test_sigkill_after_a_forum_post_was_made_but_not_answered_leaves_one_post(
    sim: DiscordSimulator, db_path: Path
) -> None:
    guild = sim.add_guild("Anime Hub")
    forum = sim.add_channel(guild, "anime-forum", kind=FORUM)
    await seed(db_path, guild.id, forum_id=forum.id, offsets="2s", due_in_seconds=4)
    sim.fail_next("POST", rf"^/channels/{forum.id}/threads$", "hang_after_create", count=1)
    await run_until_killed(sim, db_path, f"/channels/{forum.id}/threads")
    assert len(sim.threads_in(forum)) == 1  # the post exists; the bot never heard so

    await run_until(
        sim,
        db_path,
        "SELECT count(*) FROM deliveries WHERE kind = 'announcement' AND status = 'sent'",
    )
    [post] = sim.threads_in(forum)
    assert post.name == "Frieren — Season 2"
    reminder, announcement = sim.messages(post)
    assert reminder.id == post.id and "premieres" in reminder.content
    assert "is out" in announcement.content
    # It looked among the active threads before creating another.
    assert any(r.path.endswith("/threads/active") for r in sim.requests)
    assert rows(db_path, "SELECT thread_id FROM forum_posts") == [(post.id,)]


async def test_a_forum_post_whose_answer_was_lost_is_found_not_made_twice(
    server: Server, db_path: Path
) -> None:
    forum: SimChannel = server.sim.add_channel(server.guild, "anime-forum", kind=FORUM)
    await seed(db_path, server.guild.id, forum_id=forum.id, due_in_seconds=2)
    # The post is made, then the connection drops (as a 5xx after sending would leave it).
    server.sim.fail_next("POST", rf"^/channels/{forum.id}/threads$", "drop_after_create")
    running = await start_bot(server.sim, db_path)
    try:
        await wait_until(
            lambda: rows(db_path, "SELECT status FROM deliveries") == [("sent",)], 10, "sent"
        )
    finally:
        await running.stop()
    [post] = server.sim.threads_in(forum)
    [message] = server.sim.messages(post)
    assert message.id == post.id and "is out" in message.content
    creates = [r for r in server.sim.requests if r.path == f"/channels/{forum.id}/threads"]
    assert len(creates) == 1
