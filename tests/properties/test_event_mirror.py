"""The events mirror against a reference model, whatever happens first.

Random sequences of what moderators and Discord do (releases added, moved, cancelled;
events deleted by a moderator, heard of or not; events turned off and on; 5xx answers,
answers lost after Discord made the event, a 403, the process dying mid-call) drive the
real mirror over a real SQLite database and an in-memory Discord. Once the faults are
over and the mirror has settled, Discord must show exactly one event for each of the
nearest `LIMIT` upcoming highlights, less those a moderator deleted (which keep their
slot), and nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.scheduled_events import EventSpec, ListedEvent
from bot.services.changes import Changes
from bot.services.event_mirror import EventError, EventFailure, EventMirror
from bot.services.releases import ReleaseChanges, ReleaseDraft, ReleaseService
from bot.services.scheduled_events import ScheduledEventService
from bot.storage.database import Database

GUILD = 10
BOT = 99
LIMIT = 3
LEASE = timedelta(seconds=30)
START = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


class Died(BaseException):
    """The process is killed mid-call (nothing after it runs)."""


@dataclass
class FakeEvent:
    name: str
    starts_at: datetime
    status: int = 1


@dataclass
class FakeDiscord:
    """Discord's scheduled events for one guild, with faults for the next calls."""

    events: dict[int, FakeEvent] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def bot_id(self) -> int:
        return BOT

    def _fault(self) -> str | None:
        return self.faults.pop(0) if self.faults else None

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        fault = self._fault()
        if fault == "5xx":
            raise EventError(EventFailure.PASSING, "HTTP 500")
        if fault == "403":
            raise EventError(EventFailure.FORBIDDEN, "HTTP 403 code 50013")
        event_id = next(self.ids)
        self.events[event_id] = FakeEvent(spec.name, spec.starts_at)
        if fault == "lost":
            raise EventError(EventFailure.PASSING, "connection: ServerDisconnectedError")
        if fault == "die":
            raise Died
        return event_id

    def _existing(self, event_id: int) -> FakeEvent:
        event = self.events.get(event_id)
        if event is None:
            raise EventError(EventFailure.GONE, "HTTP 404 code 10070")
        if event.status != 1:
            raise EventError(EventFailure.GONE, "HTTP 400 code 180000")
        return event

    async def edit(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        if self._fault() == "5xx":
            raise EventError(EventFailure.PASSING, "HTTP 500")
        event = self._existing(event_id)
        event.name, event.starts_at = spec.name, spec.starts_at

    async def cancel(self, guild_id: int, event_id: int) -> None:
        if self._fault() == "5xx":
            raise EventError(EventFailure.PASSING, "HTTP 500")
        self._existing(event_id).status = 4

    async def delete(self, guild_id: int, event_id: int) -> None:
        if self._fault() == "5xx":
            raise EventError(EventFailure.PASSING, "HTTP 500")
        if self.events.pop(event_id, None) is None:
            raise EventError(EventFailure.GONE, "HTTP 404 code 10070")

    async def listed(self, guild_id: int) -> Sequence[ListedEvent]:
        return [
            ListedEvent(event_id, e.name, e.starts_at, BOT, e.status)
            for event_id, e in self.events.items()
        ]

    async def close(self) -> None:
        pass

    def live(self) -> list[tuple[str, datetime]]:
        return sorted((e.name, e.starts_at) for e in self.events.values() if e.status == 1)


# What happens: (kind, a number, another number).
steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "add",
                "add",
                "add_episode",
                "move",
                "cancel",
                "moderator_deletes",
                "moderator_deletes_unheard",
                "toggle",
                "fault_5xx",
                "fault_lost",
                "fault_403",
                "die",
            ]
        ),
        st.integers(0, 30),
        st.integers(1, 20),
    ),
    max_size=14,
)


#: `make test-deep` (AIRDATE_DEEP=1) runs many more examples, randomly seeded.
DEEP = os.environ.get("AIRDATE_DEEP") == "1"


@settings(
    max_examples=int(os.environ.get("AIRDATE_DEEP_EXAMPLES", "2000")) if DEEP else 60,
    deadline=None,
    derandomize=not DEEP,
    suppress_health_check=list(HealthCheck),
)
@given(steps)
def test_the_mirror_converges_to_the_nearest_highlights_once_each(
    plan: list[tuple[str, int, int]],
) -> None:
    asyncio.run(_run(plan))


async def _run(plan: list[tuple[str, int, int]]) -> None:
    now = [START]
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "airdate.db")
        discord = FakeDiscord()
        changes = Changes(database, lambda: now[0], lambda guild_id: None)
        mirror = EventMirror(changes, discord, lambda: now[0], limit=LIMIT, lease=LEASE)
        service = ScheduledEventService(changes, mirror)
        releases = ReleaseService(changes)
        model = Model()
        await service.set_enabled(GUILD, True, can_create=True)
        try:
            for kind, number, days in plan:
                at = START + timedelta(days=days)
                when = at.strftime("%Y-%m-%dT%H:%MZ")
                alive = sorted(set(model.starts) - model.cancelled)
                if kind in ("add", "add_episode"):
                    label = f"Season {number}" if kind == "add" else f"Episode {number + 2}"
                    title = f"Show {len(model.starts)}"
                    result = await releases.add(
                        GUILD, ReleaseDraft(title=title, when=when, label=label)
                    )
                    release_id = result.release.id
                    model.starts[release_id] = at
                    model.names[release_id] = f"{title} — {label}"
                    if kind == "add":
                        model.highlights.add(release_id)
                elif kind == "move" and alive:
                    release_id = alive[number % len(alive)]
                    await releases.edit(GUILD, str(release_id), ReleaseChanges(when=when))
                    model.starts[release_id] = at
                elif kind == "cancel" and alive:
                    release_id = alive[number % len(alive)]
                    await releases.remove(GUILD, str(release_id))
                    model.cancelled.add(release_id)
                elif kind.startswith("moderator_deletes"):
                    ids = sorted(i for i, e in discord.events.items() if e.status == 1)
                    if ids:
                        event_id = ids[number % len(ids)]
                        event = discord.events.pop(event_id)
                        heard = kind == "moderator_deletes"
                        model.moderator_deleted(event.name, heard, now[0])
                        if heard:
                            await service.event_deleted(GUILD, event_id)
                elif kind == "toggle":
                    model.enabled = not model.enabled
                    await service.set_enabled(GUILD, model.enabled, can_create=True)
                    if not model.enabled:
                        model.deleted.clear()  # off forgets; on again makes the set anew
                        model.maybe_deleted.clear()
                else:
                    discord.faults.append(kind.removeprefix("fault_"))
                if not await _settle(mirror, now, rounds=2):
                    # The process died mid-call: a new one, with nothing in memory, starts
                    # once the dead one's leases have run out.
                    mirror = EventMirror(changes, discord, lambda: now[0], limit=LIMIT, lease=LEASE)
                    service = ScheduledEventService(changes, mirror)
                    now[0] += LEASE + timedelta(seconds=1)
                if (await service.view(GUILD)).paused:
                    await service.permissions_seen(GUILD, True)  # the role was fixed
            discord.faults.clear()
            assert await _settle(mirror, now, rounds=8)
            live = discord.live()
            assert len(live) == len(set(live)), f"an event made twice: {live}"
            wanted = model.expected(now[0])
            must = {(model.names[r], model.starts[r]) for r in wanted - model.maybe_deleted}
            may = {(model.names[r], model.starts[r]) for r in wanted}
            assert must <= set(live) <= may, (
                f"Discord shows {live}, the model wants {sorted(must)} (and may have "
                f"{sorted(may - must)})"
            )
        finally:
            await database.close()


@dataclass
class Model:
    """What Discord should show: releases' starts and names, which are highlights, which
    were cancelled, whose events a moderator deleted (heard of, or maybe not)."""

    starts: dict[int, datetime] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    highlights: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    #: Deleted without the bot hearing of it: it learns only if it touches the event, and
    #: one it was about to delete anyway may come back when its slot does.
    maybe_deleted: set[int] = field(default_factory=set)
    enabled: bool = True

    def moderator_deleted(self, name: str, heard: bool, now: datetime) -> None:
        [release_id] = [r for r, n in self.names.items() if n == name]
        if release_id not in self.expected(now):
            return  # an event the mirror was deleting or cancelling anyway
        if heard:
            self.deleted.add(release_id)
        else:
            self.maybe_deleted.add(release_id)

    def expected(self, now: datetime) -> set[int]:
        """The nearest LIMIT upcoming highlights (deleted ones keep their slot), less the
        deleted."""
        if not self.enabled:
            return set()
        upcoming = [
            r
            for r in self.starts
            if r in self.highlights and r not in self.cancelled and self.starts[r] > now
        ]
        nearest = sorted(upcoming, key=lambda r: (self.starts[r], r))[:LIMIT]
        return set(nearest) - self.deleted


async def _settle(mirror: EventMirror, now: list[datetime], *, rounds: int) -> bool:
    """Let the mirror work as its worker would, minutes passing between tries (past any
    backoff and lease). False: the process died mid-call."""
    for _ in range(rounds):
        try:
            await mirror.sync_guild(GUILD)
        except Died:
            return False
        now[0] += timedelta(minutes=6)
    return True
