"""`/anilist follow`: moderators follow anime from AniList, dates kept in sync for them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.anilist.follow import Followed, FollowRequest, Matches, NoChannel
from bot.client import AirdateBot
from bot.ui import anilist_replies, permissions
from cogs._context import answer, bot_of, defer, guild_id_of, require_manage_guild


async def anilist_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot = bot_of(interaction)
    guild = await bot.guild_settings.view(guild_id_of(interaction))
    found = await bot.anilist.autocomplete.choices(current, guild.title_language)
    return [app_commands.Choice(name=choice.name, value=choice.value) for choice in found]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AniListCommands(commands.GroupCog, group_name="anilist"):
    """Follow anime from AniList."""

    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return require_manage_guild(interaction)

    @app_commands.command(name="follow", description="Follow anime from AniList")
    @app_commands.describe(
        query="A title to search, an AniList id, or AniList/MyAnimeList links (up to 200)",
        channel="The channel to post in (default: the announcement channel)",
        role="A role to ping there (members can take it with /subscribe)",
        episodes="Every episode (default), or false: premieres, finales and movies only",
    )
    @app_commands.autocomplete(query=anilist_autocomplete)
    async def follow(
        self,
        interaction: discord.Interaction,
        query: str,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        episodes: bool = True,
    ) -> None:
        await defer(interaction)
        if channel is not None:
            permissions.require_can_post(interaction, channel)
        if role is not None:
            permissions.require_plain_role(interaction, role)
        guild_id = guild_id_of(interaction)
        request = FollowRequest(
            guild_id,
            None if channel is None else channel.id,
            None if role is None else role.id,
            episodes,
        )
        result = await self.bot.anilist.follower.follow(request, query)
        guild = await self.bot.guild_settings.view(guild_id)
        if isinstance(result, Followed):
            reply = anilist_replies.follow_reply(
                result.outcomes, language=guild.title_language, channel_id=request.channel_id
            )
        elif isinstance(result, Matches):
            reply = anilist_replies.matches_reply(result.query, result.found, guild.title_language)
        elif isinstance(result, NoChannel):
            reply = anilist_replies.channel_required_reply()
        else:
            reply = anilist_replies.unavailable_reply()
        await answer(interaction, reply)


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(AniListCommands(bot))
