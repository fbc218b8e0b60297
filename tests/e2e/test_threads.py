"""Discussion threads on announcements, and forum posts, through the simulated Discord."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.simulator.models import SimChannel
from tests.simulator.permissions import Perm
from tests.support.harness import RunningBot, rows, wait_until

FORUM = 15
NEWS = 5


def bot_messages(server: Server, channel: SimChannel) -> list[str]:
    return [m.content for m in server.sim.messages(channel)]


async def test_an_announcement_starts_its_discussion_thread_and_a_reminder_none(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "2s"})
    reply = await server.mod("settings threads", {"enabled": True, "archive": "3d"})
    assert "starts a discussion thread" in (reply.content or "")
    assert "lacks" not in (reply.content or "")
    await server.mod("release add", {"title": "Oshi no Ko", "label": "Season 2", "when": "in 3s"})

    await wait_until(lambda: len(server.sim.threads_in(server.announcements)) == 1, 8, "a thread")
    reminder, announcement = server.sim.messages(server.announcements)
    assert "premieres" in reminder.content and "is out" in announcement.content
    [thread] = server.sim.threads_in(server.announcements)
    # On the announcement (a thread has its starter message's id), not on the reminder.
    assert thread.id == announcement.id
    assert thread.name == "Oshi no Ko — Season 2 discussion"
    assert thread.auto_archive_duration == 4320
    await asyncio.sleep(0.5)
    assert len(server.sim.threads_in(server.announcements)) == 1


async def test_no_thread_while_the_setting_is_off(server: Server, airdate: RunningBot) -> None:
    news = server.sim.add_channel(server.guild, "news", kind=NEWS)
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("follow", {"show": "all", "channel": news})
    await server.mod("settings threads", {"enabled": True})
    reply = await server.mod("settings threads", {"enabled": False})
    assert "no longer" in (reply.content or "")
    await server.mod("release add", {"title": "Frieren", "when": "in 2s"})
    await wait_until(lambda: len(server.sim.messages(news)) == 1, 6, "the announcement")
    await wait_until(lambda: len(server.sim.messages(server.announcements)) == 1, 2, "the other")
    await asyncio.sleep(0.5)
    assert server.sim.threads_in(news) == []
    assert server.sim.threads_in(server.announcements) == []
    # The control: turned on again, the next announcement gets its thread (1 day default).
    await server.mod("settings threads", {"enabled": True})
    await server.mod("release add", {"title": "Dandadan", "when": "in 2s"})
    await wait_until(lambda: len(server.sim.threads_in(news)) == 1, 6, "a thread in #news")
    [thread] = server.sim.threads_in(news)
    assert thread.name == "Dandadan discussion" and thread.auto_archive_duration == 1440


async def test_announcements_due_together_each_get_their_own_message_and_thread(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("settings threads", {"enabled": True})
    when = "in 3s"
    for title in ("Frieren", "Dandadan", "Kaiju No. 8"):
        await server.mod("release add", {"title": title, "when": when})
    await wait_until(lambda: len(server.sim.threads_in(server.announcements)) == 3, 8, "threads")
    messages = server.sim.messages(server.announcements)
    assert len(messages) == 3
    names = {t.id: t.name for t in server.sim.threads_in(server.announcements)}
    for message in messages:
        [embed] = message.embeds
        assert names[message.id] == f"{embed['title']} discussion"


async def test_a_long_title_is_cut_to_a_hundred_characters_keeping_the_label(
    server: Server, airdate: RunningBot
) -> None:
    title = "A Very Long Light Novel Title " * 8
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("settings threads", {"enabled": True, "archive": "1h"})
    await server.mod(
        "release add", {"title": title.strip(), "label": "Episode 12", "when": "in 2s"}
    )
    await wait_until(lambda: len(server.sim.threads_in(server.announcements)) == 1, 6, "thread")
    [thread] = server.sim.threads_in(server.announcements)
    assert len(thread.name) <= 100
    assert thread.name.startswith("A Very Long Light Novel Title")
    assert thread.name.endswith("… — Episode 12 discussion")
    assert thread.auto_archive_duration == 60


async def test_without_create_public_threads_the_announcement_still_goes_out(
    server: Server, airdate: RunningBot, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.sim.deny_bot(server.announcements, Perm.CREATE_PUBLIC_THREADS)
    reply = await server.mod("settings threads", {"enabled": True})
    text = reply.content or ""
    assert f"<#{server.announcements.id}> lacks Create Public Threads" in text
    assert "Send Messages in Threads" not in text
    view = await server.mod("settings view")
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Discussion threads"]
    assert f"<#{server.announcements.id}> lacks Create Public Threads" in field["value"]

    await server.mod("release add", {"title": "Frieren", "when": "in 2s"})
    await server.mod("release add", {"title": "Dandadan", "when": "in 4s"})
    await wait_until(lambda: len(server.sim.messages(server.announcements)) == 2, 8, "both")
    await wait_until(
        lambda: rows(db_path, "SELECT status FROM thread_starts") == [("failed",), ("failed",)],
        4,
        "the thread starts given up",
    )
    assert server.sim.threads_in(server.announcements) == []
    # Refused once each, never retried; the channel was not disabled.
    starts = [r for r in server.sim.requests if r.path.endswith("/threads")]
    assert [r.status for r in starts] == [403, 403]
    assert rows(db_path, "SELECT channel_disabled_reason FROM guild_settings") == [(None,)]
    said = [r.getMessage() for r in caplog.records if "no discussion thread" in r.getMessage()]
    assert len(said) == 2 and all("Create Public Threads" in line for line in said)
    # Given the permission back, the next announcement gets its thread.
    await server.sim.deny_bot(server.announcements, 0)
    await server.mod("release add", {"title": "Kaiju No. 8", "when": "in 2s"})
    await wait_until(lambda: len(server.sim.threads_in(server.announcements)) == 1, 6, "thread")
    view = await server.mod("settings view")
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Discussion threads"]
    assert "lacks" not in field["value"] and field["value"].startswith("On")


async def test_a_forum_gets_one_post_per_release_holding_all_its_messages(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    forum = server.sim.add_channel(server.guild, "anime-forum", kind=FORUM)
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "2s"})
    reply = await server.mod("follow", {"show": "all", "channel": forum})
    assert "anime-forum" in (reply.content or "") or str(forum.id) in (reply.content or "")
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 3s"})
    await server.mod("release add", {"title": "Dandadan", "when": "in 3s"})

    # The control: a plain channel gets both releases together, reminder then announcement.
    await wait_until(lambda: len(server.sim.messages(server.announcements)) == 2, 8, "control")
    await wait_until(
        lambda: sum(len(server.sim.messages(p)) for p in server.sim.threads_in(forum)) == 4,
        4,
        "both releases' reminder and announcement in the forum",
    )
    posts = server.sim.threads_in(forum)
    assert sorted(p.name for p in posts) == ["Dandadan", "Frieren — Season 2"]
    for post in posts:
        starter, announcement = server.sim.messages(post)
        assert starter.id == post.id  # the reminder opened the post
        assert "premieres" in starter.content and "is out" in announcement.content
        assert post.name.split(" — ")[0] in announcement.content
    assert server.sim.threads_in(forum) == posts  # no other post, no thread in a post
    assert all(server.sim.threads_in(p) == [] for p in posts)
    assert len(rows(db_path, "SELECT thread_id FROM forum_posts WHERE thread_id IS NOT NULL")) == 2


async def test_a_deleted_forum_post_is_replaced_and_threads_never_start_inside_posts(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    forum = server.sim.add_channel(server.guild, "anime-forum", kind=FORUM)
    await server.mod("settings reminders", {"offsets": "2s"})
    await server.mod("settings threads", {"enabled": True})
    await server.mod("settings channel", {"channel": forum})
    await server.mod("release add", {"title": "Frieren", "when": "in 3s"})
    await wait_until(lambda: len(server.sim.threads_in(forum)) == 1, 6, "the post")
    [first] = server.sim.threads_in(forum)
    # A moderator deletes the post before the announcement.
    await server.sim.delete_channel(first)
    await wait_until(lambda: len(server.sim.threads_in(forum)) == 1, 8, "a new post")
    [second] = server.sim.threads_in(forum)
    assert second.id != first.id and second.name == "Frieren"
    [announcement] = server.sim.messages(second)
    assert "is out" in announcement.content
    await asyncio.sleep(0.5)
    # The forum still works (not disabled), and no thread was started on a post's message.
    assert rows(db_path, "SELECT channel_disabled_reason FROM guild_settings") == [(None,)]
    assert rows(db_path, "SELECT count(*) FROM thread_starts") == [(0,)]
    assert rows(db_path, "SELECT thread_id FROM forum_posts") == [(second.id,)]


async def test_a_forum_lacking_send_messages_in_threads_is_named(
    server: Server, airdate: RunningBot
) -> None:
    forum = server.sim.add_channel(server.guild, "anime-forum", kind=FORUM)
    await server.mod("follow", {"show": "all", "channel": forum})
    view = await server.mod("settings view")
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Discussion threads"]
    assert field["value"].startswith("Off") and "lacks" not in field["value"]
    await server.sim.deny_bot(forum, Perm.SEND_MESSAGES_IN_THREADS)
    view = await server.mod("settings view")
    [field] = [f for f in view.embeds[0]["fields"] if f["name"] == "Discussion threads"]
    assert f"<#{forum.id}> lacks Send Messages in Threads" in field["value"]
    reply = await server.mod("settings threads", {"enabled": False})
    assert f"<#{forum.id}> lacks Send Messages in Threads" in (reply.content or "")


async def test_a_thread_start_that_fails_passingly_is_retried_once_more(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("settings threads", {"enabled": True})
    server.sim.fail_next("POST", r"/messages/\d+/threads$", "status", status=503, count=1)
    await server.mod("release add", {"title": "Frieren", "when": "in 2s"})
    await wait_until(lambda: len(server.sim.threads_in(server.announcements)) == 1, 10, "thread")
    starts = [r.status for r in server.sim.requests if r.path.endswith("/threads")]
    assert starts == [503, 200]
    assert rows(db_path, "SELECT status, attempts FROM thread_starts") == [("started", 2)]
    assert len(server.sim.messages(server.announcements)) == 1
