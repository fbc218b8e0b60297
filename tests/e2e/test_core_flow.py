"""A moderator schedules releases; the channel hears about them on time, once, safely."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from tests.conftest import Server
from tests.support.harness import RunningBot, dump_database, rows, start_bot, wait_until

MESSAGES_ROUTE = r"/channels/\d+/messages"


def posted(server: Server) -> list[str]:
    return [m.content for m in server.sim.messages(server.announcements)]


async def setup_channel(server: Server, offsets: str) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": offsets})


async def test_reminder_then_announcement_arrive_on_time(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "2s")
    reply = await server.mod(
        "release add", {"title": "Oshi no Ko", "label": "Season 2", "when": "in 4s"}
    )
    assert reply.ephemeral
    assert "1 reminder and the announcement" in (reply.content or "")

    await wait_until(lambda: len(posted(server)) == 2, 8, "a reminder and an announcement")
    reminder, announcement = server.sim.messages(server.announcements)
    assert "**Oshi no Ko — Season 2** premieres <t:" in reminder.content
    assert "is out" in announcement.content
    assert announcement.embeds[0]["title"] == "Oshi no Ko — Season 2"
    due = {kind: due_at for kind, due_at in rows(db_path, "SELECT kind, due_at FROM deliveries")}
    assert 0 <= reminder.created_at - due["reminder"] < 1.0
    assert 0 <= announcement.created_at - due["announcement"] < 1.0
    await asyncio.sleep(1)
    assert len(posted(server)) == 2


async def test_moving_a_release_later_sends_one_notice_and_reschedules(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "1h 3s")
    await server.mod("release add", {"title": "Frieren", "when": "in 5s"})
    await wait_until(lambda: len(posted(server)) == 1, 6, "the 3 s reminder")

    [(original,)] = rows(db_path, "SELECT starts_at FROM releases")
    await server.mod("release edit", {"release": "Frieren", "when": "in 2h"})
    # A burst of edits within the debounce window makes one notice with the final time.
    reply = await server.mod("release edit", {"release": "Frieren", "when": "in 3h"})
    assert "notice" in (reply.content or "")
    await wait_until(lambda: len(posted(server)) == 2, 4, "the date-change notice")
    notice = posted(server)[1]
    assert "has moved" in notice
    # The notice compares with what members were told, not with the intermediate edit.
    [(final,)] = rows(db_path, "SELECT starts_at FROM releases")
    assert f"was <t:{original}:F>, now <t:{final}:F>" in notice
    await asyncio.sleep(4)  # past the old announcement time: nothing is posted there
    assert len(posted(server)) == 2
    listing = await server.user("upcoming")
    assert "Frieren" in listing.embeds[0]["description"]


async def test_removed_release_posts_nothing_more(server: Server, airdate: RunningBot) -> None:
    await setup_channel(server, "1s")
    await server.mod("release add", {"title": "Dandadan", "when": "in 3s"})
    # A control due just after it: its posts show the channel was being posted to.
    await server.mod("release add", {"title": "Frieren", "when": "in 4s"})
    reply = await server.mod("release remove", {"release": "Dandadan"})
    assert "Cancelled" in (reply.content or "")
    await wait_until(
        lambda: any("Frieren** is out" in text for text in posted(server)),
        8,
        "the control's announcement",
    )
    await asyncio.sleep(0.5)
    messages = server.sim.messages(server.announcements)
    assert len(messages) == 2  # the control's reminder and announcement
    assert not [m for m in messages if "Dandadan" in m.content + str(m.embeds)]
    listing = await server.user("upcoming")
    assert "Dandadan" not in str(listing.embeds)


async def test_member_without_manage_server_is_refused_and_nothing_changes(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "1d")
    before = dump_database(db_path)
    attempts: list[tuple[str, dict[str, object]]] = [
        ("release add", {"title": "Sneaky", "when": "in 1h"}),
        ("settings channel", {"channel": server.general}),
        ("settings reminders", {"offsets": "none"}),
        ("settings timezone", {"zone": "Asia/Tokyo"}),
    ]
    for command, options in attempts:
        reply = await server.user(command, options)
        assert reply.ephemeral
        assert "Manage Server" in (reply.content or "")
    assert dump_database(db_path) == before


async def test_user_text_pings_nobody(server: Server, airdate: RunningBot) -> None:
    await setup_channel(server, "none")
    title = f"@everyone @here <@&{server.fans.id}> <@{server.member.id}>"
    await server.mod(
        "release add",
        {"title": title, "label": "@everyone", "when": "in 2s", "description": "@everyone look"},
    )
    await wait_until(lambda: len(posted(server)) == 1, 5, "the announcement")
    message = server.sim.messages(server.announcements)[0]
    assert server.sim.pings(message).nobody


async def test_ping_role_is_the_only_mention(server: Server, airdate: RunningBot) -> None:
    await setup_channel(server, "none")
    await server.mod("settings role", {"role": server.fans})
    await server.mod("release add", {"title": "@everyone party", "when": "in 2s"})
    await wait_until(lambda: len(posted(server)) == 1, 5, "the announcement")
    pings = server.sim.pings(server.sim.messages(server.announcements)[0])
    assert pings.roles == frozenset({server.fans.id})
    assert not pings.everyone and not pings.users


async def test_a_new_bot_catches_up_after_downtime(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "3h 1h")
    await server.mod("release add", {"title": "Long gone", "when": "in 30m"})
    await server.mod("release add", {"title": "Recently out", "when": "in 3h"})
    await server.mod("release add", {"title": "Still ahead", "when": "in 9h"})
    await airdate.stop()

    # Seven hours pass with no bot running; a new one starts on the same database.
    later = await start_bot(server.sim, db_path, clock_offset=timedelta(hours=7))
    try:
        await wait_until(lambda: len(posted(server)) >= 1, 5, "the catch-up message")
        await asyncio.sleep(1)
    finally:
        await later.stop()
    # Both were due when the bot came back, so they arrive together as one message.
    [message] = server.sim.messages(server.announcements)
    lines = message.content.splitlines()
    [recent] = [line for line in lines if "Recently out" in line]
    [ahead] = [line for line in lines if "Still ahead" in line]
    assert "is out" in recent and "Posted late" in recent
    assert "premieres" in ahead
    assert "Long gone" not in message.content
    assert [e["title"] for e in message.embeds] == ["Recently out", "Still ahead"]
    statuses = rows(
        db_path,
        "SELECT s.title, d.kind, d.status FROM deliveries d "
        "JOIN releases r ON r.id = d.release_id JOIN shows s ON s.id = r.show_id",
    )
    assert ("Long gone", "announcement", "skipped") in statuses
    assert ("Recently out", "reminder", "skipped") in statuses


async def test_crash_after_discord_accepted_a_message_does_not_duplicate_it(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "none")
    server.sim.fail_next("POST", MESSAGES_ROUTE, mode="hang_after_create")
    await server.mod("release add", {"title": "Kaiju No. 8", "when": "in 2s"})
    await wait_until(lambda: len(posted(server)) == 1, 5, "Discord to accept the message")
    await airdate.stop()  # the bot dies before it records the message as sent

    restarted = await start_bot(server.sim, db_path)
    try:
        await wait_until(
            lambda: rows(db_path, "SELECT status FROM deliveries") == [("sent",)],
            8,
            "the restarted bot to settle the delivery",
        )
    finally:
        await restarted.stop()
    assert len(posted(server)) == 1
    assert server.sim.nonce_hits == 1
    first = server.sim.messages(server.announcements)[0]
    assert rows(db_path, "SELECT message_id FROM deliveries") == [(first.id,)]


async def test_a_release_cancelled_after_its_message_was_queued_is_not_posted(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await setup_channel(server, "none")
    await server.mod("release add", {"title": "Last minute", "when": "in 3s"})
    # Messages are claimed and queued shortly before they are due.
    await wait_until(
        lambda: rows(db_path, "SELECT status FROM deliveries") == [("sending",)],
        4,
        "the announcement to be queued",
    )
    await server.mod("release remove", {"release": "Last minute"})
    await asyncio.sleep(2)
    assert posted(server) == []
    assert rows(db_path, "SELECT status FROM deliveries") == [("skipped",)]
