"""The simulator's threads and forum posts answer as Discord does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.simulator import DiscordSimulator, Perm
from tests.simulator.models import SimChannel

FORUM = 15


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": "Bot simulated"}) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, sim: DiscordSimulator, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, sim.api_base + path, json=body) as response:
        return response.status, await response.json()


async def post_message(
    http: aiohttp.ClientSession, sim: DiscordSimulator, channel: SimChannel
) -> int:
    status, data = await call(
        http, sim, "POST", f"/channels/{channel.id}/messages", {"content": "hello"}
    )
    assert status == 200
    return int(data["id"])


async def test_a_message_takes_one_thread_then_160004(
    sim: DiscordSimulator, http: aiohttp.ClientSession
) -> None:
    guild = sim.add_guild("Hub")
    channel = sim.add_channel(guild, "news", kind=5)
    message_id = await post_message(http, sim, channel)
    path = f"/channels/{channel.id}/messages/{message_id}/threads"
    status, thread = await call(
        http, sim, "POST", path, {"name": "x discussion", "auto_archive_duration": 60}
    )
    assert status == 200
    assert thread["id"] == str(message_id) and thread["parent_id"] == str(channel.id)
    assert thread["thread_metadata"]["auto_archive_duration"] == 60
    status, again = await call(http, sim, "POST", path, {"name": "x discussion"})
    assert (status, again["code"]) == (400, 160004)
    assert [t.name for t in sim.threads_in(channel)] == ["x discussion"]
    # Messages go into the thread by its id.
    status, _ = await call(http, sim, "POST", f"/channels/{message_id}/messages", {"content": "hi"})
    assert status == 200 and len(sim.messages(message_id)) == 1


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "n" * 101}, {"name": "ok", "auto_archive_duration": 30}, {}],
)
async def test_a_thread_name_and_archive_are_checked(
    sim: DiscordSimulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    guild = sim.add_guild("Hub")
    channel = sim.add_channel(guild, "announcements")
    message_id = await post_message(http, sim, channel)
    path = f"/channels/{channel.id}/messages/{message_id}/threads"
    status, error = await call(http, sim, "POST", path, body)
    assert (status, error["code"]) == (400, 50035)
    assert sim.threads_in(channel) == []


async def test_threads_need_their_permissions(
    sim: DiscordSimulator, http: aiohttp.ClientSession
) -> None:
    guild = sim.add_guild("Hub")
    channel = sim.add_channel(guild, "announcements")
    message_id = await post_message(http, sim, channel)
    await sim.deny_bot(channel, Perm.CREATE_PUBLIC_THREADS)
    path = f"/channels/{channel.id}/messages/{message_id}/threads"
    status, error = await call(http, sim, "POST", path, {"name": "t"})
    assert (status, error["code"]) == (403, 50013)
    await sim.deny_bot(channel, Perm.SEND_MESSAGES_IN_THREADS)
    status, _ = await call(http, sim, "POST", path, {"name": "t"})
    assert status == 200
    status, error = await call(
        http, sim, "POST", f"/channels/{message_id}/messages", {"content": "in the thread"}
    )
    assert (status, error["code"]) == (403, 50013)


async def test_a_forum_post_comes_with_its_message_and_is_listed_active(
    sim: DiscordSimulator, http: aiohttp.ClientSession
) -> None:
    guild = sim.add_guild("Hub")
    forum = sim.add_channel(guild, "forum", kind=FORUM)
    status, error = await call(
        http, sim, "POST", f"/channels/{forum.id}/messages", {"content": "not here"}
    )
    assert (status, error["code"]) == (400, 50008)
    path = f"/channels/{forum.id}/threads"
    status, error = await call(http, sim, "POST", path, {"name": "no message"})
    assert (status, error["code"]) == (400, 50035)
    status, error = await call(
        http, sim, "POST", path, {"name": "x", "message": {"content": "a", "nonce": "n"}}
    )
    assert (status, error["code"]) == (400, 50035)  # a forum post takes no nonce
    status, post = await call(
        http, sim, "POST", path, {"name": "Frieren — S2", "message": {"content": "first"}}
    )
    assert status == 200
    assert post["message"]["id"] == post["id"] and post["parent_id"] == str(forum.id)
    status, active = await call(http, sim, "GET", f"/guilds/{guild.id}/threads/active")
    assert status == 200
    assert [(t["id"], t["name"]) for t in active["threads"]] == [(post["id"], "Frieren — S2")]
    await sim.deny_bot(forum, Perm.SEND_MESSAGES)
    status, error = await call(http, sim, "POST", path, {"name": "y", "message": {"content": "b"}})
    assert (status, error["code"]) == (403, 50013)
    assert len(sim.threads_in(forum)) == 1
