"""The Discord client: takes its services, loads the cogs, syncs commands, maps errors."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.anilist.feature import AniList
from bot.calendar.feature import CalendarFeature
from bot.channel_sender import ChannelSender
from bot.clock import Clock, utcnow
from bot.config import Config, ConfigError, StartupError
from bot.domain.errors import UserError
from bot.scheduling.dispatcher import Dispatcher
from bot.services.audiences import FollowService, SubscriptionService
from bot.services.catalog import CatalogService
from bot.services.delivery import DeliveryService
from bot.services.digest_feature import Digests
from bot.services.lifecycle import GuildLifecycle
from bot.services.releases import ReleaseService
from bot.services.scheduled_events import ScheduledEventService
from bot.services.settings import SettingsService
from bot.services.threads import ThreadSettings
from bot.storage import settings as settings_store
from bot.storage.database import Database

log = logging.getLogger(__name__)

COGS = (
    "cogs.releases",
    "cogs.countdown",
    "cogs.settings",
    "cogs.follows",
    "cogs.anilist",
    "cogs.calendar",
    "cogs.subscriptions",
    "cogs.guild_events",
    "cogs.scheduled_events",
    "cogs.help",
)
DATABASE_BUSY_REPLY = (
    "Airdate could not save that just now: its database is busy (another program, such as "
    "a backup, is holding it) or its disk is full. Nothing was changed; try again in a "
    "minute."
)
GUILD_READY_TIMEOUT_SECONDS = 0.25
UNEXPECTED_ERROR_REPLY = (
    "Something went wrong on Airdate's side and nothing was changed. Please try again; "
    "if it keeps happening, tell the server's moderators."
)


# Airdate never joins voice; don't warn at every start that voice libraries are missing.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


@dataclass(frozen=True, slots=True)
class Services:
    """What the composition root builds and hands the bot: the cogs' services and the engine."""

    releases: ReleaseService
    guild_settings: SettingsService
    follows: FollowService
    subscriptions: SubscriptionService
    guild_lifecycle: GuildLifecycle
    delivery: DeliveryService
    dispatcher: Dispatcher
    #: Posts through the bot at the bot's pace; `/settings test` sends with it too.
    sender: ChannelSender
    #: The shared AniList catalog (imports, follows, what a sync read).
    catalog: CatalogService
    #: AniList itself: the client, `/anilist follow` and the sync job.
    anilist: AniList
    #: Guilds' calendars: `/calendar` exports and the live feed.
    calendar: CalendarFeature
    #: The weekly digest: `/settings digest` and the digests' outbox.
    digests: Digests
    #: `/settings events`: highlights mirrored as Discord scheduled events.
    scheduled_events: ScheduledEventService
    #: `/settings threads` and the forum channels chosen for posting.
    threads: ThreadSettings


class AirdateBot(commands.Bot):
    """The Discord client: loads the cogs, syncs commands, starts delivery once READY."""

    def __init__(
        self,
        config: Config,
        database: Database,
        services: Services,
        *,
        clock: Clock = utcnow,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        # A moderator deleting an event the mirror made (not made again).
        intents.guild_scheduled_events = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Nothing the bot posts pings anyone unless a message opts that role in.
            allowed_mentions=discord.AllowedMentions.none(),
            # READY lists every guild the bot is in (as unavailable until its GUILD_CREATE
            # streams in), which is all on_ready's presence check needs, and sends go
            # through partial channels that need no cache. So don't sit out discord.py's
            # default 2 s after the last GUILD_CREATE before delivering.
            guild_ready_timeout=GUILD_READY_TIMEOUT_SECONDS,
        )
        _amortise_bucket_cleanup(self.http)
        self.config = config
        self.database = database
        self.clock = clock
        self.releases = services.releases
        self.guild_settings = services.guild_settings
        self.follows = services.follows
        self.subscriptions = services.subscriptions
        self.guild_lifecycle = services.guild_lifecycle
        self.delivery = services.delivery
        self.dispatcher = services.dispatcher
        self.sender = services.sender
        self.catalog = services.catalog
        self.anilist = services.anilist
        self.calendar = services.calendar
        self.digests = services.digests
        self.scheduled_events = services.scheduled_events
        self.threads = services.threads
        self._delivering = False
        self._closing = False
        self._refusal: StartupError | None = None
        self.tree.error(self.on_app_command_error)

    @property
    def refusal(self) -> StartupError | None:
        """Why the bot closed itself at start-up instead of serving, if it did."""
        return self._refusal

    async def setup_hook(self) -> None:
        for name in COGS:
            await self.load_extension(name)
        if self.config.dev_guild_id is None:
            await self.sync_commands(None)
        # The dev guild is synced once READY said the bot is in it. Delivery starts then
        # too: a guild that removed the bot while it was down must not be posted to first.

    def guild_name(self, guild_id: int) -> str | None:
        guild = self.get_guild(guild_id)
        return None if guild is None else guild.name

    def connected(self) -> bool:
        """Whether the bot is connected to Discord's gateway now."""
        return self.is_ready() and not self.is_closed() and self.ws is not None and self.ws.open

    async def close(self) -> None:
        # READY's handler may still be running: it must not start workers from now on.
        self._closing = True
        await self.calendar.stop()
        await self.scheduled_events.stop()
        await self.anilist.stop()
        await self.dispatcher.stop()
        await self.delivery.stop()
        await self.digests.stop()
        await super().close()

    async def sync_commands(self, guild: discord.Guild | None) -> None:
        """Sync to `guild` (the dev guild), or globally, only when the command set changed."""
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = "commands:global" if guild is None else f"commands:guild:{guild.id}"
        async with self.database.snapshot() as tx:
            synced = await settings_store.meta_value(tx, key)
        if synced == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return
        await self.tree.sync(guild=guild)
        async with self.database.transaction() as tx:
            await settings_store.set_meta_value(tx, key, digest)
        log.info("synced %d slash commands (%s)", len(payload), key)

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
        if not self._delivering and self.config.dev_guild_id is not None:
            try:
                await self._sync_dev_guild(self.config.dev_guild_id)
            except StartupError as error:
                self._refusal = error
                await self.close()
                return
        # Guilds that invited the bot back, or removed it, while it was down.
        await self.guild_lifecycle.reconcile_presence({guild.id for guild in self.guilds})
        if not self._delivering and not self._closing:
            self._delivering = True
            self.delivery.start()
            self.digests.start()
            self.dispatcher.start()
            self.anilist.start()
            await self.calendar.start()
            self.scheduled_events.start()

    async def _sync_dev_guild(self, guild_id: int) -> None:
        guild = self.get_guild(guild_id)
        if guild is None:
            raise ConfigError(
                f"DEV_GUILD_ID {guild_id} is not a server this bot is in (it is in "
                f"{len(self.guilds)}): invite the bot there, or set DEV_GUILD_ID to one of its "
                "servers, or leave it empty to sync commands globally."
            )
        try:
            await self.sync_commands(guild)
        except discord.Forbidden as error:
            raise ConfigError(
                f"Discord refused to register commands in DEV_GUILD_ID {guild_id} "
                f"(HTTP 403, code {error.code}): invite the bot to it again with the "
                "applications.commands scope, or leave DEV_GUILD_ID empty."
            ) from error
        except discord.HTTPException as error:
            # A passing failure must not keep delivery from starting; the next start syncs.
            log.error("could not sync commands to guild %s: %s", guild_id, error)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Turn what users can fix into an ephemeral hint; log everything else."""
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, UserError):
            reply = cause.message
        elif isinstance(cause, app_commands.MissingPermissions):
            reply = "Only members with the **Manage Server** permission can do that."
        elif isinstance(cause, app_commands.NoPrivateMessage):
            reply = "Airdate's commands work inside a server, not in direct messages."
        elif isinstance(cause, sqlite3.OperationalError) and _database_unavailable(cause):
            log.warning("command %r could not write: %s", _name(interaction), cause)
            reply = DATABASE_BUSY_REPLY
        elif isinstance(cause, app_commands.TransformerError):
            reply = "That option's value doesn't fit. Pick one from the list Discord offers."
        else:
            log.error(
                "command %r failed",
                interaction.command and interaction.command.qualified_name,
                exc_info=cause,
            )
            reply = UNEXPECTED_ERROR_REPLY
        await send_ephemeral(interaction, reply)


def _database_unavailable(error: sqlite3.OperationalError) -> bool:
    """A locked, busy or full database: a passing condition, not a bug."""
    text = str(error).lower()
    return any(word in text for word in ("locked", "busy", "disk is full", "disk i/o"))


def _name(interaction: discord.Interaction) -> str | None:
    return interaction.command.qualified_name if interaction.command else None


def _amortise_bucket_cleanup(http: discord.http.HTTPClient) -> None:
    """Keep discord.py's rate-limit bookkeeping linear when posting to thousands of channels.

    discord.py 2.7 keeps a bucket per channel route and, once it holds 256, scans them all
    for expired ones every time it meets a new channel: quadratic in a fan-out (most of
    the bot's CPU at 5,000 channels). Scan instead only when the count has grown by half
    since the last scan; buckets expire after 5 minutes idle, so little is kept longer.
    """
    scan = http._try_clear_expired_ratelimits
    next_scan_at = 256

    def amortised() -> None:
        nonlocal next_scan_at
        if len(http._buckets) < next_scan_at:
            return
        scan()
        next_scan_at = max(256, len(http._buckets) * 3 // 2)

    setattr(http, "_try_clear_expired_ratelimits", amortised)  # noqa: B010 - a method


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer ephemerally whether or not the interaction was already answered."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)
