"""Discord scheduled events mirroring a guild's highlights: which, what each shows, and
what must be done to one so Discord shows it.

A guild that turns events on sees its nearest `limit` upcoming exact highlights as
EXTERNAL events. The set is always the nearest ones: a highlight leaving it frees a slot
for the next, and a nearer one at the cap takes the farthest one's place. An event a
moderator deleted keeps its slot and is not made again. Discord starts and ends external
events itself, so an event whose start has passed is left alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.audience import is_regular_episode
from bot.domain.calendar import DEFAULT_DURATION
from bot.domain.models import Precision, Release, ReleaseStatus, require_aware
from bot.domain.text import truncate

NAME_MAX = 100
DESCRIPTION_MAX = 1000
LOCATION_MAX = 100
#: Discord allows 100 scheduled or active events a guild; the server keeps room for its own.
MAX_EVENTS_PER_GUILD = 90
DEFAULT_EVENTS_PER_GUILD = 20


@dataclass(frozen=True, slots=True)
class MirrorSetting:
    """Whether a guild mirrors its highlights, and why it is paused if it is."""

    guild_id: int
    enabled: bool = False
    paused_reason: str | None = None
    paused_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None


#: Why a guild's mirror waits: Discord refused for lack of Create Events.
MISSING_PERMISSION = "missing Create Events"


def is_highlight(release: Release) -> bool:
    """A release that is not a regular episode: premieres, seasons, finales, movies,
    specials and unlabelled releases (what `episodes: false` keeps)."""
    return release.finale or release.premiere or not is_regular_episode(release.label)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What one mirrored event shows on Discord."""

    name: str
    description: str | None
    location: str
    starts_at: datetime
    ends_at: datetime
    #: The show's cover as the guild sees it (uploaded with the event), None: no cover.
    image_url: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.starts_at)
        require_aware(self.ends_at)

    @property
    def fingerprint(self) -> str:
        """A digest of everything the event shows: equal when nothing changed."""
        shown = [
            self.name,
            self.description,
            self.location,
            int(self.starts_at.timestamp()),
            int(self.ends_at.timestamp()),
        ]
        if self.image_url is not None:
            # Only when set: an event without a cover keeps the digest it had before covers.
            shown.append(self.image_url)
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]


def event_spec(release: Release, duration: timedelta | None) -> EventSpec:
    """The event of a release as the guild sees it (an exact release: see `mirrorable`)."""
    at = release.time.at
    if at is None:
        raise ValueError("a release without a moment has no event")
    lasts = duration if duration and duration > timedelta(0) else DEFAULT_DURATION
    show = release.show
    link = show.link or None
    description = show.description or None
    if description and link:
        room = DESCRIPTION_MAX - len(link) - 2
        description = f"{truncate(description, room)}\n\n{link}" if room > 0 else description
    elif link:
        description = f"More: {link}"
    location = link if link is not None and len(link) <= LOCATION_MAX else show.title
    return EventSpec(
        name=truncate(release.display_title, NAME_MAX),
        description=None if description is None else truncate(description, DESCRIPTION_MAX),
        location=truncate(location, LOCATION_MAX),
        starts_at=at.replace(microsecond=0),
        ends_at=(at + lasts).replace(microsecond=0),
        image_url=show.image_url or None,
    )


def mirrorable(release: Release, now: datetime) -> bool:
    """Whether a release (as the guild sees it) may have an event: an exact highlight,
    not cancelled, still ahead."""
    at = release.time.at
    return (
        at is not None
        and release.time.precision is Precision.EXACT
        and release.status is not ReleaseStatus.CANCELLED
        and at > now
        and is_highlight(release)
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """An upcoming highlight that may be mirrored: its release and when it starts."""

    release_id: int
    starts_at: datetime


def mirrored_set(candidates: Iterable[Candidate], limit: int) -> list[int]:
    """The releases whose events the guild should have: the nearest `limit` highlights
    (soonest first, ties by release id). A release whose event a moderator deleted is in
    it (it keeps its slot); the caller does not make its event again."""
    ordered = sorted(candidates, key=lambda c: (c.starts_at, c.release_id))
    return [candidate.release_id for candidate in ordered[: max(0, limit)]]


class Want(StrEnum):
    """What Discord should show for a mirrored release."""

    EVENT = "event"  # its event, as specified
    CANCELLED = "cancelled"  # its event marked canceled (the release was cancelled)
    DELETED = "deleted"  # no event (left the set, or events turned off)
    DONE = "done"  # started: Discord starts and ends it; nothing more to do


class Operation(StrEnum):
    CREATE = "create"
    FIND = "find"  # an earlier create may have reached Discord: look before anything else
    PATCH = "patch"
    CANCEL = "cancel"
    DELETE = "delete"


#: What `synced` holds once Discord shows the event as canceled.
CANCELLED_MARK = "cancelled"


@dataclass(frozen=True, slots=True)
class Attempt:
    """A create that was sent and whose outcome is not known: what it asked for."""

    name: str
    starts_at: datetime
    fingerprint: str


@dataclass(frozen=True, slots=True)
class MirrorRow:
    """One release's event in one guild: what it should be and what Discord has."""

    guild_id: int
    release_id: int
    want: Want
    spec: EventSpec
    #: Discord's event id, once known.
    event_id: int | None = None
    #: The fingerprint of what Discord shows (CANCELLED_MARK once canceled), None: nothing.
    synced: str | None = None
    #: A create was started and its outcome is not known: Discord may hold the event.
    attempt: Attempt | None = None
    #: A moderator deleted its event (or Discord says it is finished): never touched again.
    gone: bool = False


def next_operation(row: MirrorRow) -> Operation | None:
    """What must be done next so Discord shows what the row wants (None: nothing)."""
    if row.gone or row.want is Want.DONE:
        return None
    if row.event_id is None:
        if row.attempt is not None:
            return Operation.FIND
        return Operation.CREATE if row.want is Want.EVENT else None
    if row.want is Want.EVENT:
        return None if row.synced == row.spec.fingerprint else Operation.PATCH
    if row.want is Want.CANCELLED:
        return None if row.synced == CANCELLED_MARK else Operation.CANCEL
    return Operation.DELETE


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th passing failure: 2 s doubling, at most 5 min."""
    return timedelta(seconds=min(2.0 * 2 ** max(0, attempts - 1), 300.0))


@dataclass(frozen=True, slots=True)
class ListedEvent:
    """An event as Discord lists it (enough to recognise one the bot made)."""

    event_id: int
    name: str
    starts_at: datetime
    creator_id: int | None
    status: int


def adoptable(
    listed: Sequence[ListedEvent], attempt: Attempt, bot_id: int, taken: set[int]
) -> ListedEvent | None:
    """The event an uncertain create made, if Discord has it: made by the bot, with the
    name and start that create sent, not already another row's."""
    for event in listed:
        if (
            event.creator_id == bot_id
            and event.name == attempt.name
            and event.starts_at == attempt.starts_at
            and event.event_id not in taken
            and event.status in (1, 2)
        ):
            return event
    return None
