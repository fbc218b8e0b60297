"""Guild scheduled events: Discord's routes, validation, cap, permissions and automation.

``GET/POST /guilds/{id}/scheduled-events`` and ``GET/PATCH/DELETE
/guilds/{id}/scheduled-events/{event_id}``, checked as Discord checks them
(reference/calendar.md part B): name 1-100, description at most 1000, EXTERNAL events need
a location of 1-100 characters and an end time and no channel, ``privacy_level`` is
required and must be 2 (GUILD_ONLY), the start must be ahead and the end after it, status
only SCHEDULED->ACTIVE|CANCELED and ACTIVE->COMPLETED (a finished event answers 180000),
at most 100 SCHEDULED or ACTIVE events a guild (30038), and 403 50013 without Create
Events (modifying or deleting the bot's own: Create Events or Manage Events). Like
Discord, an EXTERNAL event becomes ACTIVE at its start and COMPLETED at its end by itself
(checked whenever the guild's events are touched), and completed events drop out of the
list. Each change is dispatched as GUILD_SCHEDULED_EVENT_CREATE/UPDATE/DELETE. A cover
(``image``) must be a data URI of a PNG, JPEG, GIF or WebP in valid base64, else 400 50035;
it is stored (``SimEvent.image_bytes``) and shown as a hash, as Discord shows images;
``image: null`` on an edit takes it away.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.simulator.models import JSON, SimGuild, iso
from tests.simulator.permissions import Perm, guild_permissions
from tests.simulator.responses import error, invalid_form, json_body, no_content
from tests.simulator.world import World

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
GUILD_ONLY = 2
CAP = 100
_TRANSITIONS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,(?P<data>.*)", re.DOTALL)
_BAD_IMAGE = "image: Invalid image data (a data URI of a PNG, JPEG, GIF or WebP)"


@dataclass
class SimEvent:
    id: int
    guild_id: int
    creator_id: int
    name: str
    description: str | None
    location: str | None
    channel_id: int | None
    entity_type: int
    privacy_level: int
    start: float
    end: float | None
    status: int = SCHEDULED
    #: The cover's bytes as sent (decoded from its data URI); None: no cover.
    image_bytes: bytes | None = None
    history: list[str] = field(default_factory=list)

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": None if self.channel_id is None else str(self.channel_id),
            "creator_id": str(self.creator_id),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": iso(self.start),
            "scheduled_end_time": None if self.end is None else iso(self.end),
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": None if self.location is None else {"location": self.location},
            "user_count": 0,
            "image": self.image,
        }

    @property
    def image(self) -> str | None:
        """The cover's hash, as Discord shows an image (None: no cover)."""
        if self.image_bytes is None:
            return None
        return hashlib.md5(self.image_bytes, usedforsecurity=False).hexdigest()


class ScheduledEvents:
    """The scheduled events of every simulated guild, and the routes that change them."""

    def __init__(
        self,
        world: World,
        body_of: Callable[[web.Request], Any],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.world = world
        self._body_of = body_of
        self.clock = clock
        self.by_guild: dict[int, dict[int, SimEvent]] = {}
        #: Events the bot created with POST (each one Discord made, never deduplicated).
        self.created = 0

    def install(self, app: web.Application, prefix: str) -> None:
        add = app.router.add_route
        base = prefix + "/guilds/{guild}/scheduled-events"
        add("GET", base, self.list_events)
        add("POST", base, self.create)
        add("GET", base + "/{event}", self.get_event)
        add("PATCH", base + "/{event}", self.edit)
        add("DELETE", base + "/{event}", self.delete)

    # ----------------------------------------------------------------- inspection
    def events(
        self, guild_id: int, *, statuses: tuple[int, ...] = (SCHEDULED, ACTIVE)
    ) -> list[SimEvent]:
        self._automate(guild_id)
        found = self.by_guild.get(guild_id, {}).values()
        return sorted((e for e in found if e.status in statuses), key=lambda e: (e.start, e.id))

    def delete_as_moderator(self, guild_id: int, event_id: int) -> JSON:
        """A moderator deletes an event in Discord's UI: gone, GUILD_SCHEDULED_EVENT_DELETE."""
        event = self.by_guild[guild_id].pop(event_id)
        event.history.append("deleted by a moderator")
        return event.payload()

    # ----------------------------------------------------------------- routes
    def _guild(self, request: web.Request) -> SimGuild | None:
        return self.world.guilds.get(int(request.match_info["guild"]))

    def _bot_may(self, guild: SimGuild, needed: int) -> bool:
        member = self.world.bot_member(guild)
        return bool(guild_permissions(guild, member) & needed)

    def _event(self, guild: SimGuild, request: web.Request) -> SimEvent | None:
        self._automate(guild.id)
        try:
            event_id = int(request.match_info["event"])
        except ValueError:
            return None
        return self.by_guild.get(guild.id, {}).get(event_id)

    async def list_events(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return json_body(
            [e.payload() for e in self.events(guild.id, statuses=(SCHEDULED, ACTIVE, CANCELED))]
        )

    async def get_event(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        event = self._event(guild, request)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        return json_body(event.payload())

    async def create(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        if not self._bot_may(guild, Perm.CREATE_EVENTS):
            return error(403, 50013, "Missing Permissions")
        body = _json(self._body_of(request))
        problems = _required(body, ("name", "privacy_level", "scheduled_start_time", "entity_type"))
        image = _image(body.get("image"))
        if image is False:
            return invalid_form([*problems, _BAD_IMAGE])
        if problems:
            return invalid_form(problems)
        event = SimEvent(
            id=self.world.ids.next(),
            guild_id=guild.id,
            creator_id=self.world.bot_user.id,
            name=body["name"],
            description=body.get("description"),
            location=(body.get("entity_metadata") or {}).get("location"),
            channel_id=body.get("channel_id"),
            entity_type=body["entity_type"],
            privacy_level=body["privacy_level"],
            start=_timestamp(body.get("scheduled_start_time")),
            end=None
            if body.get("scheduled_end_time") is None
            else _timestamp(body["scheduled_end_time"]),
            image_bytes=image,
        )
        problems = self._problems(event, start_changed=True)
        if problems:
            return invalid_form(problems)
        if len(self.events(guild.id)) >= CAP:
            return error(
                400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)"
            )
        event.history.append("created")
        self.by_guild.setdefault(guild.id, {})[event.id] = event
        self.created += 1
        self.world.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event.payload())
        return json_body(event.payload())

    async def edit(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        event = self._event(guild, request)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        if not self._may_change(guild, event):
            return error(403, 50013, "Missing Permissions")
        if event.status in (COMPLETED, CANCELED):
            return error(400, 180000, "Cannot update a finished event")
        body = _json(self._body_of(request))
        image = _image(body.get("image"))
        if image is False:
            return invalid_form([_BAD_IMAGE])
        changed = _edited(event, body)
        if "image" in body:
            changed.image_bytes = image
        if "status" in body and body["status"] != event.status:
            if body["status"] not in _TRANSITIONS.get(event.status, set()):
                return invalid_form([f"status: cannot go from {event.status} to {body['status']}"])
            changed.status = body["status"]
        start_changed = changed.start != event.start
        problems = self._problems(
            changed, start_changed=start_changed and event.status == SCHEDULED
        )
        if problems:
            return invalid_form(problems)
        changed.history = [*event.history, f"edited {sorted(body)}"]
        self.by_guild[guild.id][event.id] = changed
        self.world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", changed.payload())
        return json_body(changed.payload())

    async def delete(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        event = self._event(guild, request)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        if not self._may_change(guild, event):
            return error(403, 50013, "Missing Permissions")
        del self.by_guild[guild.id][event.id]
        self.world.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event.payload())
        return no_content()

    # ----------------------------------------------------------------- rules
    def _may_change(self, guild: SimGuild, event: SimEvent) -> bool:
        own = event.creator_id == self.world.bot_user.id
        needed = Perm.MANAGE_EVENTS | (Perm.CREATE_EVENTS if own else 0)
        return self._bot_may(guild, needed)

    def _problems(self, event: SimEvent, *, start_changed: bool) -> list[str]:
        problems = []
        if not isinstance(event.name, str) or not 1 <= len(event.name) <= 100:
            problems.append("name: must be 1-100 characters")
        if event.description is not None and (
            not isinstance(event.description, str) or len(event.description) > 1000
        ):
            problems.append("description: must be at most 1000 characters")
        if event.privacy_level != GUILD_ONLY:
            problems.append("privacy_level: Invalid privacy level (only 2, GUILD_ONLY)")
        if event.entity_type not in (1, 2, 3):
            problems.append("entity_type: BASE_TYPE_CHOICES")
        if event.entity_type == EXTERNAL:
            if event.channel_id is not None:
                problems.append("channel_id: must be null for EXTERNAL events")
            if not isinstance(event.location, str) or not 1 <= len(event.location) <= 100:
                problems.append("entity_metadata.location: required, 1-100 characters")
            if event.end is None:
                problems.append("scheduled_end_time: required for EXTERNAL events")
        if event.start != event.start:  # NaN: unreadable
            problems.append("scheduled_start_time: not an ISO 8601 timestamp")
        elif start_changed and event.start <= self.clock():
            problems.append("scheduled_start_time: cannot be in the past")
        if event.end is not None and (event.end != event.end or event.end <= event.start):
            problems.append("scheduled_end_time: must be after the start")
        return problems

    def _automate(self, guild_id: int) -> None:
        """Discord starts an EXTERNAL event at its start and ends it at its end."""
        now = self.clock()
        for event in list(self.by_guild.get(guild_id, {}).values()):
            if event.entity_type != EXTERNAL:
                continue
            if event.status == SCHEDULED and event.start <= now:
                event.status = ACTIVE
                event.history.append("started by Discord")
                self.world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.payload())
            if event.status == ACTIVE and event.end is not None and event.end <= now:
                event.status = COMPLETED
                event.history.append("ended by Discord")
                self.world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.payload())


def _edited(event: SimEvent, body: JSON) -> SimEvent:
    changed = SimEvent(**{**event.__dict__, "history": list(event.history)})
    if "name" in body:
        changed.name = body["name"]
    if "description" in body:
        changed.description = body["description"]
    if "entity_metadata" in body:
        changed.location = (body["entity_metadata"] or {}).get("location")
    if "channel_id" in body:
        changed.channel_id = body["channel_id"]
    if "entity_type" in body:
        changed.entity_type = body["entity_type"]
    if "privacy_level" in body:
        changed.privacy_level = body["privacy_level"]
    if "scheduled_start_time" in body:
        changed.start = _timestamp(body["scheduled_start_time"])
    if "scheduled_end_time" in body:
        end = body["scheduled_end_time"]
        changed.end = None if end is None else _timestamp(end)
    return changed


def _image(value: Any) -> bytes | Literal[False] | None:
    """An image data field's bytes (None: no image; False: not valid image data)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return False
    match = _IMAGE_DATA.fullmatch(value)
    if match is None:
        return False
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        return False
    return data or False


def _required(body: JSON, names: tuple[str, ...]) -> list[str]:
    return [f"{name}: BASE_TYPE_REQUIRED" for name in names if body.get(name) is None]


def _timestamp(value: Any) -> float:
    """Seconds of an ISO 8601 timestamp (NaN: unreadable)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return float("nan")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _json(body: Any) -> JSON:
    return body if isinstance(body, dict) else {}
