"""The simulated world (users, guilds, channels, roles, messages) and its JSON payloads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


def _optional_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def iso(timestamp: float) -> str:
    """Discord's ISO-8601 timestamp for a ``time.time()`` value."""
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).isoformat()


@dataclass
class SimUser:
    id: int
    name: str
    bot: bool = False
    accepts_dms: bool = True

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class SimRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 1
    mentionable: bool = False
    managed: bool = False
    hoist: bool = False
    color: int = 0

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class SimMember:
    user: SimUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    joined_at: float = 0.0
    role_history: list[tuple[str, int]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    def payload(self, *, with_user: bool = True) -> JSON:
        data: JSON = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": iso(self.joined_at),
            "flags": 0,
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
            "pending": False,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Overwrite:
    target_id: int
    kind: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        return {
            "id": str(self.target_id),
            "type": self.kind,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class SimChannel:
    id: int
    name: str
    guild_id: int | None
    type: int = 0
    position: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_id: int | None = None
    #: Threads (type 11, forum posts too): the channel they are in, who started them, and
    #: their auto-archive duration in minutes.
    parent_id: int | None = None
    owner_id: int | None = None
    auto_archive_duration: int = 1440
    created_at: float = 0.0

    @property
    def is_thread(self) -> bool:
        return self.type in (10, 11, 12)

    def payload(self) -> JSON:
        if self.guild_id is None:
            return {
                "id": str(self.id),
                "type": self.type,
                "last_message_id": None,
                "recipients": [],
                "flags": 0,
            }
        if self.is_thread:
            return {
                "id": str(self.id),
                "type": self.type,
                "guild_id": str(self.guild_id),
                "name": self.name,
                "parent_id": _optional_id(self.parent_id),
                "owner_id": _optional_id(self.owner_id),
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "message_count": 0,
                "member_count": 1,
                "flags": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(self.created_at),
                    "locked": False,
                    "create_timestamp": iso(self.created_at),
                },
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites.values()],
            "topic": None,
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }


@dataclass
class SimGuild:
    id: int
    name: str
    owner_id: int
    created_at: float
    roles: dict[int, SimRole] = field(default_factory=dict)
    channels: dict[int, SimChannel] = field(default_factory=dict)
    members: dict[int, SimMember] = field(default_factory=dict)
    #: Threads and forum posts started in its channels.
    threads: dict[int, SimChannel] = field(default_factory=dict)
    system_channel_id: int | None = None
    bot_role_id: int = 0
    locale: str = "en-US"

    @property
    def everyone_role(self) -> SimRole:
        return self.roles[self.id]

    @property
    def general(self) -> SimChannel:
        assert self.system_channel_id is not None
        return self.channels[self.system_channel_id]

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": _optional_id(self.system_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.locale,
            "features": [],
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": [c.payload() for c in self.channels.values()],
            "threads": [t.payload() for t in self.threads.values()],
            "members": [m.payload() for m in self.members.values()],
            "member_count": len(self.members),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": iso(self.created_at),
            "application_id": None,
            "max_members": 500000,
        }


@dataclass
class SimMessage:
    id: int
    channel_id: int
    author_id: int
    content: str
    embeds: list[JSON]
    allowed_mentions: JSON | None
    nonce: str | int | None
    components: list[JSON]
    created_monotonic: float
    created_at: float
    guild_id: int | None = None
    flags: int = 0
    attachments: list[JSON] = field(default_factory=list)
    #: The attached files' contents, in the order of `attachments`.
    files: list[bytes] = field(default_factory=list)
    source: str = "rest"  # "rest", "interaction" or "followup"
    interaction_id: int | None = None
    edited_at: float | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)


@dataclass(frozen=True)
class LateAnswer:
    """An answer Discord refused because the interaction's window had closed."""

    interaction_id: int
    label: str  # e.g. "/release add" or "click airdate:remind:1"
    route: str  # "callback", or "followup", "get", "edit", "delete" through the webhook token
    age: float  # seconds since the interaction was created
    code: int  # 10062 for a callback, 10015 for the webhook


@dataclass(frozen=True)
class Pings:
    everyone: bool
    roles: frozenset[int]
    users: frozenset[int]

    @property
    def nobody(self) -> bool:
        return not (self.everyone or self.roles or self.users)


@dataclass
class RecordedRequest:
    method: str
    path: str
    json: Any
    query: dict[str, str]
    at: float
    wall: float
    status: int | None = None
    fault: str | None = None  # the injected fault mode, or "rate_limit" / "global_rate_limit"


@dataclass
class InteractionReply:
    """What the bot answered to one simulated interaction (kept up to date as it answers more)."""

    interaction_id: int
    token: str
    type: int | None = None
    content: str | None = None
    embeds: list[JSON] = field(default_factory=list)
    ephemeral: bool = False
    components: list[JSON] = field(default_factory=list)
    message_id: int | None = None
    choices: list[JSON] = field(default_factory=list)
    modal: JSON | None = None
    callbacks: list[JSON] = field(default_factory=list)
    # Messages followups created; the one filling in a deferred response is not among them.
    followups: list[SimMessage] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    #: The attached files' contents, in the order of `attachments`.
    files: list[bytes] = field(default_factory=list)

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    def show(self, message: SimMessage) -> None:
        """Mirror a message (the reply, an edit of it or a followup) into the summary fields."""
        self.content = message.content
        self.embeds = message.embeds
        self.components = message.components
        self.ephemeral = message.ephemeral
        self.message_id = message.id
        self.attachments = message.attachments
        self.files = message.files
