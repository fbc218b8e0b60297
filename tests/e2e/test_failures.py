"""Whatever Discord answers, every owed message is delivered once or settled for a reason."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.simulator.models import SimChannel
from tests.support.harness import FAST_POLICY, RunningBot, rows, start_bot, wait_until

MESSAGES = r"/channels/\d+/messages"


async def follow_clips(server: Server) -> SimChannel:
    """#announcements gets everything; #clips follows the show too. No reminders."""
    clips = server.sim.add_channel(server.guild, name="clips")
    await server.sim.wait_for_gateway()
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("release add", {"title": "Frieren", "when": "in 1h"})
    await server.mod("follow", {"show": "Frieren", "channel": clips})
    return clips


async def release_now(server: Server, title: str = "Frieren", seconds: int = 2) -> None:
    await server.mod("release edit", {"release": title, "when": f"in {seconds}s"})


def statuses(db_path: Path) -> list[str]:
    """The state of each delivery of the releases' current revisions."""
    return [
        status
        for (status,) in rows(
            db_path,
            "SELECT d.status FROM deliveries d JOIN releases r ON r.id = d.release_id "
            "WHERE d.revision = r.revision ORDER BY d.id",
        )
    ]


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("status", 429, 0),
        ("status", 500, 0),
        ("status", 502, 0),
        ("status", 503, 130000),
        ("status", 504, 0),
        ("hang", 0, 0),
        ("drop", 0, 0),
    ],
    ids=["429", "500", "502", "503", "504", "timeout", "dropped-connection"],
)
async def test_transient_failures_are_retried_and_nothing_is_lost(
    server: Server, airdate: RunningBot, db_path: Path, mode: str, status: int, code: int
) -> None:
    clips = await follow_clips(server)
    server.sim.fail_channel(clips, mode, status=status, code=code, count=1)
    await release_now(server)
    await wait_until(lambda: len(server.sim.messages(clips)) == 1, 10, "the retried message")
    await wait_until(lambda: statuses(db_path) == ["sent", "sent"], 3, "both rows sent")
    assert len(server.sim.messages(server.announcements)) == 1
    if status == 429:
        assert server.sim.count_429s >= 1


async def test_a_reminder_failing_until_its_release_is_failed_not_retried_forever(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "2s"})
    await server.mod("release add", {"title": "Ruined", "when": "in 1h"})
    server.sim.fail_channel(server.announcements, "status", status=503, code=130000, count=4)
    await release_now(server, "Ruined", seconds=4)
    # The reminder fails at 2 s and 4 s (backoff), after which its release has started.
    await wait_until(lambda: "failed" in statuses(db_path), 10, "the reminder to fail")
    kinds = dict(rows(db_path, "SELECT kind, status FROM deliveries"))
    assert kinds["reminder"] == "failed"


async def test_invalid_form_body_fails_once_and_is_never_retried(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    clips = await follow_clips(server)
    server.sim.fail_channel(clips, "status", status=400, code=50035, count=None)
    await release_now(server)
    await wait_until(lambda: "failed" in statuses(db_path), 5, "the refused message to fail")
    await asyncio.sleep(2.5)
    creates = [r for r in server.sim.requests if r.method == "POST" and str(clips.id) in r.path]
    assert len(creates) == 1
    assert sorted(statuses(db_path)) == ["failed", "sent"]


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (403, 50001, "missing access"),
        (403, 50013, "lacks permission"),
        (404, 10003, "no longer exists"),
    ],
    ids=["50001", "50013", "10003"],
)
async def test_a_channel_airdate_cannot_post_in_is_disabled_and_the_guild_told_once(
    server: Server,
    airdate: RunningBot,
    db_path: Path,
    status: int,
    code: int,
    reason: str,
) -> None:
    clips = await follow_clips(server)
    await server.mod("release add", {"title": "Frieren", "label": "Movie", "when": "in 1h"})
    server.sim.fail_channel(clips, "status", status=status, code=code, count=None)
    await release_now(server)
    await wait_until(
        lambda: any(
            "stopped posting" in m.content for m in server.sim.messages(server.announcements)
        ),
        5,
        "the guild to be told",
    )
    await server.mod("release edit", {"release": "Frieren — Movie", "when": "in 2s"})
    await asyncio.sleep(3)
    told = [m for m in server.sim.messages(server.announcements) if "stopped posting" in m.content]
    assert len(told) == 1 and f"<#{clips.id}>" in told[0].content
    assert server.sim.pings(told[0]).nobody
    listing = await server.mod("follows")
    assert "disabled" in listing.embeds[0]["description"]
    assert reason in listing.embeds[0]["description"]
    # Following again re-enables it.
    server.sim.clear_faults()
    again = await server.mod("follow", {"show": "Frieren", "channel": clips})
    assert "enabled again" in (again.content or "")


async def test_when_the_announcement_channel_breaks_the_system_channel_is_told(
    server: Server, airdate: RunningBot
) -> None:
    await follow_clips(server)
    server.sim.fail_channel(server.announcements, "status", status=403, code=50013, count=None)
    await release_now(server)
    general = server.guild.system_channel_id
    assert general is not None
    await wait_until(
        lambda: any("stopped posting" in m.content for m in server.sim.messages(general)),
        5,
        "the system channel to be told",
    )


async def test_a_deleted_channel_gets_nothing_more(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    clips = await follow_clips(server)
    await server.sim.delete_channel(clips)
    await asyncio.sleep(0.3)
    await release_now(server)
    await wait_until(lambda: len(server.sim.messages(server.announcements)) == 1, 5, "the post")
    await asyncio.sleep(0.5)
    posts = [r for r in server.sim.requests if r.method == "POST" and str(clips.id) in r.path]
    assert posts == []
    listing = await server.mod("follows")
    assert "deleted" in listing.embeds[0]["description"]


async def test_a_guild_that_removed_the_bot_gets_nothing_more(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await follow_clips(server)
    await release_now(server, seconds=3)
    await server.sim.remove_bot_from_guild(server.guild)
    await asyncio.sleep(4)
    assert server.sim.message_count == 0
    assert set(statuses(db_path)) == {"skipped"}


async def test_an_outage_changes_nothing_and_delivery_resumes_when_the_guild_returns(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    clips = await follow_clips(server)
    await release_now(server, seconds=2)
    await server.sim.guild_outage(server.guild)
    await asyncio.sleep(3)
    assert server.sim.message_count == 0
    await server.sim.guild_restore(server.guild)
    await wait_until(
        lambda: (
            len(server.sim.messages(clips)) == 1
            and len(server.sim.messages(server.announcements)) == 1
        ),
        5,
        "both messages after the outage",
    )
    listing = await server.mod("follows")
    assert "disabled" not in listing.embeds[0]["description"]


@pytest.mark.parametrize("kind", ["announcement", "reminder"])
async def test_a_lease_that_expired_beyond_the_nonce_window_is_not_resent_blindly(
    sim_short_nonce: None, server: Server, airdate: RunningBot, db_path: Path, kind: str
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    offsets = "2s" if kind == "reminder" else "none"
    await server.mod("settings reminders", {"offsets": offsets})
    server.sim.fail_next("POST", MESSAGES, mode="hang_after_create")
    await server.mod(
        "release add", {"title": "Lost", "when": "in 4s" if kind == "reminder" else "in 2s"}
    )
    await wait_until(lambda: server.sim.message_count == 1, 5, "Discord to accept the message")
    await airdate.stop()  # the bot dies before recording it
    # The claim's lookahead (1 s) and lease (2 s), then Discord's (shortened) nonce window.
    await asyncio.sleep(4.5)

    policy = replace(FAST_POLICY, nonce_window=timedelta(seconds=1))
    restarted = await start_bot(server.sim, db_path, policy=policy)
    try:
        await wait_until(
            lambda: (
                rows(db_path, "SELECT status FROM deliveries WHERE kind = ?", (kind,))
                != [("sending",)]
            ),
            6,
            "the row to settle",
        )
        await asyncio.sleep(0.5)
        [(status,)] = rows(db_path, "SELECT status FROM deliveries WHERE kind = ?", (kind,))
        # Looked for before anything is sent again: found, so recorded as sent, once. A
        # stale reminder is never sent again; an announcement would be if it were missing.
        assert status == "sent" and restarted.bot.delivery.stats.found_after_lease == 1
        if kind == "announcement":
            assert server.sim.message_count == 1
        else:
            lines = [m.content for m in server.sim.messages(server.announcements)]
            assert sum("premieres" in line for line in lines) == 1
    finally:
        await restarted.stop()
