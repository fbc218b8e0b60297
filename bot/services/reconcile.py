"""Make the outbox match what is owed, inside the transaction of the change that moved it.

Every change that can alter who is owed what (a release added, moved or removed, a
setting, a follow, a subscription, a guild leaving or coming back, a channel gone)
calls one of these before it commits. Undoing a change leaves the outbox as if the
change had never been made: rows owed again are pending again.

A change that can only affect some targets (a follow: its channel; the announcement
channel: the old and the new one; a member's DMs: that member) names them, and only
their rows are compared: the rule is the same, the work is what the change touches.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.models import DeliveryKey, ReleaseTime
from bot.domain.owed import ANNOUNCEMENT_CATCH_UP, Owed, ReleaseState, Sent, owed
from bot.storage import deliveries, owed_state, releases, settings, subscriptions
from bot.storage.database import Transaction

log = logging.getLogger(__name__)


async def reconcile_releases(
    tx: Transaction,
    release_ids: Iterable[int],
    now: datetime,
    notice_debounce: timedelta,
    *,
    reason: str,
    targets: Collection[int] | None = None,
    guild_id: int | None = None,
) -> list[Owed]:
    """Reconcile these releases' rows (to `targets` only, and in `guild_id` only, if given)
    to what they owe now; return what they owe those targets."""
    ids = sorted(set(release_ids))
    if not ids:
        return []
    scope = None if targets is None else frozenset(targets)
    only = None if scope is None else dict.fromkeys(ids, scope)
    states = await owed_state.release_states(tx, ids, notice_debounce, only=only, guild_id=guild_id)
    told_by = scope
    if scope is not None:
        # A channel that took over the announcements inherits what its predecessor was
        # told, so that one's history is read too.
        inherited = {
            t.inherits_from
            for state in states
            for t in state.targets
            if t.inherits_from is not None
        }
        told_by = scope | inherited
    history = await owed_state.history(tx, ids, target_ids=told_by)
    rows = await deliveries.rows_of_releases(tx, ids, target_ids=scope, guild_id=guild_id)
    wanted, guilds = owed_by_states(states, history, now)
    times = {state.release.id: state.release.time for state in states}

    def guild_of(key: DeliveryKey) -> int:
        return guilds[key]

    def about_of(release_id: int) -> ReleaseTime:
        return times[release_id]

    change = await deliveries.make_owed(
        tx, guild_of, about_of, wanted.values(), rows, now, reason=reason
    )
    if change.skipped or change.revived:
        log.info(
            "reconciled %d release(s) (%s): %d added, %d owed again, %d no longer owed",
            len(ids),
            reason,
            change.added,
            change.revived,
            change.skipped,
        )
    return list(wanted.values())


def owed_by_states(
    states: Iterable[ReleaseState], history: Mapping[int, Sequence[Sent]], now: datetime
) -> tuple[dict[DeliveryKey, Owed], dict[DeliveryKey, int]]:
    """What the states owe, by key, and the guild each message is owed in.

    A member subscribed by DM in two guilds that both see a catalog release is owed one
    message, not two: the earliest due.
    """
    wanted: dict[DeliveryKey, Owed] = {}
    guilds: dict[DeliveryKey, int] = {}
    for state in states:
        for message in owed(state, history.get(state.release.id, ()), now):
            kept = wanted.get(message.key)
            if kept is None or message.due_at < kept.due_at:
                wanted[message.key] = message
                guilds[message.key] = state.guild
    return wanted, guilds


async def reconcile_guild(
    tx: Transaction,
    guild_id: int,
    now: datetime,
    notice_debounce: timedelta,
    *,
    reason: str,
    show_id: int | None = None,
    targets: Collection[int] | None = None,
) -> list[Owed]:
    """Reconcile every release of the guild (of one show, if given) that may still owe,
    for every target or only `targets`."""
    ids = await releases.live_release_ids(tx, guild_id, now - ANNOUNCEMENT_CATCH_UP, show_id)
    if targets is not None:
        guild = await settings.guild_settings(tx, guild_id)
        if guild.previous_channel_id in targets and guild.channel_id is not None:
            # What covers the announcement channel's predecessor decides whether the
            # announcement channel takes over what it was owed: a change there is one here.
            targets = {*targets, guild.channel_id}
    return await reconcile_releases(
        tx, ids, now, notice_debounce, reason=reason, targets=targets, guild_id=guild_id
    )


async def reconcile_channel_move(
    tx: Transaction,
    guild_id: int,
    from_channel: int | None,
    to_channel: int | None,
    now: datetime,
    notice_debounce: timedelta,
) -> list[Owed]:
    """Reconcile the announcement channel changing from one channel to another (either may
    be None): only those two can be owed anything new. What the new channel inherits is
    moved across first, so a move rewrites each row once instead of skipping it here and
    adding it there; the reconcile then decides every row as always."""
    ids = await releases.live_release_ids(tx, guild_id, now - ANNOUNCEMENT_CATCH_UP)
    if from_channel is not None and to_channel is not None:
        await deliveries.move_untried(tx, ids, from_channel, to_channel)
    return await reconcile_releases(
        tx,
        ids,
        now,
        notice_debounce,
        reason="announcement channel changed",
        targets={c for c in (from_channel, to_channel) if c is not None},
        guild_id=guild_id,
    )


async def reconcile_member(
    tx: Transaction, user_id: int, now: datetime, notice_debounce: timedelta, *, reason: str
) -> list[int]:
    """Reconcile what a member's DM subscriptions are owed; return the guilds concerned."""
    guild_shows = await subscriptions.dm_subscribed_shows(tx, user_id)
    for guild_id, show_ids in guild_shows.items():
        for show_id in show_ids:
            await reconcile_guild(
                tx,
                guild_id,
                now,
                notice_debounce,
                reason=reason,
                show_id=show_id,
                targets=(user_id,),
            )
    return sorted(guild_shows)
