"""What every target is owed about a release now: the one rule the outbox reconciles to.

`owed(state, history, now)` is pure. `state` is the release as it is and who should hear
of it now; `history` is what Discord accepted (sent messages, never merely queued ones).
Everything that changes what is owed (a command, a sync, a guild leaving, start-up)
recomputes this and makes the outbox match; every send checks it again first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.domain.dates import moved_enough
from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
    require_aware,
)

#: An announcement more than this late is no longer owed (recorded as skipped).
ANNOUNCEMENT_CATCH_UP = timedelta(hours=6)
#: A `day` release only gets reminders at least this far ahead.
DAY_PRECISION_MIN_OFFSET = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Target:
    """A channel or member that should hear about a release now, and since when.

    Messages due before `since` are not owed to it: a follow made, a channel set, a
    subscription taken or the bot invited back covers what is still ahead, never what it
    missed. Moving the announcement channel keeps its `since`: the new channel inherits
    what the old one was still owed.
    """

    id: int
    kind: TargetKind = TargetKind.CHANNEL
    role_ids: tuple[int, ...] = ()
    since: datetime | None = None
    #: The announcement channel this one took over from at `since`, and since when that
    #: one held it: messages due in between are owed here unless either was told them.
    inherits_from: int | None = None
    inherits_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """A release as it is now, with its audience and the guild's reminder offsets."""

    release: Release
    targets: tuple[Target, ...]
    offsets: tuple[timedelta, ...]
    #: When the release's current time (its revision) was set.
    revised_at: datetime
    #: Reminders due before the guild last changed its offsets are not owed.
    offsets_since: datetime | None = None
    #: When a date-change notice for the latest move falls due (after its debounce).
    notice_due_at: datetime | None = None
    #: How long after the release's time its reminders and announcement are due for this
    #: audience (a guild's streaming delay for catalog releases). Notices compare the
    #: release's own time, so changing the delay moves what is due and tells nobody.
    delay: timedelta = timedelta(0)
    #: The guild whose audience this is (a catalog release has one state per guild that
    #: sees it); None: the release's own guild.
    guild_id: int | None = None

    @property
    def guild(self) -> int:
        """The guild the targets belong to."""
        guild_id = self.guild_id if self.guild_id is not None else self.release.show.guild_id
        assert guild_id is not None, "a catalog release's state names its guild"
        return guild_id


@dataclass(frozen=True, slots=True)
class Sent:
    """One message Discord accepted about the release: to whom, what, and the time it told."""

    target_id: int
    kind: DeliveryKind
    offset_seconds: int
    about: ReleaseTime
    sent_at: datetime


class Owed(NamedTuple):
    """One message owed now, with its due time (and, for a notice, the time last told).

    A named tuple, like its key: a reconcile makes tens of thousands.
    """

    key: DeliveryKey
    due_at: datetime
    old_time: ReleaseTime | None = None


def owed(state: ReleaseState, history: Sequence[Sent], now: datetime) -> list[Owed]:
    """Return every message the release owes its targets now.

    - Nothing is owed about a cancelled release (but a catalog release, cancelled by
      AniList, owes the notice rule's one notice), and nothing to a target not listed.
    - Nothing is scheduled for a release whose time had passed when it was set (an
      episode that aired before its show was imported); reminders and the announcement
      are due `state.delay` after the release's time.
    - A reminder is owed for each offset (a `day` release: a day or more) whose moment is
      after the revision, the target's `since` and the last change of offsets, while the
      release is still ahead; of the offsets already past, only the latest is still owed
      (catch-up after downtime). A target already reminded at that offset about a time
      the release has not moved enough from is not reminded again.
    - The announcement is owed unless the target was announced a time the release has not
      moved enough from, up to 6 h after the release time.
    - A notice is owed to a target that Discord accepted a message for about this release
      when the time it was last told has moved enough from the current one.
    """
    require_aware(now)
    release = state.release
    if release.status is ReleaseStatus.CANCELLED and not release.is_catalog:
        return []
    by_target: dict[int, list[Sent]] = {}
    for sent in sorted(history, key=lambda s: s.sent_at):
        by_target.setdefault(sent.target_id, []).append(sent)
    result: list[Owed] = []
    if release.status is ReleaseStatus.CANCELLED:
        # AniList cancelled the show: its releases became TBA, and those already told get
        # one notice of it (a guild's own `/release remove` stays silent).
        for target in state.targets:
            notice = _notice(state, target, by_target.get(target.id, []), now)
            if notice is not None:
                result.append(notice)
        return result
    moments = _reminder_moments(state)
    for target in state.targets:
        told = by_target.get(target.id, [])
        inherited = [] if target.inherits_from is None else by_target.get(target.inherits_from, [])
        result += _scheduled(state, moments, target, told, inherited, now)
        notice = _notice(state, target, told, now)
        if notice is not None:
            result.append(notice)
    return result


def _key(state: ReleaseState, target: Target, kind: DeliveryKind, offset: int) -> DeliveryKey:
    release = state.release
    return DeliveryKey(release.id, kind, offset, release.revision, target.id, target.kind)


def _reminder_moments(state: ReleaseState) -> list[tuple[datetime, int]]:
    """Each reminder's moment and offset in seconds, earliest first (the same for every
    target, so worked out once per release)."""
    time = state.release.time
    if not time.precision.is_scheduled or time.at is None:
        return []
    return [
        (time.at + state.delay - offset, int(offset.total_seconds()))
        for offset in sorted(set(state.offsets), reverse=True)
        if time.precision is not Precision.DAY or offset >= DAY_PRECISION_MIN_OFFSET
    ]


def _scheduled(
    state: ReleaseState,
    moments: Sequence[tuple[datetime, int]],
    target: Target,
    told: Sequence[Sent],
    inherited: Sequence[Sent],
    now: datetime,
) -> list[Owed]:
    time = state.release.time
    if not time.precision.is_scheduled or time.at is None or time.at <= state.revised_at:
        # Already past when it was dated: nothing to remind of or announce. (Without a
        # delay the cut-off below says the same.)
        return []
    start = time.at + state.delay
    since = target.since
    if target.inherits_from is not None:
        # Taken over from the previous announcement channel: what it was still owed.
        since, told = target.inherits_since, [*told, *inherited]
    cutoff = max(m for m in (state.revised_at, since) if m is not None)
    found: list[Owed] = []
    if start > now:
        reminder_cutoff = max(cutoff, state.offsets_since or cutoff)
        found += _reminders(state, moments, target, told, now, reminder_cutoff)
    if start > cutoff and now - start <= ANNOUNCEMENT_CATCH_UP:
        announced = any(
            s.kind is DeliveryKind.ANNOUNCEMENT and not moved_enough(s.about, time) for s in told
        )
        if not announced:
            found.append(Owed(_key(state, target, DeliveryKind.ANNOUNCEMENT, 0), start))
    return found


def _reminders(
    state: ReleaseState,
    moments: Sequence[tuple[datetime, int]],
    target: Target,
    told: Sequence[Sent],
    now: datetime,
    cutoff: datetime,
) -> list[Owed]:
    time = state.release.time
    wanted: list[tuple[datetime, int]] = []
    latest_past: tuple[datetime, int] | None = None
    for moment in moments:
        if moment[0] <= cutoff:
            continue
        if moment[0] > now:
            wanted.append(moment)
        elif latest_past is None or moment > latest_past:
            latest_past = moment
    if latest_past is not None:
        wanted.append(latest_past)
    found = []
    for due_at, offset in wanted:
        reminded = bool(told) and any(
            s.kind is DeliveryKind.REMINDER
            and s.offset_seconds == offset
            and not moved_enough(s.about, time)
            for s in told
        )
        if not reminded:
            found.append(Owed(_key(state, target, DeliveryKind.REMINDER, offset), due_at))
    return found


def _notice(
    state: ReleaseState, target: Target, told: Sequence[Sent], now: datetime
) -> Owed | None:
    if not told:
        return None
    # What members saw last: the latest messages (several may share a moment).
    latest = [s for s in told if s.sent_at == told[-1].sent_at]
    if any(not moved_enough(s.about, state.release.time) for s in latest):
        return None
    last_told = latest[-1].about
    due_at = state.notice_due_at or now
    return Owed(_key(state, target, DeliveryKind.NOTICE, 0), due_at, old_time=last_told)
