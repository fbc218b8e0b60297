"""`/release add|edit|remove`: moderators manage the guild's releases."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.services.releases import ReleaseChanges, ReleaseDraft
from bot.ui import choices, replies
from cogs._context import answer, bot_of, defer, guild_id_of, require_manage_guild

WHEN_HELP = "2024-07-03 23:00, 2024-07-03, July 2024, Summer 2024, TBA or in 2h"


async def release_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    found = await bot_of(interaction).releases.suggest(guild_id_of(interaction), current)
    return choices.release_choices(found)


async def zone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return choices.zone_choices(current)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ReleaseCommands(commands.GroupCog, group_name="release"):
    """Add, change and cancel releases."""

    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return require_manage_guild(interaction)

    @app_commands.command(name="add", description="Add a release and schedule its reminders")
    @app_commands.describe(
        title="The show's title, e.g. Oshi no Ko",
        when=WHEN_HELP,
        label="What comes out, e.g. Season 2, Episode 5, Movie",
        timezone="Time zone for reading `when` (default: the server's)",
        description="A synopsis shown in the announcement",
        image="Cover image link (https://...)",
        link="A page about the show (https://...)",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def add(
        self,
        interaction: discord.Interaction,
        title: str,
        when: str,
        label: str | None = None,
        timezone: str | None = None,
        description: str | None = None,
        image: str | None = None,
        link: str | None = None,
    ) -> None:
        await defer(interaction)
        draft = ReleaseDraft(title, when, label, timezone, description, image, link)
        result = await self.bot.releases.add(guild_id_of(interaction), draft)
        await answer(
            interaction,
            replies.scheduled(result, "Added"),
            embed=replies.release_card(result.release),
        )

    @app_commands.command(name="edit", description="Change a release; a new time reschedules it")
    @app_commands.describe(
        release="The release to change (pick from the list)",
        when=WHEN_HELP,
        timezone="Time zone for reading `when`",
        title="New show title",
        label="New label, e.g. Season 2",
        description="New synopsis",
        image="New cover image link",
        link="New link",
    )
    @app_commands.autocomplete(release=release_autocomplete, timezone=zone_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction,
        release: str,
        when: str | None = None,
        timezone: str | None = None,
        title: str | None = None,
        label: str | None = None,
        description: str | None = None,
        image: str | None = None,
        link: str | None = None,
    ) -> None:
        await defer(interaction)
        changes = ReleaseChanges(when, timezone, title, label, description, image, link)
        result = await self.bot.releases.edit(guild_id_of(interaction), release, changes)
        await answer(
            interaction,
            replies.scheduled(result, "Updated"),
            embed=replies.release_card(result.release),
        )

    @app_commands.command(name="remove", description="Cancel a release silently")
    @app_commands.describe(release="The release to cancel (pick from the list)")
    @app_commands.autocomplete(release=release_autocomplete)
    async def remove(self, interaction: discord.Interaction, release: str) -> None:
        await defer(interaction)
        removed = await self.bot.releases.remove(guild_id_of(interaction), release)
        await answer(interaction, replies.removed(removed))


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(ReleaseCommands(bot))
