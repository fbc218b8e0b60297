"""The composition root's wiring: the services, the delivery engine and the bot, built once."""

from __future__ import annotations

from dataclasses import replace

from bot.anilist.autocomplete import AniListAutocomplete
from bot.anilist.client import AniListClient
from bot.anilist.feature import AniList
from bot.anilist.follow import AniListFollower
from bot.anilist.limiter import AniListLimiter
from bot.anilist.sync import AniListSync, AniListSyncJob
from bot.calendar.feature import CalendarFeature
from bot.calendar.feeds import Feeds
from bot.calendar.ics import render_event
from bot.calendar.server import FeedServer
from bot.channel_sender import ChannelSender
from bot.client import AirdateBot, Services
from bot.clock import Clock, utcnow
from bot.config import Config
from bot.digest_sender import DigestSender
from bot.event_sender import EventSender
from bot.scheduling.dispatcher import Dispatcher
from bot.scheduling.outboxes import Outboxes
from bot.scheduling.ratelimit import RateLimiter
from bot.services.audiences import FollowService, SubscriptionService
from bot.services.calendar import CalendarService
from bot.services.catalog import CatalogService
from bot.services.changes import Changes
from bot.services.delivery import DeliveryPolicy, DeliveryService
from bot.services.digest_delivery import DigestOutbox
from bot.services.digest_feature import Digests
from bot.services.digests import DigestService
from bot.services.event_mirror import EventMirror
from bot.services.lifecycle import GuildLifecycle, GuildOutages
from bot.services.releases import ReleaseService
from bot.services.schedule import ScheduleService
from bot.services.scheduled_events import ScheduledEventService
from bot.services.settings import SettingsService
from bot.services.thread_starts import ThreadStarts
from bot.services.threads import ThreadSettings
from bot.storage.database import Database


def build_bot(
    config: Config,
    database: Database,
    *,
    clock: Clock = utcnow,
    policy: DeliveryPolicy | None = None,
) -> AirdateBot:
    """Build the services and the engine over `database`, and the bot that is handed them."""
    policy = replace(
        policy or DeliveryPolicy(rate_per_second=config.rate_limit_per_second),
        notice_debounce=config.notice_debounce,
    )
    outages = GuildOutages()
    sender = ChannelSender(RateLimiter(policy.rate_per_second), outages.__contains__)
    thread_starts = ThreadStarts(database, sender, clock)
    delivery = DeliveryService(database, sender, policy, clock, thread_starts=thread_starts)
    # Weekly digests have an outbox of their own, woken by the same dispatcher.
    digest_outbox = DigestOutbox(database, DigestSender(sender), policy, clock)
    dispatcher = Dispatcher(Outboxes(delivery, digest_outbox), clock)
    delivery.on_capacity = dispatcher.wake
    digest_outbox.on_recorded = dispatcher.wake

    def guild_changed(guild_id: int) -> None:
        """A guild's releases, settings or audiences changed: rework what it is owed now,
        and check its calendar feed again."""
        delivery.guild_changed(guild_id)
        dispatcher.wake()
        calendar.guild_changed(guild_id)
        events_mirror.guild_changed(guild_id)

    changes = Changes(database, clock, guild_changed, config.notice_debounce)
    # Scheduled events go out through the same rate limiter as messages.
    event_sender = EventSender(sender.wait_turn, policy.send_timeout)
    events_mirror = EventMirror(
        changes, event_sender, clock, limit=config.events_per_guild, lease=policy.lease
    )
    calendar = build_calendar(config, changes, clock)
    catalog = CatalogService(changes)
    services = Services(
        releases=ReleaseService(changes),
        guild_settings=SettingsService(changes),
        follows=FollowService(changes),
        subscriptions=SubscriptionService(changes),
        guild_lifecycle=GuildLifecycle(changes, outages=outages),
        delivery=delivery,
        dispatcher=dispatcher,
        sender=sender,
        catalog=catalog,
        anilist=build_anilist(config, catalog, clock),
        calendar=calendar,
        digests=Digests(DigestService(changes), digest_outbox),
        scheduled_events=ScheduledEventService(changes, events_mirror),
        threads=ThreadSettings(changes),
    )
    bot = AirdateBot(config, database, services, clock=clock)
    # The bot is the connection the sender posts through; it exists only now.
    sender.post_through(bot)
    event_sender.post_through(bot)
    services.calendar.read_from(bot.guild_name, bot.connected)
    return bot


def build_calendar(config: Config, changes: Changes, clock: Clock) -> CalendarFeature:
    """Guilds' calendars, rendered by icalendar; the live feed only if a port is set."""
    service = CalendarService(changes, render_event)
    feeds = Feeds(service, clock)
    server = None
    if config.calendar_http_port is not None:
        server = FeedServer(
            service,
            feeds,
            config.calendar_http_host,
            config.calendar_http_port,
            schedule=ScheduleService(changes),
            base_url=config.calendar_base_url,
        )
    return CalendarFeature(service, feeds, server)


def build_anilist(config: Config, catalog: CatalogService, clock: Clock) -> AniList:
    """One limiter for every AniList request: searches, follows and the sync share it."""
    client = AniListClient(
        AniListLimiter(config.anilist_requests_per_minute, clock=clock),
        url=config.anilist_api_url,
        clock=clock,
    )
    sync = AniListSync(client, catalog, window=config.anilist_window, clock=clock)
    return AniList(
        client=client,
        follower=AniListFollower(client, catalog, window=config.anilist_window, clock=clock),
        autocomplete=AniListAutocomplete(client, catalog.search, clock=clock),
        sync_job=AniListSyncJob(sync, config.anilist_sync_interval, clock=clock),
    )
