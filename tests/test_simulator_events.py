"""The simulator's scheduled events answer a real discord.py client as Discord does."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from tests.simulator import DiscordSimulator, SimGuild
from tests.simulator.events import ACTIVE, CANCELED, SCHEDULED
from tests.simulator.permissions import BOT_ROLE_DEFAULT, Perm
from tests.support.images import png
from tests.test_simulator_limits import Client, connected, wait_until


@pytest.fixture
async def world() -> AsyncIterator[tuple[DiscordSimulator, SimGuild, Client]]:
    sim = DiscordSimulator()
    await sim.start()
    try:
        guild = sim.add_guild(name="Anime Hub")
        guild.roles[guild.bot_role_id].permissions = BOT_ROLE_DEFAULT | Perm.CREATE_EVENTS
        async with connected(sim) as client:
            yield sim, guild, client
            assert sim.unknown_routes == []
    finally:
        await sim.stop()


def body(**changes: Any) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(hours=1)
    payload: dict[str, Any] = {
        "name": "Frieren — Season 2",
        "description": "An elf mage.",
        "privacy_level": 2,
        "entity_type": 3,
        "channel_id": None,
        "entity_metadata": {"location": "https://example.org/frieren"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(minutes=30)).isoformat(),
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not ...}


async def refusal(call: Any) -> tuple[int, int, str]:
    with pytest.raises(discord.HTTPException) as raised:
        await call
    return raised.value.status, raised.value.code, raised.value.text


async def test_a_create_without_privacy_level_is_refused_as_discord_does(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    start = datetime.now(UTC) + timedelta(hours=1)
    discord_guild = client.get_guild(guild.id)
    assert discord_guild is not None
    # discord.py 2.7.1 sends privacy_level only when passed (quirk 1).
    status, code, text = await refusal(
        discord_guild.create_scheduled_event(
            name="Frieren",
            start_time=start,
            end_time=start + timedelta(minutes=30),
            entity_type=discord.EntityType.external,
            location="Online",
        )
    )
    assert (status, code) == (400, 50035) and "privacy_level" in text
    event = await discord_guild.create_scheduled_event(
        name="Frieren",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Online",
    )
    assert event.location == "Online" and event.status is discord.EventStatus.scheduled
    await wait_until(lambda: discord_guild.get_scheduled_event(event.id) is not None, "CREATE")
    assert [e.id for e in sim.scheduled_events(guild)] == [event.id]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": ""}, "name"),
        ({"description": "x" * 1001}, "description"),
        ({"entity_metadata": {"location": "x" * 101}}, "location"),
        ({"entity_metadata": None}, "location"),
        ({"scheduled_end_time": ...}, "scheduled_end_time"),
        ({"channel_id": "1"}, "channel_id"),
        ({"privacy_level": 1}, "privacy_level"),
        ({"scheduled_start_time": "2020-01-01T00:00:00+00:00"}, "past"),
        ({"scheduled_end_time": datetime.now(UTC).isoformat()}, "after the start"),
    ],
)
async def test_invalid_events_are_refused(
    world: tuple[DiscordSimulator, SimGuild, Client], changes: dict[str, Any], problem: str
) -> None:
    sim, guild, client = world
    status, code, text = await refusal(
        client.http.create_guild_scheduled_event(guild.id, **body(**changes))
    )
    assert (status, code) == (400, 50035) and problem in text
    assert sim.scheduled_events(guild) == [] and sim.events_created == 0
    # The control: the same body without the fault is taken.
    await client.http.create_guild_scheduled_event(guild.id, **body())
    assert sim.events_created == 1


async def test_without_create_events_the_bot_is_refused(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    made = await client.http.create_guild_scheduled_event(guild.id, **body())
    guild.roles[guild.bot_role_id].permissions = BOT_ROLE_DEFAULT | Perm.MANAGE_EVENTS
    # Manage Events alone no longer creates (since February 2026), but edits its own.
    assert (await refusal(client.http.create_guild_scheduled_event(guild.id, **body())))[:2] == (
        403,
        50013,
    )
    await client.http.edit_scheduled_event(guild.id, made["id"], name="Renamed")
    guild.roles[guild.bot_role_id].permissions = BOT_ROLE_DEFAULT
    assert (await refusal(client.http.delete_scheduled_event(guild.id, made["id"])))[:2] == (
        403,
        50013,
    )
    assert [e.name for e in sim.scheduled_events(guild)] == ["Renamed"]


async def test_status_moves_only_forward_and_a_finished_event_answers_180000(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    made = await client.http.create_guild_scheduled_event(guild.id, **body())
    assert (await refusal(client.http.edit_scheduled_event(guild.id, made["id"], status=3)))[
        :2
    ] == (400, 50035)
    await client.http.edit_scheduled_event(guild.id, made["id"], status=CANCELED)
    assert (await refusal(client.http.edit_scheduled_event(guild.id, made["id"], name="x")))[
        :2
    ] == (400, 180000)
    assert [e.name for e in sim.scheduled_events(guild, statuses=(CANCELED,))] == [made["name"]]
    await client.http.delete_scheduled_event(guild.id, made["id"])
    assert (await refusal(client.http.delete_scheduled_event(guild.id, made["id"])))[:2] == (
        404,
        10070,
    )


async def test_at_most_100_scheduled_events_a_guild(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    for _ in range(100):
        await client.http.create_guild_scheduled_event(guild.id, **body())
    status, code, _ = await refusal(client.http.create_guild_scheduled_event(guild.id, **body()))
    assert (status, code) == (400, 30038)
    # A canceled one no longer counts.
    first = sim.scheduled_events(guild)[0]
    await client.http.edit_scheduled_event(guild.id, first.id, status=CANCELED)
    await client.http.create_guild_scheduled_event(guild.id, **body())
    assert len(sim.scheduled_events(guild)) == 100


async def test_discord_starts_an_external_event_itself_and_a_moderator_can_delete_one(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    start = datetime.now(UTC) + timedelta(seconds=1)
    soon = await client.http.create_guild_scheduled_event(
        guild.id,
        **body(
            scheduled_start_time=start.isoformat(),
            scheduled_end_time=(start + timedelta(minutes=30)).isoformat(),
        ),
    )
    later = await client.http.create_guild_scheduled_event(guild.id, **body())
    await asyncio.sleep(1.2)
    statuses = {e.id: e.status for e in sim.scheduled_events(guild, statuses=(SCHEDULED, ACTIVE))}
    assert statuses == {int(soon["id"]): ACTIVE, int(later["id"]): SCHEDULED}
    [event] = sim.scheduled_events(guild)
    cached = client.get_guild(guild.id)
    assert cached is not None
    await wait_until(lambda: cached.get_scheduled_event(event.id) is not None, "CREATE")
    await sim.delete_event_as_moderator(guild, event)
    assert sim.scheduled_events(guild) == []
    await wait_until(lambda: cached.get_scheduled_event(event.id) is None, "DELETE dispatched")
    assert (await refusal(client.http.get_scheduled_event(guild.id, event.id, False)))[:2] == (
        404,
        10070,
    )


PNG_URI = "data:image/png;base64," + base64.b64encode(png()).decode()


@pytest.mark.parametrize(
    "image",
    [
        "https://example.org/cover.png",  # an address, not image data
        base64.b64encode(png()).decode(),  # base64 without its data URI
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "data:text/plain;base64," + base64.b64encode(png()).decode(),
        "data:image/png;base64,not*base64!",
        "data:image/png;base64,",
        12345,
    ],
)
async def test_an_event_cover_must_be_image_data(
    world: tuple[DiscordSimulator, SimGuild, Client], image: Any
) -> None:
    sim, guild, client = world
    status, code, text = await refusal(
        client.http.create_guild_scheduled_event(guild.id, **body(image=image))
    )
    assert (status, code) == (400, 50035) and "image" in text
    assert sim.events_created == 0
    made = await client.http.create_guild_scheduled_event(guild.id, **body())
    status, code, text = await refusal(
        client.http.edit_scheduled_event(guild.id, made["id"], image=image)
    )
    assert (status, code) == (400, 50035) and "image" in text
    # The control: the same event with a PNG's data URI is taken.
    await client.http.edit_scheduled_event(guild.id, made["id"], image=PNG_URI)
    [event] = sim.scheduled_events(guild)
    assert event.image_bytes == png()


async def test_a_cover_is_stored_shown_as_a_hash_and_can_be_taken_away(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    made = await client.http.create_guild_scheduled_event(guild.id, **body(image=PNG_URI))
    [event] = sim.scheduled_events(guild)
    assert event.image_bytes == png()
    assert event.image is not None and len(event.image) == 32 and made["image"] == event.image
    other = png(rgb=(1, 2, 3))
    edited = await client.http.edit_scheduled_event(
        guild.id, made["id"], image="data:image/png;base64," + base64.b64encode(other).decode()
    )
    assert sim.scheduled_events(guild)[0].image_bytes == other and edited["image"] != made["image"]
    await client.http.edit_scheduled_event(guild.id, made["id"], name="Renamed")
    assert sim.scheduled_events(guild)[0].image_bytes == other  # left out: kept
    await client.http.edit_scheduled_event(guild.id, made["id"], image=None)
    assert sim.scheduled_events(guild)[0].image_bytes is None


async def test_discord_py_s_own_cover_upload_is_taken(
    world: tuple[DiscordSimulator, SimGuild, Client],
) -> None:
    sim, guild, client = world
    discord_guild = client.get_guild(guild.id)
    assert discord_guild is not None
    start = datetime.now(UTC) + timedelta(hours=1)
    event = await discord_guild.create_scheduled_event(
        name="Frieren",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Online",
        image=png(),
    )
    assert event.cover_image is not None
    [stored] = sim.scheduled_events(guild)
    assert stored.image_bytes == png() and event.cover_image.key == stored.image
