"""`/settings events`: highlights mirrored as Discord scheduled events, end to end."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.domain.scheduled_events import MirrorSetting
from bot.services.changes import Changes
from bot.services.releases import ReleaseDraft, ReleaseService
from bot.storage import scheduled_events as event_store
from bot.storage.database import Database
from tests.conftest import Server
from tests.simulator.events import ACTIVE, CANCELED, SimEvent
from tests.simulator.permissions import BOT_ROLE_DEFAULT, Perm
from tests.support.harness import RunningBot, rows, start_bot, start_bot_process, wait_until

#: Within 10 s of a change, as the contract says.
CHANGE_SECONDS = 10
EVENT_ROUTE = r"^/guilds/\d+/scheduled-events"


def events(server: Server) -> list[SimEvent]:
    return server.sim.scheduled_events(server.guild)


def names(server: Server) -> list[str]:
    return [event.name for event in events(server)]


def event_requests(server: Server, method: str) -> int:
    return sum(
        1
        for r in server.sim.requests
        if r.method == method and r.path.startswith(f"/guilds/{server.guild.id}/scheduled-events")
    )


def release_start(db_path: Path, label: str) -> float:
    [(starts_at,)] = rows(db_path, "SELECT starts_at FROM releases WHERE label = ?", (label,))
    return float(starts_at)


def grant_create_events(server: Server) -> None:
    server.guild.roles[server.guild.bot_role_id].permissions = BOT_ROLE_DEFAULT | Perm.CREATE_EVENTS


@pytest.fixture
async def mirror(server: Server, db_path: Path) -> AsyncIterator[RunningBot]:
    """The bot, holding Create Events, with events turned on."""
    grant_create_events(server)
    running = await start_bot(server.sim, db_path)
    reply = await server.mod("settings events", {"enabled": True})
    assert "Scheduled events are on" in (reply.content or "")
    assert "has the **Create Events** permission" in (reply.content or "")
    yield running
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


async def test_highlights_get_events_and_regular_episodes_do_not(
    server: Server, mirror: RunningBot, db_path: Path
) -> None:
    await server.mod(
        "release add",
        {
            "title": "Frieren",
            "label": "Episode 5",
            "when": "in 2h",
            "description": "An elf mage outlives her party.",
        },
    )
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 3h"})
    await server.mod("release add", {"title": "Dandadan", "label": "Movie", "when": "2030-05-01"})
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the season's event")
    [event] = events(server)
    assert event.name == "Frieren — Season 2"
    assert event.entity_type == 3 and event.privacy_level == 2 and event.channel_id is None
    assert event.location == "Frieren"
    assert event.start == release_start(db_path, "Season 2")
    assert event.end == event.start + 30 * 60
    # Neither the regular episode nor the day-precision movie: still only the one.
    await asyncio.sleep(1.5)
    assert names(server) == ["Frieren — Season 2"]
    view = await server.mod("settings view")
    field = next(f for f in view.embeds[0]["fields"] if f["name"] == "Discord scheduled events")
    assert field["value"].startswith("On: ")


async def test_a_moved_release_moves_its_event_and_a_cancelled_one_cancels_it(
    server: Server, mirror: RunningBot, db_path: Path
) -> None:
    await server.mod("release add", {"title": "Oshi no Ko", "label": "Season 3", "when": "in 2h"})
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the event")
    [event] = events(server)
    await server.mod(
        "release edit", {"release": "Oshi no Ko — Season 3", "when": "in 5h", "label": "Finale"}
    )
    moved = release_start(db_path, "Finale")
    await wait_until(
        lambda: [(e.start, e.name) for e in events(server)] == [(moved, "Oshi no Ko — Finale")],
        CHANGE_SECONDS,
        "the event to move and be renamed",
    )
    assert events(server)[0].id == event.id
    assert server.sim.events_created == 1

    await server.mod("release remove", {"release": "Oshi no Ko — Finale"})
    await wait_until(lambda: not events(server), CHANGE_SECONDS, "the event to be cancelled")
    [cancelled] = server.sim.scheduled_events(server.guild, statuses=(CANCELED,))
    assert cancelled.id == event.id
    assert server.sim.events_created == 1


async def test_the_nearest_highlights_only_a_nearer_one_displaces_the_farthest(
    server: Server, db_path: Path
) -> None:
    grant_create_events(server)
    running = await start_bot(server.sim, db_path, events_per_guild=2)
    try:
        await server.mod("settings events", {"enabled": True})
        for label, when in (("Season 1", "in 2h"), ("Season 2", "in 3h"), ("Season 3", "in 4h")):
            await server.mod("release add", {"title": "Show", "label": label, "when": when})
        await wait_until(
            lambda: names(server) == ["Show — Season 1", "Show — Season 2"],
            CHANGE_SECONDS,
            "the two nearest",
        )
        await server.mod("release add", {"title": "Show", "label": "Special", "when": "in 1h"})
        await wait_until(
            lambda: names(server) == ["Show — Special", "Show — Season 1"],
            CHANGE_SECONDS,
            "the special to take the farthest one's place",
        )
        assert event_requests(server, "DELETE") == 1  # Season 2's event was deleted
        # A freed slot goes to the next highlight.
        await server.mod("release remove", {"release": "Show — Special"})
        await wait_until(
            lambda: names(server) == ["Show — Season 1", "Show — Season 2"],
            CHANGE_SECONDS,
            "season 2 back in the freed slot",
        )
        await asyncio.sleep(1)
        assert names(server) == ["Show — Season 1", "Show — Season 2"]
    finally:
        await running.stop()


async def test_an_event_a_moderator_deleted_is_not_made_again_and_keeps_its_slot(
    server: Server, db_path: Path
) -> None:
    grant_create_events(server)
    running = await start_bot(server.sim, db_path, events_per_guild=2)
    try:
        await server.mod("settings events", {"enabled": True})
        for label, when in (("Season 1", "in 2h"), ("Season 2", "in 3h"), ("Season 3", "in 4h")):
            await server.mod("release add", {"title": "Show", "label": label, "when": when})
        await wait_until(lambda: len(events(server)) == 2, CHANGE_SECONDS, "two events")
        first = events(server)[0]
        await server.sim.delete_event_as_moderator(server.guild, first)
        # Edit both: the control (season 2) moves; the deleted one is not made again.
        await server.mod("release edit", {"release": "Show — Season 1", "when": "in 150m"})
        await server.mod("release edit", {"release": "Show — Season 2", "when": "in 200m"})
        moved = release_start(db_path, "Season 2")
        await wait_until(
            lambda: [e.start for e in events(server)] == [moved],
            CHANGE_SECONDS,
            "the control's event to move",
        )
        await asyncio.sleep(1.5)
        assert names(server) == ["Show — Season 2"]  # season 3 does not take the slot
        assert server.sim.events_created == 2
    finally:
        await running.stop()


async def test_without_create_events_the_mirror_waits_and_messages_still_flow(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    reply = await server.mod("settings events", {"enabled": True})
    assert "lacks the **Create Events** permission" in (reply.content or "")
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 2s"})
    await server.mod("release add", {"title": "Dandadan", "label": "Season 2", "when": "in 2h"})
    view = await server.mod("settings view")
    field = next(f for f in view.embeds[0]["fields"] if f["name"] == "Discord scheduled events")
    assert "lacks **Create Events**" in field["value"]
    # The control: the announcement goes out as ever.
    await wait_until(
        lambda: len(server.sim.messages(server.announcements)) == 1, 6, "the announcement"
    )
    assert event_requests(server, "POST") == 0  # nothing Discord would refuse was sent

    await server.sim.set_bot_permissions(server.guild, BOT_ROLE_DEFAULT | Perm.CREATE_EVENTS)
    await wait_until(
        lambda: names(server) == ["Dandadan — Season 2"], CHANGE_SECONDS, "the event once granted"
    )


async def test_a_403_pauses_the_mirror_until_the_permission_is_back(
    server: Server, mirror: RunningBot
) -> None:
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 2h"})
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the first event")
    # The permission goes without the bot hearing of it: Discord refuses the next create.
    server.guild.roles[server.guild.bot_role_id].permissions = BOT_ROLE_DEFAULT
    await server.mod("release add", {"title": "Dandadan", "label": "Season 2", "when": "in 3h"})
    await wait_until(lambda: event_requests(server, "POST") == 2, CHANGE_SECONDS, "the refusal")
    await server.mod("release add", {"title": "Sakamoto", "label": "Movie", "when": "in 4h"})
    await asyncio.sleep(2.5)
    assert event_requests(server, "POST") == 2  # paused: no retry, nothing more tried
    view = await server.mod("settings view")
    field = next(f for f in view.embeds[0]["fields"] if f["name"] == "Discord scheduled events")
    assert "Create Events" in field["value"]

    await server.sim.set_bot_permissions(server.guild, BOT_ROLE_DEFAULT | Perm.CREATE_EVENTS)
    await wait_until(
        lambda: names(server) == ["Frieren — Season 2", "Dandadan — Season 2", "Sakamoto — Movie"],
        CHANGE_SECONDS,
        "the mirror to resume",
    )
    assert server.sim.events_created == 3


async def test_a_moderator_enabling_again_resumes_a_paused_mirror(
    server: Server, mirror: RunningBot
) -> None:
    server.guild.roles[server.guild.bot_role_id].permissions = BOT_ROLE_DEFAULT
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 2h"})
    await wait_until(lambda: event_requests(server, "POST") == 1, CHANGE_SECONDS, "the refusal")
    assert not events(server)
    grant_create_events(server)  # granted without the bot hearing of it
    reply = await server.mod("settings events", {"enabled": True})
    assert "has the **Create Events** permission" in (reply.content or "")
    await wait_until(lambda: len(events(server)) == 1, CHANGE_SECONDS, "the event")


async def test_turning_events_off_deletes_them_and_on_again_makes_them_again(
    server: Server, mirror: RunningBot
) -> None:
    for label, when in (("Season 1", "in 2h"), ("Season 2", "in 3h")):
        await server.mod("release add", {"title": "Show", "label": label, "when": when})
    await wait_until(lambda: len(events(server)) == 2, CHANGE_SECONDS, "two events")
    reply = await server.mod("settings events", {"enabled": False})
    assert "deleting the 2 events" in (reply.content or "")
    await wait_until(lambda: not events(server), CHANGE_SECONDS, "the events to be deleted")
    await server.mod("release add", {"title": "Show", "label": "Season 3", "when": "in 4h"})
    await asyncio.sleep(1.5)
    assert not events(server)
    await server.mod("settings events", {"enabled": True})
    await wait_until(lambda: len(events(server)) == 3, CHANGE_SECONDS, "the set made again")
    assert server.sim.events_created == 5


async def test_a_server_error_is_retried_and_makes_one_event(
    server: Server, mirror: RunningBot, db_path: Path
) -> None:
    server.sim.fail_next("POST", EVENT_ROUTE + "$", "status", status=500, count=2)
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 2h"})
    # Backing off 2 s, then 4 s.
    await wait_until(lambda: len(events(server)) == 1, 20, "the event after retries")
    assert event_requests(server, "POST") == 3
    [(event_id,)] = rows(db_path, "SELECT event_id FROM scheduled_events")
    assert event_id == events(server)[0].id


async def test_a_lost_answer_is_found_again_rather_than_made_twice(
    server: Server, mirror: RunningBot, db_path: Path
) -> None:
    # Discord makes the event, then the connection drops before the answer.
    server.sim.fail_next("POST", EVENT_ROUTE + "$", "drop_after_create")
    await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 2h"})
    await wait_until(
        lambda: (
            rows(db_path, "SELECT event_id FROM scheduled_events WHERE event_id IS NOT NULL") != []
        ),
        CHANGE_SECONDS,
        "the event to be recorded",
    )
    assert server.sim.events_created == 1
    [(event_id,)] = rows(db_path, "SELECT event_id FROM scheduled_events")
    assert [e.id for e in events(server)] == [event_id]
    assert event_requests(server, "GET") >= 1  # it looked before making another


async def seed_mirrored_release(db_path: Path, guild_id: int) -> None:
    """Events on, and one highlight two hours ahead, as the moderators would have set up."""
    database = await Database.open(db_path)
    try:
        changes = Changes(database, utcnow, lambda guild_id: None)
        async with changes.database.transaction() as tx:
            await event_store.save_mirror_setting(tx, MirrorSetting(guild_id, True), utcnow())
        await ReleaseService(changes).add(
            guild_id, ReleaseDraft(title="Frieren", label="Season 2", when="in 2h")
        )
    finally:
        await database.close()


async def test_sigkill_between_discords_answer_and_the_record_leaves_one_event(
    server: Server, db_path: Path
) -> None:
    grant_create_events(server)
    await seed_mirrored_release(db_path, server.guild.id)
    # Discord makes the event; the answer never reaches the bot, which is killed meanwhile.
    server.sim.fail_next("POST", EVENT_ROUTE + "$", "hang_after_create")
    process = await start_bot_process(server.sim, db_path, rate=40, lease_seconds=2)
    try:
        await wait_until(lambda: server.sim.events_created == 1, 15, "Discord to make the event")
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert rows(db_path, "SELECT event_id, attempt_name FROM scheduled_events") == [
        (None, "Frieren — Season 2")
    ]
    survivor = await start_bot_process(server.sim, db_path, rate=40, lease_seconds=2)
    try:
        await wait_until(
            lambda: (
                rows(db_path, "SELECT count(*) FROM scheduled_events WHERE event_id IS NOT NULL")
                == [(1,)]
            ),
            20,
            "the restarted bot to record the event",
        )
        await asyncio.sleep(1)
    finally:
        survivor.send_signal(signal.SIGTERM)
        await survivor.wait()
    [event] = events(server)
    assert rows(db_path, "SELECT event_id FROM scheduled_events") == [(event.id,)]
    assert server.sim.events_created == 1


async def test_discord_starts_the_event_and_its_slot_goes_to_the_next_highlight(
    server: Server, db_path: Path
) -> None:
    grant_create_events(server)
    running = await start_bot(server.sim, db_path, events_per_guild=1)
    try:
        await server.mod("settings events", {"enabled": True})
        await server.mod("release add", {"title": "Frieren", "label": "Season 2", "when": "in 3s"})
        await server.mod("release add", {"title": "Dandadan", "label": "Season 2", "when": "in 2h"})
        await wait_until(lambda: names(server) == ["Frieren — Season 2"], 3, "the nearest one")
        # At its start Discord makes it ACTIVE; the bot leaves it alone and fills the slot.
        await wait_until(
            lambda: names(server) == ["Dandadan — Season 2"], CHANGE_SECONDS, "the next one"
        )
        [started] = server.sim.scheduled_events(server.guild, statuses=(ACTIVE,))
        assert started.name == "Frieren — Season 2"
        assert event_requests(server, "DELETE") == 0
        assert event_requests(server, "PATCH") == 0
    finally:
        await running.stop()
