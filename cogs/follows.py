"""`/follow`, `/unfollow`, `/follows`: moderators choose which channels hear about which shows."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.ui import audiences, permissions
from cogs._context import answer, defer, guild_id_of, require_manage_guild, show_choices


async def show_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await show_choices(interaction, current, include_all=True)


class FollowCommands(commands.Cog):
    # discord.py reads `default_permissions` and `guild_only` on a class only for a
    # GroupCog: each command of this plain Cog carries its own (tests/e2e/test_command_contract).

    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return require_manage_guild(interaction)

    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.command(name="follow", description="Post a show's reminders in a channel")
    @app_commands.describe(
        show="A show, or `all` for every show (pick from the list)",
        channel="The channel to post in",
        role="A role to ping there (members can take it with /subscribe)",
        episodes="Every episode (default), or false: premieres, finales and movies only",
    )
    @app_commands.autocomplete(show=show_autocomplete)
    async def follow(
        self,
        interaction: discord.Interaction,
        show: str,
        channel: discord.TextChannel | discord.ForumChannel,
        role: discord.Role | None = None,
        episodes: bool = True,
    ) -> None:
        await defer(interaction)
        permissions.require_can_post(interaction, channel)
        if isinstance(channel, discord.ForumChannel):
            await self.bot.threads.remember_forum(guild_id_of(interaction), channel.id)
        if role is not None:
            permissions.require_plain_role(interaction, role)
        result = await self.bot.follows.follow(
            guild_id_of(interaction), channel.id, show, None if role is None else role.id, episodes
        )
        await answer(interaction, audiences.followed(result))

    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.command(name="unfollow", description="Stop posting a show in a channel")
    @app_commands.describe(show="The show, or `all`", channel="The channel")
    @app_commands.autocomplete(show=show_autocomplete)
    async def unfollow(
        self,
        interaction: discord.Interaction,
        show: str,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        await defer(interaction)
        removed = await self.bot.follows.unfollow(guild_id_of(interaction), channel.id, show)
        await answer(interaction, audiences.unfollowed(removed, channel.id))

    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.command(name="follows", description="Which channels follow which shows")
    async def follows(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        guild, found = await self.bot.follows.listing(guild_id_of(interaction))
        await answer(interaction, embed=audiences.follows_embed(guild, found))


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(FollowCommands(bot))
