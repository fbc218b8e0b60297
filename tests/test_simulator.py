"""The Discord simulator drives a real, unmodified discord.py bot."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.simulator import DiscordSimulator, Perm, SimChannel, SimGuild, SimMember, SimRole
from tests.simulator.models import SimMessage

RELEASES = ["Oshi no Ko", "Frieren", "Dandadan", "One Piece"]


class ReleaseView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Remind me", custom_id="remind", style=discord.ButtonStyle.primary)
    async def remind(
        self, interaction: discord.Interaction, button: discord.ui.Button[ReleaseView]
    ) -> None:
        await interaction.response.edit_message(content="You will be reminded", view=None)


release = app_commands.Group(name="release", description="Manage releases")


@release.command(name="add", description="Add a release")
async def release_add(
    interaction: discord.Interaction,
    title: str,
    channel: discord.TextChannel,
    role: discord.Role,
    when: str = "soon",
) -> None:
    embed = discord.Embed(title=title, description=f"{when} in {channel.mention} for {role.name}")
    await interaction.response.send_message(
        f"Added {title} ({channel.name}, {role.name})", embed=embed, ephemeral=True
    )


@release.command(name="edit", description="Edit a release")
async def release_edit(interaction: discord.Interaction, release: str) -> None:
    await interaction.response.send_message(f"editing {release}")


@release_edit.autocomplete("release")
async def release_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    hits = [r for r in RELEASES if current.lower() in r.lower()]
    return [app_commands.Choice(name=r, value=r) for r in hits][:25]


@release.command(name="slow", description="Takes a while")
async def release_slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    await asyncio.sleep(0.05)
    await interaction.followup.send("Slow answer", ephemeral=True)


@release.command(name="silent", description="Never answers")
async def release_silent(interaction: discord.Interaction) -> None:
    return None


@release.command(name="card", description="A card with a button")
async def release_card(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Frieren airs soon", view=ReleaseView())


settings = app_commands.Group(name="settings", description="Server settings")
settings_channel = app_commands.Group(name="channel", description="Channels", parent=settings)


@settings_channel.command(name="set", description="Set the announcement channel")
async def settings_channel_set(
    interaction: discord.Interaction, channel: discord.TextChannel
) -> None:
    await interaction.response.send_message(f"Announcements go to {channel.name}")


class SimBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.guild_id = guild_id
        self.command_errors: list[Exception] = []
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        self.tree.add_command(release)
        self.tree.add_command(settings, guild=discord.Object(self.guild_id))
        await self.tree.sync()
        await self.tree.sync(guild=discord.Object(self.guild_id))

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.command_errors.append(error)


@dataclass
class Env:
    sim: DiscordSimulator
    bot: SimBot
    guild: SimGuild
    channel: SimChannel
    announcements: SimChannel
    denied: SimChannel
    fans: SimRole
    alice: SimMember
    task: asyncio.Task[None]
    extra: dict[str, object] = field(default_factory=dict)

    def text_channel(self, channel: SimChannel) -> discord.TextChannel:
        found = self.bot.get_channel(channel.id)
        assert isinstance(found, discord.TextChannel)
        return found


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    sim = DiscordSimulator()
    await sim.start()
    guild = sim.add_guild(name="Anime Hub")
    announcements = sim.add_channel(guild, name="announcements")
    denied = sim.add_channel(guild, name="locked", deny_bot=Perm.SEND_MESSAGES)
    fans = sim.add_role(guild, name="Anime Fans", mentionable=True)
    alice = sim.add_member(guild, name="alice", roles=[fans])
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = sim.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
    bot = SimBot(guild.id)
    try:
        await bot.login(sim.token)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield Env(sim, bot, guild, guild.general, announcements, denied, fans, alice, task)
        assert not task.done(), "the bot's connection task died"
        assert bot.command_errors == []
        assert sim.unknown_routes == []
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await sim.stop()


@pytest.mark.asyncio
async def test_login_sync_and_guild_state(env: Env) -> None:
    assert env.sim.command_syncs == [("global", None), ("guild", env.guild.id)]
    guild = env.bot.get_guild(env.guild.id)
    assert guild is not None and guild.name == "Anime Hub"
    assert guild.me is not None and guild.member_count == 3
    locked = env.text_channel(env.denied)
    assert not locked.permissions_for(guild.me).send_messages
    assert env.text_channel(env.announcements).permissions_for(guild.me).embed_links


@pytest.mark.asyncio
async def test_slash_command_with_subcommand_options_embed_and_ephemeral(env: Env) -> None:
    reply = await env.sim.invoke(
        env.guild,
        env.channel,
        env.alice,
        "release add",
        {"title": "Oshi no Ko", "channel": env.announcements, "role": env.fans, "when": "in 20s"},
    )
    assert reply.type == 4 and reply.ephemeral
    assert reply.content == "Added Oshi no Ko (announcements, Anime Fans)"
    assert reply.embeds[0]["title"] == "Oshi no Ko"
    assert env.sim.messages(env.channel) == []  # ephemeral replies are not channel messages
    assert env.sim.interaction_replies == [reply]


@pytest.mark.asyncio
async def test_subcommand_group_on_guild_command(env: Env) -> None:
    reply = await env.sim.invoke(
        env.guild, env.channel, env.alice, "settings channel set", {"channel": env.announcements}
    )
    assert reply.content == "Announcements go to announcements"
    assert not reply.ephemeral
    assert [m.content for m in env.sim.messages(env.channel)] == [reply.content]


@pytest.mark.asyncio
async def test_autocomplete(env: Env) -> None:
    choices = await env.sim.autocomplete(
        env.guild, env.channel, env.alice, "release edit", {"release": "fri"}, focused="release"
    )
    assert choices == [{"name": "Frieren", "value": "Frieren"}]


@pytest.mark.asyncio
async def test_deferred_reply_then_followup(env: Env) -> None:
    reply = await env.sim.invoke(env.guild, env.channel, env.alice, "release slow", {})
    assert reply.type == 5
    assert reply.content == "Slow answer" and reply.ephemeral
    assert [c["type"] for c in reply.callbacks] == [5]


@pytest.mark.asyncio
async def test_button_click_updates_message(env: Env) -> None:
    card = await env.sim.invoke(env.guild, env.channel, env.alice, "release card", {})
    assert card.components and card.message_id is not None
    clicked = await env.sim.click(card, "remind", env.guild, env.channel, env.alice)
    assert clicked.type == 7
    assert clicked.content == "You will be reminded"
    assert clicked.message_id == card.message_id
    assert env.sim.messages(env.channel)[0].components == []


@pytest.mark.asyncio
async def test_nonce_dedupes_repeated_send(env: Env) -> None:
    channel = env.text_channel(env.announcements)
    first = await channel.send("Frieren is out", nonce="rel-1-ann")
    second = await channel.send("Frieren is out", nonce="rel-1-ann")
    assert first.id == second.id
    assert len(env.sim.messages(env.announcements)) == 1
    assert env.sim.nonce_hits == 1


@pytest.mark.asyncio
async def test_pings(env: Env) -> None:
    channel = env.text_channel(env.announcements)
    content = f"@everyone <@&{env.fans.id}> <@{env.alice.id}>"
    await channel.send(content)  # client default: AllowedMentions.none()
    role = channel.guild.get_role(env.fans.id)
    assert role is not None
    await channel.send(content, allowed_mentions=discord.AllowedMentions(roles=[role]))
    quiet, loud = env.sim.messages(env.announcements)
    assert env.sim.pings(quiet).nobody
    pings = env.sim.pings(loud)
    assert not pings.everyone and pings.roles == {env.fans.id} and not pings.users
    unrestricted = SimMessage(
        id=1,
        channel_id=env.announcements.id,
        author_id=env.sim.bot_user_id,
        content=content,
        embeds=[{"description": content}],
        allowed_mentions=None,
        nonce=None,
        components=[],
        created_monotonic=time.monotonic(),
        created_at=time.time(),
    )
    everything = env.sim.pings(unrestricted)
    assert everything.everyone and everything.roles == {env.fans.id}
    assert everything.users == {env.alice.id}


@pytest.mark.asyncio
async def test_missing_permission_is_forbidden_50013(env: Env) -> None:
    with pytest.raises(discord.Forbidden) as caught:
        await env.text_channel(env.denied).send("hello")
    assert caught.value.code == 50013
    assert env.sim.messages(env.denied) == []


@pytest.mark.asyncio
async def test_limits_answer_50035(env: Env) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await env.text_channel(env.announcements).send("x" * 2001)
    assert caught.value.status == 400 and caught.value.code == 50035


@pytest.mark.asyncio
async def test_hang_after_create_times_out_but_posts(env: Env) -> None:
    env.sim.fail_next("POST", r"/channels/\d+/messages$", "hang_after_create")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(env.text_channel(env.announcements).send("Dandadan is out"), 1.0)
    assert [m.content for m in env.sim.messages(env.announcements)] == ["Dandadan is out"]


@pytest.mark.asyncio
async def test_drop_after_create_raises_client_error_but_posts(env: Env) -> None:
    env.sim.fail_next("POST", r"/channels/\d+/messages$", "drop_after_create")
    with pytest.raises(aiohttp.ClientError):
        await env.text_channel(env.announcements).send("One Piece is out")
    assert len(env.sim.messages(env.announcements)) == 1


@pytest.mark.asyncio
async def test_status_fault_and_recording(env: Env) -> None:
    env.sim.fail_next("POST", r"/channels/\d+/messages$", "status", status=503, code=130000)
    with pytest.raises(discord.DiscordServerError) as caught:
        await env.text_channel(env.announcements).send("first")
    assert caught.value.code == 130000
    await env.text_channel(env.announcements).send("second")
    posts = [r for r in env.sim.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [p.status for p in posts] == [503, 200]
    assert posts[1].json["content"] == "second"


@pytest.mark.asyncio
async def test_gateway_resume_keeps_bot_working(env: Env) -> None:
    await env.sim.disconnect_gateway(code=4000)
    reply = await env.sim.invoke(
        env.guild, env.channel, env.alice, "release edit", {"release": "Frieren"}
    )
    assert reply.content == "editing Frieren"
    assert env.sim.gateway_resumes == 1 and env.sim.gateway_identifies == 1
    late = env.sim.add_channel(env.guild, name="late")
    for _ in range(50):
        if env.bot.get_channel(late.id) is not None:
            break
        await asyncio.sleep(0.01)
    await env.text_channel(late).send("hello late channel")


@pytest.mark.asyncio
async def test_dm_and_role_assignment(env: Env) -> None:
    guild = env.bot.get_guild(env.guild.id)
    assert guild is not None
    member = await guild.fetch_member(env.alice.id)  # not cached without the members intent
    await member.send("Reminder: Frieren")
    assert [m.content for m in env.sim.dm_messages(env.alice.id)] == ["Reminder: Frieren"]
    role = guild.get_role(env.fans.id)
    assert role is not None
    await member.remove_roles(role)
    assert env.fans.id not in env.alice.role_ids


@pytest.mark.asyncio
async def test_unanswered_interaction_raises_timeout(env: Env) -> None:
    with pytest.raises(TimeoutError, match="did not respond"):
        await env.sim.invoke(env.guild, env.channel, env.alice, "release silent", {}, timeout=0.2)


@pytest.mark.asyncio
async def test_world_changes_after_connect_reach_the_bot(env: Env) -> None:
    second = env.sim.add_guild(name="Second Hub")
    role = env.sim.add_role(env.guild, name="Late Role", mentionable=False)
    for _ in range(100):
        guild = env.bot.get_guild(env.guild.id)
        if env.bot.get_guild(second.id) is not None and guild and guild.get_role(role.id):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("GUILD_CREATE / GUILD_ROLE_CREATE did not reach the bot")
    bob = env.sim.add_member(second, name="bob", permissions=Perm.MANAGE_GUILD)
    reply = await env.sim.invoke(
        second, second.general, bob, "release edit", {"release": "x"}, permissions=Perm.ALL
    )
    assert reply.content == "editing x"
