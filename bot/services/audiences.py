"""Follows (channels) and subscriptions (members): who hears about which shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain import text
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.models import Follow, GuildSettings, Show, Subscription, Via
from bot.services import reconcile
from bot.services.changes import Changes
from bot.services.references import resolve_show
from bot.services.seen import seen_follows, seen_show, seen_shows, seen_subscriptions
from bot.storage import dm_pauses, follows, search, settings, subscriptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FollowResult:
    show: Show | None  # None: all shows
    channel_id: int
    role_id: int | None
    episodes: bool
    reenabled: bool = False


@dataclass(frozen=True, slots=True)
class SubscriptionPlan:
    """How a member will be subscribed: by a role to hand them, or by DM."""

    show: Show
    via: Via
    role_id: int | None


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    show: Show
    ways: tuple[Via, ...]
    role_id: int | None


class FollowService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def follow(
        self, guild_id: int, channel_id: int, show_ref: str, role_id: int | None, episodes: bool
    ) -> FollowResult:
        """Make a channel follow a show (or `all`); following again re-enables and updates."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            show = await resolve_show(tx, guild_id, show_ref, allow_all=True)
            existing = [
                f
                for f in await follows.guild_follows(tx, guild_id)
                if f.channel_id == channel_id and f.show_id == (show and show.id)
            ]
            await follows.save_follow(
                tx,
                guild_id=guild_id,
                channel_id=channel_id,
                show_id=None if show is None else show.id,
                role_id=role_id,
                episodes=episodes,
                now=now,
            )
            await reconcile.reconcile_guild(
                tx,
                guild_id,
                now,
                self._changes.notice_debounce,
                reason="follow changed",
                show_id=None if show is None else show.id,
                targets=_touched(show, channel_id),
            )
            if show is not None:
                show = await seen_show(tx, await settings.guild_settings(tx, guild_id), show)
        return FollowResult(
            show, channel_id, role_id, episodes, reenabled=any(not f.enabled for f in existing)
        )

    async def unfollow(self, guild_id: int, channel_id: int, show_ref: str) -> Show | None:
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            show = await resolve_show(tx, guild_id, show_ref, allow_all=True)
            if not await follows.delete_follow(
                tx, guild_id, channel_id, None if show is None else show.id
            ):
                raise NotFound(
                    f"<#{channel_id}> does not follow "
                    f"{'all shows' if show is None else text.quote(show.title)}. "
                    "`/follows` lists what each channel follows."
                )
            await reconcile.reconcile_guild(
                tx,
                guild_id,
                now,
                self._changes.notice_debounce,
                reason="unfollowed",
                show_id=None if show is None else show.id,
                targets=_touched(show, channel_id),
            )
            if show is not None:
                show = await seen_show(tx, await settings.guild_settings(tx, guild_id), show)
        return show

    async def listing(self, guild_id: int) -> tuple[GuildSettings, list[Follow]]:
        async with self._changes.read() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            return guild, await seen_follows(tx, guild, await follows.guild_follows(tx, guild_id))

    async def suggest_shows(self, guild_id: int, typed: str) -> list[Show]:
        async with self._changes.read() as tx:
            found = await search.search_shows(tx, guild_id, typed.strip()[:100])
            return await seen_shows(tx, await settings.guild_settings(tx, guild_id), found)


class SubscriptionService:
    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    async def plan(self, guild_id: int, show_ref: str | int, via: Via | None) -> SubscriptionPlan:
        """Decide how to subscribe: the show's follow role if asked (or by default), else DM.

        `show_ref` is what the member typed, or the id of a show a button names.
        """
        async with self._changes.read() as tx:
            show = await resolve_show(tx, guild_id, show_ref, allow_all=False)
            assert show is not None
            show = await seen_show(tx, await settings.guild_settings(tx, guild_id), show)
            role_follow = await follows.show_role_follow(tx, guild_id, show.id)
        if via is Via.ROLE and role_follow is None:
            raise InvalidInput(
                f"{text.quote(show.title)} has no role to subscribe with here. Choose "
                "`via: dm`, or ask a moderator to `/follow` it with a role."
            )
        if via is None:
            via = Via.DM if role_follow is None else Via.ROLE
        role_id = role_follow.role_id if via is Via.ROLE and role_follow is not None else None
        return SubscriptionPlan(show, via, role_id)

    async def subscribe(self, guild_id: int, user_id: int, plan: SubscriptionPlan) -> bool:
        """Store the subscription; return False if the member already had it."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            added = await subscriptions.save_subscription(
                tx, guild_id, user_id, plan.show.id, plan.via, now
            )
            if plan.via is Via.DM:
                # Asking again for DMs is the member saying their DMs are open again.
                if await dm_pauses.resume_dms(tx, user_id, now):
                    await reconcile.reconcile_member(
                        tx, user_id, now, self._changes.notice_debounce, reason="DMs open again"
                    )
                await reconcile.reconcile_guild(
                    tx,
                    guild_id,
                    now,
                    self._changes.notice_debounce,
                    reason="subscribed",
                    show_id=plan.show.id,
                    targets=(user_id,),
                )
        return added

    async def unsubscribe_plan(
        self, guild_id: int, user_id: int, show_ref: str | int
    ) -> Unsubscribed:
        """Say what unsubscribing would undo (the ways, the role to take back); change nothing.

        The role is taken back first, and only then is the subscription forgotten, so a
        refusal from Discord leaves the member exactly as they were.
        """
        async with self._changes.read() as tx:
            show = await resolve_show(tx, guild_id, show_ref, allow_all=False)
            assert show is not None
            ways = [
                s.via
                for s in await subscriptions.member_subscriptions(tx, guild_id, user_id)
                if s.show_id == show.id
            ]
            if not ways:
                raise _not_subscribed(show)
            role_follow = await follows.show_role_follow(tx, guild_id, show.id)
        role_id = role_follow.role_id if Via.ROLE in ways and role_follow is not None else None
        return Unsubscribed(show, tuple(ways), role_id)

    async def unsubscribe(self, guild_id: int, user_id: int, show_ref: str | int) -> Unsubscribed:
        """Forget the member's subscriptions to a show (its role already taken back)."""
        now = self._changes.now()
        async with self._changes.guild(guild_id) as tx:
            show = await resolve_show(tx, guild_id, show_ref, allow_all=False)
            assert show is not None
            ways = await subscriptions.delete_subscriptions(tx, guild_id, user_id, show.id)
            if not ways:
                raise _not_subscribed(show)
            role_follow = await follows.show_role_follow(tx, guild_id, show.id)
            if Via.DM in ways:
                await reconcile.reconcile_guild(
                    tx,
                    guild_id,
                    now,
                    self._changes.notice_debounce,
                    reason="unsubscribed",
                    show_id=show.id,
                    targets=(user_id,),
                )
        role_id = role_follow.role_id if Via.ROLE in ways and role_follow is not None else None
        return Unsubscribed(show, tuple(ways), role_id)

    async def listing(self, guild_id: int, user_id: int) -> tuple[list[Subscription], bool]:
        """Return the member's subscriptions here, and whether their DMs are paused."""
        async with self._changes.read() as tx:
            guild = await settings.guild_settings(tx, guild_id)
            return (
                await seen_subscriptions(
                    tx, guild, await subscriptions.member_subscriptions(tx, guild_id, user_id)
                ),
                await dm_pauses.dms_paused(tx, user_id),
            )

    async def take_dm_pause_notice(self, user_id: int) -> bool:
        """Return True once after a member's DMs were paused, so they are told exactly once."""
        async with self._changes.database.transaction() as tx:
            if not await dm_pauses.dm_pause_untold(tx, user_id):
                return False
            await dm_pauses.mark_dm_pause_told(tx, user_id, self._changes.now())
            return True


def _touched(show: Show | None, channel_id: int) -> tuple[int, ...] | None:
    """The targets a follow of `show` in this channel can change: the channel's, unless the
    show is a catalog one, which the guild sees only through its follows (every target)."""
    return None if show is not None and show.guild_id is None else (channel_id,)


def _not_subscribed(show: Show) -> NotFound:
    return NotFound(
        f"You are not subscribed to {text.quote(show.title)}. "
        "`/subscriptions` lists what you are subscribed to."
    )
