"""`/settings ...`: where Airdate posts, whom it pings, when it reminds."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AirdateBot
from bot.domain.catalog import TitleLanguage
from bot.domain.digest import Weekday
from bot.domain.errors import InvalidInput
from bot.domain.threads import ArchiveAfter
from bot.services.delivery import DeliveryError
from bot.ui import calendar_replies, event_replies, permissions, replies
from bot.ui import threads as thread_replies
from bot.ui.digest import add_digest_field, digest_changed
from bot.ui.messages import compose, sample_announcement, settings_embed
from cogs._context import answer, defer, guild_id_of, require_manage_guild
from cogs.releases import zone_autocomplete

ChannelOption = discord.TextChannel | discord.ForumChannel


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SettingsCommands(commands.GroupCog, group_name="settings"):
    """Moderator settings for this server."""

    def __init__(self, bot: AirdateBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return require_manage_guild(interaction)

    @app_commands.command(name="channel", description="Where reminders and announcements go")
    @app_commands.describe(channel="The channel (leave out to stop posting)")
    async def channel(
        self, interaction: discord.Interaction, channel: ChannelOption | None = None
    ) -> None:
        await defer(interaction)
        if channel is not None:
            permissions.require_can_post(interaction, channel)
            if isinstance(channel, discord.ForumChannel):
                await self.bot.threads.remember_forum(guild_id_of(interaction), channel.id)
        updated = await self.bot.guild_settings.set_channel(
            guild_id_of(interaction), None if channel is None else channel.id
        )
        await answer(
            interaction,
            replies.settings_changed("channel", updated.settings, follows=updated.follows),
        )

    @app_commands.command(name="role", description="The role to ping (leave out to ping nobody)")
    @app_commands.describe(role="A role members can be pinged with")
    async def role(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        await defer(interaction)
        if role is not None:
            permissions.require_pingable(interaction, role)
        updated = await self.bot.guild_settings.set_role(
            guild_id_of(interaction), None if role is None else role.id
        )
        await answer(interaction, replies.settings_changed("role", updated))

    @app_commands.command(name="reminders", description="When reminders go out before a release")
    @app_commands.describe(offsets="Like 7d 1d 1h 15m, or none")
    async def reminders(self, interaction: discord.Interaction, offsets: str) -> None:
        await defer(interaction)
        updated = await self.bot.guild_settings.set_offsets(guild_id_of(interaction), offsets)
        await answer(interaction, replies.settings_changed("reminders", updated))

    @app_commands.command(name="timezone", description="The time zone typed dates are read in")
    @app_commands.describe(zone="An IANA zone like Asia/Tokyo (pick from the list)")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await defer(interaction)
        updated = await self.bot.guild_settings.set_timezone(guild_id_of(interaction), zone)
        await answer(interaction, replies.settings_changed("timezone", updated))

    @app_commands.command(name="titles", description="The title AniList shows go by here")
    @app_commands.describe(language="Romaji, English or native (else the first one known)")
    @app_commands.choices(
        language=[app_commands.Choice(name=lang.value, value=lang.value) for lang in TitleLanguage]
    )
    async def titles(self, interaction: discord.Interaction, language: str) -> None:
        await defer(interaction)
        updated = await self.bot.guild_settings.set_title_language(
            guild_id_of(interaction), TitleLanguage(language)
        )
        await answer(interaction, replies.settings_changed("titles", updated))

    @app_commands.command(name="delay", description="How long after AniList's airing to tell")
    @app_commands.describe(after="Like 1h or 30m (at most 24h), or 0s or none for none")
    async def delay(self, interaction: discord.Interaction, after: str) -> None:
        await defer(interaction)
        updated = await self.bot.guild_settings.set_delay(guild_id_of(interaction), after)
        await answer(interaction, replies.settings_changed("delay", updated))

    @app_commands.command(name="calendar", description="This server's live calendar feed links")
    @app_commands.describe(regenerate="Make new links; the old ones stop working at once")
    async def calendar(self, interaction: discord.Interaction, regenerate: bool = False) -> None:
        await defer(interaction)
        guild_id = guild_id_of(interaction)
        feature = self.bot.calendar
        links = await (feature.regenerate(guild_id) if regenerate else feature.links(guild_id))
        if links is None:
            raise InvalidInput(calendar_replies.FEED_OFF)
        await answer(interaction, calendar_replies.feed_settings(links, regenerated=regenerate))

    @app_commands.command(name="digest", description="A weekly post of the week's releases")
    @app_commands.describe(
        channel="Where it goes (leave out to turn it off)",
        day="The day it is posted (default Monday)",
        time="HH:MM on the 24-hour clock in this server's time zone (default 09:00)",
    )
    @app_commands.choices(day=[app_commands.Choice(name=d.label, value=d.value) for d in Weekday])
    async def digest(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        day: int | None = None,
        time: str | None = None,
    ) -> None:
        await defer(interaction)
        if channel is not None:
            permissions.require_can_post(interaction, channel)
        plan = await self.bot.digests.settings.set(
            guild_id_of(interaction),
            None if channel is None else channel.id,
            None if day is None else Weekday(day),
            time,
        )
        await answer(interaction, digest_changed(plan.setting, plan.next_at, plan.zone))

    @app_commands.command(
        name="events", description="Mirror premieres, finales and movies as events"
    )
    @app_commands.describe(enabled="On: the next highlights appear in this server's Events tab")
    async def events(self, interaction: discord.Interaction, enabled: bool) -> None:
        await defer(interaction)
        result = await self.bot.scheduled_events.set_enabled(
            guild_id_of(interaction), enabled, permissions.can_create_events(interaction.guild)
        )
        limit = self.bot.config.events_per_guild
        await answer(interaction, event_replies.events_set(result, limit))

    @app_commands.command(name="view", description="Show this server's Airdate settings")
    async def view(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        guild_id = guild_id_of(interaction)
        current = await self.bot.guild_settings.view(guild_id)
        digest = await self.bot.digests.settings.view(guild_id)
        events = event_replies.events_line(
            await self.bot.scheduled_events.view(guild_id),
            permissions.can_create_events(interaction.guild),
        )
        embed = settings_embed(current, events_line=events)
        found = await self.bot.threads.view(guild_id)
        thread_replies.add_threads_field(
            embed, found, thread_replies.lacking(interaction.guild, found)
        )
        await answer(interaction, embed=add_digest_field(embed, digest))

    @app_commands.command(name="threads", description="A discussion thread on each announcement")
    @app_commands.describe(
        enabled="Start a thread on each announcement",
        archive="How long a quiet thread stays open (default 1d)",
    )
    @app_commands.choices(
        archive=[app_commands.Choice(name=a.choice, value=a.choice) for a in ArchiveAfter]
    )
    async def threads(
        self, interaction: discord.Interaction, enabled: bool, archive: str | None = None
    ) -> None:
        await defer(interaction)
        found = await self.bot.threads.set(guild_id_of(interaction), enabled, archive)
        missing = thread_replies.lacking(interaction.guild, found)
        await answer(interaction, thread_replies.threads_changed(found, missing))

    @app_commands.command(name="test", description="Post a sample announcement to the channel")
    async def test(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        current = await self.bot.guild_settings.view(guild_id_of(interaction))
        if current.channel_id is None:
            raise InvalidInput("No announcement channel yet. Set one with `/settings channel`.")
        guild = interaction.guild
        channel = None if guild is None else guild.get_channel(current.channel_id)
        if channel is not None:
            permissions.require_can_post(interaction, channel)  # names what is missing
        sample = sample_announcement(self.bot.clock())
        message = compose([sample], () if current.role_id is None else (current.role_id,))
        try:
            # The delivery engine's sender, over the bot's one rate limiter: the sample is
            # paced and its refusals mapped like every other message.
            await self.bot.sender.post(current.channel_id, message)
        except DeliveryError as error:
            raise InvalidInput(replies.sample_refused(current.channel_id, error)) from error
        await answer(interaction, f"Posted a sample announcement in <#{current.channel_id}>.")


async def setup(bot: AirdateBot) -> None:
    await bot.add_cog(SettingsCommands(bot))
