"""An independent reference model of what a guild's targets are owed.

It knows only what moderators and members did (as commands that succeeded) and what
Discord accepted or refused; it shares no code with the engine's rule, so the two can
disagree. Times are exact (every release is added as "in N seconds").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

NOTICE_THRESHOLD = timedelta(minutes=30)
CATCH_UP = timedelta(hours=6)

#: A message as a member sees it: to whom, about which release, what kind, which offset.
Message = tuple[int, int, str, int]


@dataclass
class ModelRelease:
    show: str
    at: datetime
    revised_at: datetime
    revision: int = 1
    cancelled: bool = False
    times: dict[int, datetime] = field(default_factory=dict)


@dataclass
class ModelFollow:
    role: int | None
    since: datetime
    enabled: bool = True


@dataclass
class Told:
    """A message Discord accepted: to whom, which release, what kind and offset, about when."""

    target: int
    release: int
    kind: str
    offset: int
    about: datetime
    at: datetime
    #: Discord took it but its answer was lost: the engine cannot know until it finds it.
    message_id: int = 0
    confirmed: bool = True


@dataclass
class Model:
    guild: int
    debounce: timedelta
    releases: dict[int, ModelRelease] = field(default_factory=dict)
    channel: int | None = None
    channel_since: datetime | None = None
    channel_disabled: bool = False
    previous_channel: int | None = None
    previous_since: datetime | None = None
    role: int | None = None
    offsets: tuple[int, ...] = (7 * 86400, 86400, 3600)
    offsets_since: datetime | None = None
    follows: dict[tuple[int, str | None], ModelFollow] = field(default_factory=dict)
    dm_subs: dict[tuple[int, str], datetime] = field(default_factory=dict)
    paused: set[int] = field(default_factory=set)
    removed: bool = False
    present_since: datetime | None = None
    told: list[Told] = field(default_factory=list)

    # ------------------------------------------------------------------ audience
    def set_channel(self, channel: int | None, now: datetime) -> None:
        """What `/settings channel` does to the announcement channel."""
        working = self.channel is not None and not self.channel_disabled
        if working and channel is not None and channel != self.channel:
            self.previous_channel = self.channel
            self.previous_since = self.previous_since or self.channel_since
            self.channel, self.channel_since = channel, now
        elif not (working and channel == self.channel):
            self.channel, self.channel_disabled = channel, False
            self.channel_since = None if channel is None else now
            self.previous_channel = self.previous_since = None

    def audience(self, release: ModelRelease) -> dict[int, tuple[datetime | None, set[int]]]:
        """Each target's since and the roles it pings for this release."""
        if self.removed:
            return {}
        found: dict[int, tuple[datetime | None, set[int]]] = {}

        def cover(target: int, since: datetime | None, role: int | None) -> None:
            if target in found:
                old_since, roles = found[target]
                since = None if old_since is None or since is None else min(old_since, since)
            else:
                roles = set()
            if role is not None:
                roles.add(role)
            found[target] = (since, roles)

        if self.channel is not None and not self.channel_disabled:
            cover(self.channel, self.channel_since, self.role)
        for (channel, show), follow in self.follows.items():
            if follow.enabled and show in (None, release.show):
                cover(channel, follow.since, follow.role)
        for (user, show), since in self.dm_subs.items():
            if show == release.show and user not in self.paused:
                found[user] = (since, set())
        if self.present_since is not None:
            found = {
                t: (self.present_since if s is None else max(s, self.present_since), r)
                for t, (s, r) in found.items()
            }
        return found

    def _present(self, since: datetime | None) -> datetime | None:
        if self.present_since is None:
            return since
        return self.present_since if since is None else max(since, self.present_since)

    def roles(self, release_id: int, target: int) -> set[int]:
        release = self.releases[release_id]
        return self.audience(release).get(target, (None, set()))[1]

    # ------------------------------------------------------------------ owed
    def owed(self, now: datetime) -> dict[Message, datetime]:
        """What each target is owed now, with due times."""
        result: dict[Message, datetime] = {}
        for rid, release in self.releases.items():
            if release.cancelled:
                continue
            audience = self.audience(release)
            for target, (since, _) in audience.items():
                # The rule can only know what was confirmed: posts whose answer was lost
                # count once the engine has found and recorded them.
                told = [
                    t for t in self.told if t.target == target and t.release == rid and t.confirmed
                ]
                own_told = told
                inherits = (
                    target == self.channel
                    and self.previous_channel is not None
                    and self.previous_channel not in audience
                    and since == self._present(self.channel_since)
                )
                if inherits:
                    since = self._present(self.previous_since)
                    told = told + [
                        t
                        for t in self.told
                        if t.target == self.previous_channel and t.release == rid
                    ]
                cutoff = release.revised_at if since is None else max(release.revised_at, since)
                if release.at > now:
                    floor = (
                        cutoff if self.offsets_since is None else max(cutoff, self.offsets_since)
                    )
                    moments = sorted(
                        (release.at - timedelta(seconds=o), o)
                        for o in set(self.offsets)
                        if release.at - timedelta(seconds=o) > floor
                    )
                    past = [m for m in moments if m[0] <= now]
                    wanted = [m for m in moments if m[0] > now] + past[-1:]
                    for due, offset in wanted:
                        if not any(
                            t.kind == "reminder"
                            and t.offset == offset
                            and close(t.about, release.at)
                            for t in told
                        ):
                            result[(target, rid, "reminder", offset)] = due
                if (
                    release.at > cutoff
                    and now - release.at <= CATCH_UP
                    and not any(
                        t.kind == "announcement" and close(t.about, release.at) for t in told
                    )
                ):
                    result[(target, rid, "announcement", 0)] = release.at
                if own_told:
                    last_at = max(t.at for t in own_told)
                    if not any(close(t.about, release.at) for t in own_told if t.at == last_at):
                        result[(target, rid, "notice", 0)] = release.revised_at + self.debounce
        return result


def close(a: datetime, b: datetime) -> bool:
    """Whether two times are within the notice threshold (no notice, no repeat)."""
    return abs(a - b) < NOTICE_THRESHOLD
