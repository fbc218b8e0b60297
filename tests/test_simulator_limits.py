"""The simulator's teeth: rate limits, faults, channels and guilds going away, scale.

Each test drives a real, minimal discord.py client and checks what discord.py itself does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.simulator import DiscordSimulator, SimChannel, SimGuild, SimMember


class Client(discord.Client):
    """A bare client that records the guild and channel events these tests look at."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.events: list[tuple[str, int]] = []

    async def on_guild_unavailable(self, guild: discord.Guild) -> None:
        self.events.append(("unavailable", guild.id))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        self.events.append(("available", guild.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.events.append(("remove", guild.id))

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.events.append(("channel_delete", channel.id))

    def to(self, channel: SimChannel) -> discord.PartialMessageable:
        return self.get_partial_messageable(channel.id)


@dataclass
class Env:
    sim: DiscordSimulator
    client: Client
    guild: SimGuild
    channel: SimChannel
    alice: SimMember


@contextlib.asynccontextmanager
async def connected(sim: DiscordSimulator) -> AsyncIterator[Client]:
    """A client logged in to ``sim`` and ready; closed afterwards."""
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = sim.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    client = Client()
    task: asyncio.Task[None] | None = None
    try:
        await client.login(sim.token)
        task = asyncio.create_task(client.connect())
        await asyncio.wait_for(client.wait_until_ready(), 30)
        yield client
        assert not task.done(), "the client's connection task died"
    finally:
        await client.close()
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 2)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    sim = DiscordSimulator()
    await sim.start()
    try:
        guild = sim.add_guild(name="Anime Hub")
        channel = sim.add_channel(guild, name="announcements")
        alice = sim.add_member(guild, name="alice")
        async with connected(sim) as client:
            yield Env(sim, client, guild, channel, alice)
            assert sim.unknown_routes == []
    finally:
        await sim.stop()


async def wait_until(check: Callable[[], bool], what: str, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class _FastBackoff:
    """``discord.http``'s view of asyncio with its 1-9 s 5xx backoff sleeps shortened 100x."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(delay / 100 if delay >= 1 else delay, result)


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http, "asyncio", _FastBackoff())


def creates(sim: DiscordSimulator) -> list[int | None]:
    return [r.status for r in sim.requests if r.method == "POST" and r.path.endswith("/messages")]


# ----------------------------------------------------------------- rate limits


@pytest.mark.asyncio
async def test_429_wire_format_global_and_bucket_headers() -> None:
    sim = DiscordSimulator(global_limit_per_second=1, channel_limit=(2, 5.0))
    await sim.start()
    try:
        guild = sim.add_guild(name="Hub")
        headers = {"Authorization": f"Bot {sim.token}"}
        url = f"{sim.api_base}/channels/{guild.general.id}/messages"
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.post(url, json={"content": "one"}) as ok:
                assert ok.status == 200
                assert ok.headers["X-RateLimit-Limit"] == "2"
                assert ok.headers["X-RateLimit-Remaining"] == "1"
                assert 4.9 < float(ok.headers["X-RateLimit-Reset-After"]) <= 5.0
                assert abs(float(ok.headers["X-RateLimit-Reset"]) - time.time() - 5) < 0.5
                bucket = ok.headers["X-RateLimit-Bucket"]
            async with http.get(f"{sim.api_base}/users/@me") as limited:
                assert limited.status == 429
                assert limited.content_type == "application/json"
                body = await limited.json()
                assert body["message"] == "You are being rate limited."
                assert body["global"] is True and body["code"] == 0
                assert 0.9 < body["retry_after"] <= 1.0
                assert limited.headers["Retry-After"] == "1"
                assert limited.headers["X-RateLimit-Global"] == "true"
                assert limited.headers["X-RateLimit-Scope"] == "global"
                assert limited.headers["Via"] == "1.1 google"
            sim.set_rate_limits(channel=(1, 5.0))  # global off
            async with http.post(url, json={"content": "two"}) as ok:
                assert ok.status == 200 and ok.headers["X-RateLimit-Bucket"] == bucket
            async with http.post(url, json={"content": "three"}) as limited:
                assert limited.status == 429
                body = await limited.json()
                assert body["global"] is False and 4.9 < body["retry_after"] <= 5.0
                assert "X-RateLimit-Global" not in limited.headers
                assert limited.headers["X-RateLimit-Scope"] == "user"
                assert limited.headers["Retry-After"] == "5"
                assert limited.headers["X-RateLimit-Remaining"] == "0"
                assert limited.headers["Via"] == "1.1 google"
            for _ in range(3):  # interaction callbacks and webhooks are exempt from the global
                sim.set_rate_limits(global_per_second=1)
                async with http.post(f"{sim.api_base}/webhooks/1/x", json={}) as hook:
                    assert hook.status != 429
        assert sim.count_429s == 2 and sim.count_429s_global == 1
        assert [r.path for r in sim.rate_limited] == [
            "/users/@me",
            f"/channels/{guild.general.id}/messages",
        ]
    finally:
        await sim.stop()


@pytest.mark.asyncio
async def test_global_limit_burst_is_retried_by_discord_py_exactly_once_each() -> None:
    sim = DiscordSimulator()
    await sim.start()
    try:
        guild = sim.add_guild(name="Hub")
        channels = sim.add_channels(guild, 60, "burst")
        async with connected(sim) as client:
            sim.set_rate_limits(global_per_second=50)
            started = time.monotonic()
            await asyncio.gather(*(client.to(c).send(f"hello {c.name}") for c in channels))
            elapsed = time.monotonic() - started
        assert sim.count_429s_global > 0 and sim.count_429s == sim.count_429s_global
        assert sim.created_per_channel() == {c.id: 1 for c in channels}
        assert sim.message_count == 60
        assert 0.9 < elapsed < 5
    finally:
        await sim.stop()


@pytest.mark.asyncio
async def test_channel_limit_429_on_the_sixth_is_honoured(env: Env) -> None:
    """Another process (e.g. the old bot during a deploy) used the channel's 5 sends."""
    sim = env.sim
    sim.set_rate_limits(channel=(5, 5.0))
    url = f"{sim.api_base}/channels/{env.channel.id}/messages"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {sim.token}"}) as http:
        for i in range(5):
            async with http.post(url, json={"content": f"old {i}"}) as response:
                assert response.status == 200
    started = time.monotonic()
    await env.client.to(env.channel).send("sixth")
    await env.client.to(env.channel).send("seventh")
    assert time.monotonic() - started >= 4.5
    assert creates(sim) == [200] * 5 + [429, 200, 200]
    assert sim.count_429s == 1 and sim.count_429s_global == 0
    assert [m.content for m in sim.messages(env.channel)][-2:] == ["sixth", "seventh"]


@pytest.mark.asyncio
async def test_discord_py_waits_on_bucket_headers_without_a_429(env: Env) -> None:
    env.sim.set_rate_limits(channel=(2, 0.5))
    started = time.monotonic()
    for i in range(3):
        await env.client.to(env.channel).send(f"n{i}")
    assert time.monotonic() - started >= 0.45
    assert env.sim.count_429s == 0
    assert env.sim.created_per_channel() == {env.channel.id: 3}


# ----------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (403, 50001, discord.Forbidden),
        (403, 50013, discord.Forbidden),
        (404, 10003, discord.NotFound),
        (400, 50035, discord.HTTPException),
        (503, 130000, discord.DiscordServerError),  # 503 is not retried
    ],
)
@pytest.mark.asyncio
async def test_status_fault_raises_at_once(
    env: Env, status: int, code: int, error: type[discord.HTTPException]
) -> None:
    env.sim.fail_channel(env.channel, "status", status=status, code=code)
    with pytest.raises(error) as caught:
        await env.client.to(env.channel).send("x")
    assert type(caught.value) is error
    assert caught.value.status == status and caught.value.code == code
    assert creates(env.sim) == [status]
    await env.client.to(env.channel).send("fault used up")
    assert env.sim.created_per_channel() == {env.channel.id: 1}


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.asyncio
async def test_5xx_retried_five_times_then_raised(
    env: Env, fast_backoff: None, status: int
) -> None:
    other = env.sim.add_channel(env.guild, name="other")
    env.sim.fail_channel(env.channel, "status", status=status, count=None)
    with pytest.raises(discord.DiscordServerError) as caught:
        await env.client.to(env.channel).send("x")
    assert caught.value.status == status
    assert creates(env.sim) == [status] * 5
    await env.client.to(other).send("other channels are fine")
    assert env.sim.created_per_channel() == {other.id: 1}


@pytest.mark.asyncio
async def test_single_500_and_route_429_are_retried(env: Env, fast_backoff: None) -> None:
    env.sim.fail_channel(env.channel, "status", status=500)
    await env.client.to(env.channel).send("after a 500")
    env.sim.fail_next("POST", r"^/channels/\d+/messages$", "status", status=429)
    await env.client.to(env.channel).send("after a 429")
    assert creates(env.sim) == [500, 200, 429, 200]
    assert env.sim.message_count == 2 and env.sim.count_429s == 1


@pytest.mark.asyncio
async def test_hang_times_out_and_creates_nothing(env: Env) -> None:
    env.sim.fail_channel(env.channel, "hang")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(env.client.to(env.channel).send("x"), 0.3)
    assert env.sim.message_count == 0


@pytest.mark.asyncio
async def test_drop_raises_client_error_and_creates_nothing(env: Env) -> None:
    env.sim.fail_channel(env.channel, "drop")
    with pytest.raises(aiohttp.ClientError):
        await env.client.to(env.channel).send("x")
    assert env.sim.message_count == 0
    assert [r.fault for r in env.sim.requests if r.path.endswith("/messages")] == ["drop"]


@pytest.mark.asyncio
async def test_slow_answers_after_the_delay(env: Env) -> None:
    env.sim.fail_channel(env.channel.id, "slow", delay=0.3, count=None)
    started = time.monotonic()
    await env.client.to(env.channel).send("x")
    assert time.monotonic() - started >= 0.3
    assert env.sim.message_count == 1


@pytest.mark.asyncio
async def test_dm_refused_50007(env: Env) -> None:
    shy = env.sim.add_member(env.guild, name="shy", accepts_dms=False)
    dm = await env.client.create_dm(discord.Object(shy.id))
    with pytest.raises(discord.Forbidden) as caught:
        await dm.send("hello")
    assert caught.value.code == 50007
    friendly = await env.client.create_dm(discord.Object(env.alice.id))
    channel = env.sim.world.dm_channels[env.alice.id]
    env.sim.fail_channel(channel, "status", status=403, code=50007)
    with pytest.raises(discord.Forbidden):
        await friendly.send("hello")
    await friendly.send("hello again")
    assert [m.content for m in env.sim.dm_messages(env.alice)] == ["hello again"]


# ----------------------------------------------------------------- channels and guilds gone


@pytest.mark.asyncio
async def test_deleted_channel_is_404_10003(env: Env) -> None:
    await env.sim.delete_channel(env.channel)
    await wait_until(lambda: ("channel_delete", env.channel.id) in env.client.events, "delete")
    assert env.client.get_channel(env.channel.id) is None
    with pytest.raises(discord.NotFound) as caught:
        await env.client.to(env.channel).send("x")
    assert caught.value.code == 10003


@pytest.mark.asyncio
async def test_bot_removed_from_guild(env: Env) -> None:
    await env.sim.remove_bot_from_guild(env.guild)
    await wait_until(lambda: ("remove", env.guild.id) in env.client.events, "on_guild_remove")
    assert env.client.get_guild(env.guild.id) is None
    with pytest.raises(discord.Forbidden) as caught:
        await env.client.to(env.channel).send("x")
    assert caught.value.code == 50001


@pytest.mark.asyncio
async def test_guild_outage_and_restore(env: Env) -> None:
    events = env.client.events
    await wait_until(lambda: ("available", env.guild.id) in events, "on_guild_available at start")
    events.clear()
    await env.sim.guild_outage(env.guild)
    await wait_until(lambda: ("unavailable", env.guild.id) in env.client.events, "outage")
    guild = env.client.get_guild(env.guild.id)
    assert guild is not None and guild.unavailable
    with pytest.raises(discord.DiscordServerError) as caught:
        await env.client.to(env.channel).send("x")
    assert caught.value.status == 503 and caught.value.code == 130000
    await env.sim.guild_restore(env.guild)
    await wait_until(lambda: ("available", env.guild.id) in env.client.events, "restore")
    assert not guild.unavailable
    await env.client.to(env.channel).send("back")
    assert env.sim.message_count == 1
    assert events == [("unavailable", env.guild.id), ("available", env.guild.id)]


# ----------------------------------------------------------------- already present, kept working


@pytest.mark.asyncio
async def test_recent_messages_newest_first_with_authors(env: Env) -> None:
    for i in range(4):
        await env.client.to(env.channel).send(f"m{i}")
    channel = env.client.get_channel(env.channel.id)
    assert isinstance(channel, discord.TextChannel)
    recent = [m async for m in channel.history(limit=3)]
    assert [m.content for m in recent] == ["m3", "m2", "m1"]
    assert {m.author.id for m in recent} == {env.sim.bot_user_id}


@pytest.mark.asyncio
async def test_role_grant_dm_and_resume_under_limits(env: Env) -> None:
    env.sim.set_rate_limits(global_per_second=50, channel=(5, 5.0))
    fans = env.sim.add_role(env.guild, name="Fans")
    guild = env.client.get_guild(env.guild.id)
    assert guild is not None
    await wait_until(lambda: guild.get_role(fans.id) is not None, "GUILD_ROLE_CREATE")
    member = await guild.fetch_member(env.alice.id)
    await member.add_roles(discord.Object(fans.id))
    assert env.alice.role_ids == [fans.id]
    await member.remove_roles(discord.Object(fans.id))
    assert env.alice.role_history == [("add", fans.id), ("remove", fans.id)]
    await env.sim.disconnect_gateway()
    await wait_until(lambda: env.sim.gateway_resumes == 1, "resume")
    late = env.sim.add_channel(env.guild, name="late")
    await wait_until(lambda: env.client.get_channel(late.id) is not None, "CHANNEL_CREATE")
    await member.send("dm after resume")
    assert [m.content for m in env.sim.dm_messages(env.alice)] == ["dm after resume"]
    assert env.sim.gateway_identifies == 1 and env.sim.count_429s == 0


# ----------------------------------------------------------------- scale


@pytest.mark.parametrize(("guilds", "per_guild"), [(1, 5000), (5, 1000)])
@pytest.mark.asyncio
async def test_ready_with_5000_channels(guilds: int, per_guild: int) -> None:
    sim = DiscordSimulator()
    await sim.start()
    try:
        made = [sim.add_guild(name=f"Hub {g}") for g in range(guilds)]
        channels = [c for g in made for c in sim.add_channels(g, per_guild, "ch")]
        started = time.monotonic()
        async with connected(sim) as client:
            ready = time.monotonic() - started
            assert sum(len(g.channels) for g in client.guilds) == guilds * (per_guild + 1)
            await asyncio.gather(*(client.to(c).send("x") for c in channels[-50:]))
        assert sim.message_count == 50 and len(sim.created_per_channel()) == 50
        print(f"ready with {guilds} x {per_guild} channels in {ready:.2f}s")
        assert ready < 5
    finally:
        await sim.stop()
