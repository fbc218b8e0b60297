"""Make the outbox match what is owed, inside the transaction of the change that moved it.

Every change that can alter who is owed what (a release added, moved or removed, a
setting, a follow, a subscription, a guild leaving or coming back, a channel gone)
calls one of these before it commits. Undoing a change leaves the outbox as if the
change had never been made: rows owed again are pending again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.models import ReleaseTime
from bot.domain.owed import ANNOUNCEMENT_CATCH_UP, Owed, owed
from bot.storage import deliveries, owed_state, releases, subscriptions
from bot.storage.database import Transaction

log = logging.getLogger(__name__)


async def reconcile_releases(
    tx: Transaction,
    release_ids: Iterable[int],
    now: datetime,
    notice_debounce: timedelta,
    *,
    reason: str,
) -> list[Owed]:
    """Reconcile these releases' rows to what they owe now; return what they owe."""
    ids = sorted(set(release_ids))
    if not ids:
        return []
    states = await owed_state.release_states(tx, ids, notice_debounce)
    history = await owed_state.history(tx, ids)
    rows = await deliveries.rows_of_releases(tx, ids)
    wanted = [
        message
        for release_id, state in states.items()
        for message in owed(state, history.get(release_id, ()), now)
    ]

    def guild_of(release_id: int) -> int:
        guild_id = states[release_id].release.show.guild_id
        assert guild_id is not None, "only a guild's releases owe messages"
        return guild_id

    def about_of(release_id: int) -> ReleaseTime:
        return states[release_id].release.time

    change = await deliveries.make_owed(tx, guild_of, about_of, wanted, rows, now, reason=reason)
    if change.skipped or change.revived:
        log.info(
            "reconciled %d release(s) (%s): %d added, %d owed again, %d no longer owed",
            len(ids),
            reason,
            change.added,
            change.revived,
            change.skipped,
        )
    return wanted


async def reconcile_guild(
    tx: Transaction,
    guild_id: int,
    now: datetime,
    notice_debounce: timedelta,
    *,
    reason: str,
    show_id: int | None = None,
) -> list[Owed]:
    """Reconcile every release of the guild (of one show, if given) that may still owe."""
    ids = await releases.live_release_ids(tx, guild_id, now - ANNOUNCEMENT_CATCH_UP, show_id)
    return await reconcile_releases(tx, ids, now, notice_debounce, reason=reason)


async def reconcile_member(
    tx: Transaction, user_id: int, now: datetime, notice_debounce: timedelta, *, reason: str
) -> list[int]:
    """Reconcile what a member's DM subscriptions are owed; return the guilds concerned."""
    guild_shows = await subscriptions.dm_subscribed_shows(tx, user_id)
    for guild_id, show_ids in guild_shows.items():
        for show_id in show_ids:
            await reconcile_guild(
                tx, guild_id, now, notice_debounce, reason=reason, show_id=show_id
            )
    return sorted(guild_shows)
