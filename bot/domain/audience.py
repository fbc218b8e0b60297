"""Who hears about a release: channels that follow its show, members subscribed by DM."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import Follow, GuildSettings, Release, TargetKind
from bot.domain.owed import Target

#: "Episode 5", "Ep. 5", "EP05", "#5": one regular episode of a running show.
_EPISODE = re.compile(r"^\s*(?:episode|ep\.?|#)\s*0*(?P<number>[0-9]{1,5})\b", re.IGNORECASE)
_FINALE = re.compile(r"\bfinale\b|\bfinal episode\b|\blast episode\b", re.IGNORECASE)


def is_regular_episode(label: str | None) -> bool:
    """A release that `episodes: false` leaves out: an episode that is no premiere or finale.

    Episode 1 is a premiere; a label that says finale is a finale; seasons, movies and
    unlabelled releases are never regular episodes.
    """
    if label is None:
        return False
    match = _EPISODE.match(label)
    if match is None or int(match["number"]) <= 1:
        return False
    return _FINALE.search(label) is None


def covers(follow: Follow, release: Release) -> bool:
    """Whether an enabled follow owes its channel messages about this release."""
    if not follow.enabled:
        return False
    if follow.show_id is not None and follow.show_id != release.show.id:
        return False
    return follow.episodes or release.finale or not is_regular_episode(release.label)


@dataclass(frozen=True, slots=True)
class ChannelAudience:
    """One channel's share of a release: it gets one message, pinging these roles."""

    channel_id: int
    role_ids: tuple[int, ...]


def channel_audiences(
    release: Release, settings: GuildSettings, follows: Iterable[Follow]
) -> list[ChannelAudience]:
    """Return each channel owed messages about `release`, with the roles to ping there.

    The announcement channel with its ping role is the guild's implicit follow of `all`.
    However many follows cover a channel, it gets one message pinging each of their roles.
    """
    roles: dict[int, list[int]] = {}
    if settings.channel_id is not None and settings.channel_disabled_reason is None:
        roles[settings.channel_id] = [] if settings.role_id is None else [settings.role_id]
    for follow in follows:
        if not covers(follow, release):
            continue
        channel_roles = roles.setdefault(follow.channel_id, [])
        if follow.role_id is not None and follow.role_id not in channel_roles:
            channel_roles.append(follow.role_id)
    return [ChannelAudience(channel, tuple(r)) for channel, r in roles.items()]


@dataclass(frozen=True, slots=True)
class DmSubscriber:
    """A member subscribed to a show by DM (DMs not paused), since when."""

    user_id: int
    since: datetime | None = None


def release_targets(
    release: Release,
    settings: GuildSettings,
    follows: Iterable[Follow],
    dm_subscribers: Iterable[DmSubscriber] = (),
) -> tuple[Target, ...]:
    """Return every channel and member that should hear about `release` now.

    A guild that removed the bot has no audience. A channel is covered since the earliest
    of what covers it; nothing is owed from before the bot last joined the guild.
    """
    if settings.removed:
        return ()
    follows = list(follows)
    since: dict[int, datetime | None] = {}
    if settings.channel_id is not None and settings.channel_disabled_reason is None:
        since[settings.channel_id] = settings.channel_since
    for follow in follows:
        if covers(follow, release):
            since[follow.channel_id] = _earliest(since.get(follow.channel_id, _NEVER), follow.since)
    # The announcement channel took over from a previous one: unless something else
    # covers it from an earlier moment, it inherits what that one was still owed.
    previous = settings.previous_channel_id
    inheriting = (
        settings.channel_id
        if previous is not None and settings.channel_id is not None and previous not in since
        else None
    )
    channel_since = _latest(settings.channel_since, settings)
    targets = []
    for audience in channel_audiences(release, settings, follows):
        target_since = _latest(since[audience.channel_id], settings)
        if audience.channel_id == inheriting and target_since == channel_since:
            target = Target(
                audience.channel_id,
                TargetKind.CHANNEL,
                audience.role_ids,
                target_since,
                inherits_from=previous,
                inherits_since=_latest(settings.previous_channel_since, settings),
            )
        else:
            target = Target(
                audience.channel_id, TargetKind.CHANNEL, audience.role_ids, target_since
            )
        targets.append(target)
    targets += [
        Target(s.user_id, TargetKind.USER, (), _latest(s.since, settings)) for s in dm_subscribers
    ]
    return tuple(targets)


class _Never:
    """Placeholder for a channel not yet covered by anything."""


_NEVER = _Never()


def _earliest(current: datetime | _Never | None, other: datetime | None) -> datetime | None:
    if isinstance(current, _Never):
        return other
    if current is None or other is None:
        return None
    return min(current, other)


def _latest(since: datetime | None, settings: GuildSettings) -> datetime | None:
    moments = [m for m in (since, settings.present_since) if m is not None]
    return max(moments, default=None)
