"""Turning claimed outbox rows into messages, each notification checked against what is owed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.domain.catalog_view import CatalogView, delayed
from bot.domain.models import DeliveryKey, DeliveryKind, Release, TargetKind
from bot.domain.notifications import Notification
from bot.domain.owed import ANNOUNCEMENT_CATCH_UP, Owed, ReleaseState, owed
from bot.domain.planning import LATE_AFTER, delivery_nonce
from bot.storage import catalog, owed_state
from bot.storage.database import Transaction
from bot.storage.deliveries import ClaimedRow

#: Discord allows 10 embeds a message; one notification is one embed.
MAX_NOTIFICATIONS_PER_MESSAGE = 10
#: A message's group: target, nonce, due moment (if ahead), release (if it goes alone).
_Group = tuple[int, str | None, datetime | None, int | None]


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows that go out as one message to one channel or member."""

    guild_id: int
    target_id: int
    target_kind: TargetKind
    nonce: str
    delivery_ids: tuple[int, ...]
    keys: tuple[DeliveryKey, ...]
    notifications: tuple[Notification, ...]
    #: The roles each notification pings here (the target's covering follows' roles).
    roles: tuple[tuple[int, ...], ...]
    attempts: int
    deadline: datetime
    #: The message as first composed (a hash of its content), to look for it later.
    fingerprint: str = ""
    #: An earlier attempt's lease ran out beyond Discord's nonce window: look before sending.
    look_first: bool = False
    #: Monotonic time before which the message must not leave (its due moment).
    not_before: float = 0.0
    #: Rows whose earlier attempt may have reached Discord (verified if no longer owed).
    unconfirmed_ids: frozenset[int] = frozenset()
    #: Only look for the message (by fingerprint) and record it if found; never send.
    verify: bool = False
    #: Monotonic time of the claim (or last check), to tell whether the guild changed since.
    #: `claimed_at` and `not_before` are in the engine's monotonic clock.
    claimed_at: float = 0.0
    #: An earlier attempt may have reached Discord (its lease ran out, or no answer came).
    uncertain: bool = False
    #: The target is a forum: the message goes into the release's post (one release a
    #: batch), `post_id` once the post exists, else it creates the post `post_title`.
    forum: bool = False
    post_id: int | None = None
    post_title: str = ""

    @property
    def channel_key(self) -> int:
        return self.target_id

    @property
    def ping_role_ids(self) -> tuple[int, ...]:
        """Every role the message pings: those of its notifications, each once."""
        return tuple(dict.fromkeys(r for roles in self.roles for r in roles))

    @property
    def announced(self) -> tuple[tuple[int, int], ...]:
        """(release id, revision) of each announcement in the batch."""
        return tuple(
            (n.release.id, n.release.revision)
            for n in self.notifications
            if n.kind is DeliveryKind.ANNOUNCEMENT
        )

    def keeping(self, kept: Sequence[int]) -> Batch:
        """The batch with only the notifications at these positions."""
        return replace(
            self,
            delivery_ids=tuple(self.delivery_ids[i] for i in kept),
            keys=tuple(self.keys[i] for i in kept),
            notifications=tuple(self.notifications[i] for i in kept),
            roles=tuple(self.roles[i] for i in kept),
        )

    def verifying(self, delivery_ids: Sequence[int]) -> Batch:
        """A batch that only looks for these rows' message, as first composed."""
        kept = [i for i, d in enumerate(self.delivery_ids) if d in delivery_ids]
        return replace(
            self.keeping(kept),
            verify=True,
            look_first=True,
            notifications=(),
            roles=tuple(() for _ in kept),
        )


@dataclass(frozen=True, slots=True)
class OwedNow:
    """The releases of some rows as they are now, and what they owe."""

    #: What is owed, and the state (release and audience, in its guild) that owes each.
    owed: dict[DeliveryKey, Owed]
    state_of: dict[DeliveryKey, ReleaseState]
    #: Catalog releases as each guild sees them, by (release id, guild id).
    views: dict[tuple[int, int], CatalogView] = field(default_factory=dict)

    def roles_for(self, key: DeliveryKey) -> tuple[int, ...]:
        """The roles the target's covering follows ping for this key's release, now."""
        if key.target_kind is not TargetKind.CHANNEL:
            return ()
        state = self.state_of.get(key)
        for target in () if state is None else state.targets:
            if target.id == key.target_id and target.kind is key.target_kind:
                return target.role_ids
        return ()

    def release_for(self, key: DeliveryKey) -> Release:
        """The release an owed key is about, as its target's guild sees it (a catalog
        release: titled in the guild's language, timed when the guild is told)."""
        state = self.state_of[key]
        return replace(state.release, time=delayed(state.release.time, state.delay))

    def view_for(self, key: DeliveryKey) -> CatalogView | None:
        state = self.state_of[key]
        return self.views.get((state.release.id, state.guild))


async def owed_now(
    tx: Transaction,
    release_ids: Sequence[int],
    now: datetime,
    notice_debounce: timedelta,
    *,
    only: Mapping[int, Collection[int]] | None = None,
) -> OwedNow:
    """Read what these releases owe now (to the targets in `only`, per release, if given).

    A target that took over as announcement channel also needs what its predecessor was
    told, so the predecessor's history is read with it.
    """
    states = await owed_state.release_states(tx, release_ids, notice_debounce, only=only)
    target_ids = None
    if only is not None:
        target_ids = {t for targets in only.values() for t in targets}
        target_ids |= {
            t.inherits_from
            for state in states
            for t in state.targets
            if t.inherits_from is not None
        }
    history = await owed_state.history(tx, release_ids, target_ids=target_ids)
    wanted: dict[DeliveryKey, Owed] = {}
    state_of: dict[DeliveryKey, ReleaseState] = {}
    for state in states:
        for message in owed(state, history.get(state.release.id, ()), now):
            kept = wanted.get(message.key)
            if kept is None or message.due_at < kept.due_at:
                wanted[message.key] = message
                state_of[message.key] = state
    seen = {(state.release.id, state.guild): state.release for state in state_of.values()}
    views = await catalog.catalog_views(
        tx, [(release, guild) for (_, guild), release in seen.items()]
    )
    return OwedNow(wanted, state_of, views)


def held_targets(keys: Iterable[DeliveryKey]) -> dict[int, set[int]]:
    """Per release, the targets these rows are for: all a claim or a check must look at."""
    found: dict[int, set[int]] = defaultdict(set)
    for key in keys:
        found[key.release_id].add(key.target_id)
    return found


def build_batches(
    rows: Sequence[ClaimedRow],
    now_owed: OwedNow,
    now: datetime,
    nonce_window: timedelta,
    claimed_at: float,
    *,
    alone: Callable[[ClaimedRow], bool] = lambda row: False,
) -> list[Batch]:
    """Group owed rows into messages: one per target and due moment, at most 10 each.

    Rows that already went out together once keep their group and nonce, so a resend is
    the same message; rows not yet due go out with the others due at the same moment.
    A row `alone` says must have a message of its own release (a forum post's, or an
    announcement that starts a thread) is grouped only with rows of its release.
    """
    groups: dict[_Group, list[ClaimedRow]] = defaultdict(list)
    for row in rows:
        moment = row.due_at if row.due_at > now else None
        own = row.key.release_id if row.nonce is None and alone(row) else None
        groups[(row.key.target_id, row.nonce, moment, own)].append(row)
    batches = []
    for (target_id, nonce, _, _), group in groups.items():
        step = MAX_NOTIFICATIONS_PER_MESSAGE
        chunks = (
            [group]
            if nonce is not None
            else [group[i : i + step] for i in range(0, len(group), step)]
        )
        for chunk in chunks:
            notifications = tuple(_notification(row, now_owed, now) for row in chunk)
            keys = tuple(row.key for row in chunk)
            expired = [row.lease_expired_at for row in chunk if row.lease_expired_at]
            batches.append(
                Batch(
                    guild_id=chunk[0].guild_id,
                    target_id=target_id,
                    target_kind=chunk[0].key.target_kind,
                    nonce=nonce or delivery_nonce(keys),
                    delivery_ids=tuple(row.delivery_id for row in chunk),
                    keys=keys,
                    notifications=notifications,
                    roles=tuple(now_owed.roles_for(key) for key in keys),
                    attempts=max(row.attempts for row in chunk),
                    deadline=min(n.retry_deadline for n in notifications),
                    fingerprint=next((r.fingerprint for r in chunk if r.fingerprint), ""),
                    look_first=any(now - at > nonce_window for at in expired),
                    unconfirmed_ids=frozenset(r.delivery_id for r in chunk if r.unconfirmed),
                    not_before=claimed_at
                    + max((row.due_at - now).total_seconds() for row in chunk),
                    claimed_at=claimed_at,
                    uncertain=bool(expired) or any(r.unconfirmed for r in chunk),
                )
            )
    return batches


def verify_batches(rows: Sequence[ClaimedRow], now: datetime, claimed_at: float) -> list[Batch]:
    """Batches that only look for messages an earlier attempt may have posted.

    Rows no longer owed whose send may have reached Discord are not forgotten: the
    message first composed is looked for, and recorded as sent if it is there.
    """
    groups: dict[tuple[int, str], list[ClaimedRow]] = defaultdict(list)
    for row in rows:
        assert row.fingerprint, "only a row once composed can be looked for"
        groups[(row.key.target_id, row.fingerprint)].append(row)
    return [
        Batch(
            guild_id=group[0].guild_id,
            target_id=target_id,
            target_kind=group[0].key.target_kind,
            nonce=group[0].nonce or "",
            delivery_ids=tuple(row.delivery_id for row in group),
            keys=tuple(row.key for row in group),
            notifications=(),
            roles=tuple(() for _ in group),
            attempts=max(row.attempts for row in group),
            deadline=now + ANNOUNCEMENT_CATCH_UP,
            fingerprint=fingerprint,
            look_first=True,
            unconfirmed_ids=frozenset(row.delivery_id for row in group),
            verify=True,
            not_before=claimed_at,
            claimed_at=claimed_at,
            uncertain=True,
        )
        for (target_id, fingerprint), group in groups.items()
    ]


def _notification(row: ClaimedRow, now_owed: OwedNow, now: datetime) -> Notification:
    release = now_owed.release_for(row.key)
    late = row.late or (row.key.kind is DeliveryKind.ANNOUNCEMENT and now - row.due_at > LATE_AFTER)
    return Notification(
        kind=row.key.kind,
        release=release,
        due_at=row.due_at,
        offset=timedelta(seconds=row.key.offset_seconds),
        late=late,
        old_time=row.old_time,
        catalog=now_owed.view_for(row.key),
    )


def still_owed(batch: Batch, now_owed: OwedNow, checked_at: float) -> tuple[Batch, tuple[int, ...]]:
    """Check each notification of a batch against what is owed now, one by one.

    Return the batch with only what is still owed (its releases as they are now, pinging
    the roles that cover them now) and the ids of the rows dropped.
    """
    kept: list[int] = []
    dropped: list[int] = []
    for index, key in enumerate(batch.keys):
        (kept if key in now_owed.owed else dropped).append(index)
    checked = batch.keeping(kept)
    checked = replace(
        checked,
        notifications=tuple(
            replace(n, release=now_owed.release_for(key), catalog=now_owed.view_for(key))
            for n, key in zip(checked.notifications, checked.keys, strict=True)
        ),
        roles=tuple(now_owed.roles_for(key) for key in checked.keys),
        claimed_at=checked_at,
    )
    return checked, tuple(batch.delivery_ids[i] for i in dropped)


def started_reminders(batch: Batch, now: datetime) -> tuple[Batch, tuple[int, ...]]:
    """Drop reminders whose release has started: a reminder is never sent after it."""
    kept: list[int] = []
    dropped: list[int] = []
    for index, notification in enumerate(batch.notifications):
        at = notification.release.time.at
        started = notification.kind is DeliveryKind.REMINDER and (at is None or at <= now)
        (dropped if started else kept).append(index)
    if not dropped:
        return batch, ()
    return batch.keeping(kept), tuple(batch.delivery_ids[i] for i in dropped)
