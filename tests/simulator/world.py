"""The simulator's state: who and what exists, messages, and registered commands."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from tests.simulator.mentions import compute_pings
from tests.simulator.models import (
    JSON,
    Overwrite,
    Pings,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
    iso,
)
from tests.simulator.permissions import (
    BOT_ROLE_DEFAULT,
    EVERYONE_DEFAULT,
    Perm,
    channel_permissions,
)
from tests.simulator.snowflakes import SnowflakeFactory

Dispatcher = Callable[[str, JSON], None]

BOT_ROLE_POSITION = 10


class World:
    def __init__(self) -> None:
        self.ids = SnowflakeFactory()
        self.bot_user = SimUser(id=self.ids.next(), name="Airdate", bot=True)
        self.application_id = self.bot_user.id
        self.users: dict[int, SimUser] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, SimGuild] = {}
        self.channels: dict[int, SimChannel] = {}
        self.dm_channels: dict[int, SimChannel] = {}
        self.messages_by_channel: dict[int, list[SimMessage]] = {}
        self.messages_by_id: dict[int, SimMessage] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self.dispatch: Dispatcher = lambda event, data: None
        # Guilds the bot was removed from, guilds in an outage, channels deleted.
        self.left_guilds: set[int] = set()
        self.unavailable_guilds: set[int] = set()
        self.deleted_channels: dict[int, SimChannel] = {}
        # Messages the bot created with POST /channels/{id}/messages, per channel.
        self.created_per_channel: dict[int, int] = {}
        self.message_count = 0

    # ----------------------------------------------------------------- world building
    def add_user(self, name: str, *, bot: bool = False, accepts_dms: bool = True) -> SimUser:
        user = SimUser(id=self.ids.next(), name=name, bot=bot, accepts_dms=accepts_dms)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, everyone_permissions: int = EVERYONE_DEFAULT) -> SimGuild:
        owner = self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = SimGuild(id=self.ids.next(), name=name, owner_id=owner.id, created_at=time.time())
        guild.roles[guild.id] = SimRole(
            id=guild.id,
            guild_id=guild.id,
            name="@everyone",
            permissions=everyone_permissions,
            position=0,
        )
        bot_role = SimRole(
            id=self.ids.next(),
            guild_id=guild.id,
            name="Airdate",
            permissions=BOT_ROLE_DEFAULT,
            position=BOT_ROLE_POSITION,
            managed=True,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        general = self._new_channel(guild, "general", deny_bot=0)
        guild.system_channel_id = general.id
        self._join(guild, owner, [])
        self._join(guild, self.bot_user, [bot_role.id])
        self.guilds[guild.id] = guild
        self.dispatch("GUILD_CREATE", guild.payload())
        return guild

    def add_channel(
        self, guild: SimGuild, name: str, *, deny_bot: int = 0, kind: int = 0
    ) -> SimChannel:
        """A guild channel: text (0), announcement (5) or forum (15)."""
        channel = self._new_channel(guild, name, deny_bot=deny_bot)
        channel.type = kind
        self.dispatch("CHANNEL_CREATE", channel.payload())
        return channel

    def start_thread(
        self, parent: SimChannel, name: str, archive_minutes: int, *, thread_id: int | None = None
    ) -> SimChannel:
        """A public thread in `parent` (its id the starter message's, as on Discord)."""
        assert parent.guild_id is not None
        thread = SimChannel(
            id=self.ids.next() if thread_id is None else thread_id,
            name=name,
            guild_id=parent.guild_id,
            type=11,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            auto_archive_duration=archive_minutes,
            created_at=time.time(),
        )
        self.guilds[parent.guild_id].threads[thread.id] = thread
        self.channels[thread.id] = thread
        self.messages_by_channel[thread.id] = []
        self.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        return thread

    def threads_in(self, parent: SimChannel) -> list[SimChannel]:
        """The threads (forum posts) started in a channel, oldest first."""
        guild = self.guild_of(parent)
        found = [] if guild is None else guild.threads.values()
        return sorted((t for t in found if t.parent_id == parent.id), key=lambda t: t.id)

    def add_role(
        self,
        guild: SimGuild,
        name: str,
        *,
        mentionable: bool = True,
        permissions: int = 0,
        managed: bool = False,
        position: int = 1,
    ) -> SimRole:
        role = SimRole(
            id=self.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=position,
            mentionable=mentionable,
            managed=managed,
        )
        guild.roles[role.id] = role
        self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()})
        return role

    def add_member(
        self,
        guild: SimGuild,
        name: str,
        *,
        permissions: int = 0,
        roles: Iterable[SimRole] = (),
        accepts_dms: bool = True,
    ) -> SimMember:
        role_ids = [r.id for r in roles]
        if permissions:
            personal = self.add_role(
                guild, f"{name}-perms", mentionable=False, permissions=permissions, position=1
            )
            role_ids.append(personal.id)
        user = self.add_user(name, accepts_dms=accepts_dms)
        member = self._join(guild, user, role_ids)
        self.dispatch("GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)})
        return member

    def add_channels(self, guild: SimGuild, count: int, prefix: str) -> list[SimChannel]:
        """Many text channels at once (one CHANNEL_CREATE each when a bot is connected)."""
        created = [self._new_channel(guild, f"{prefix}-{i}", deny_bot=0) for i in range(count)]
        for channel in created:
            self.dispatch("CHANNEL_CREATE", channel.payload())
        return created

    def delete_channel(self, channel: SimChannel) -> JSON:
        """Forget a guild channel (its messages stay inspectable); the CHANNEL_DELETE payload."""
        guild = self.guild_of(channel)
        if guild is None:
            raise ValueError("only guild channels can be deleted")
        self.channels.pop(channel.id, None)
        guild.channels.pop(channel.id, None)
        guild.threads.pop(channel.id, None)
        self.deleted_channels[channel.id] = channel
        if guild.system_channel_id == channel.id:
            guild.system_channel_id = None
        return channel.payload()

    def deny_bot(self, channel: SimChannel, deny: int) -> JSON:
        """Set the bot role's overwrite in a guild channel; the CHANNEL_UPDATE payload."""
        guild = self.guild_of(channel)
        if guild is None:
            raise ValueError("only guild channels have overwrites")
        channel.overwrites[guild.bot_role_id] = Overwrite(
            target_id=guild.bot_role_id, kind=0, deny=deny
        )
        return channel.payload()

    def delete_role(self, role: SimRole) -> JSON:
        """Forget a role, also on every member who had it; the GUILD_ROLE_DELETE payload."""
        guild = self.guilds[role.guild_id]
        guild.roles.pop(role.id, None)
        for member in guild.members.values():
            if role.id in member.role_ids:
                member.role_ids.remove(role.id)
        return {"guild_id": str(guild.id), "role_id": str(role.id)}

    def guild_state(self, guild_id: int | None) -> str:
        """``"ok"``, ``"left"`` (bot removed) or ``"outage"`` for the guild of a request."""
        if guild_id is None:
            return "ok"
        if guild_id in self.left_guilds:
            return "left"
        if guild_id in self.unavailable_guilds:
            return "outage"
        return "ok"

    def _new_channel(self, guild: SimGuild, name: str, *, deny_bot: int) -> SimChannel:
        channel = SimChannel(
            id=self.ids.next(), name=name, guild_id=guild.id, position=len(guild.channels)
        )
        if deny_bot:
            channel.overwrites[guild.bot_role_id] = Overwrite(
                target_id=guild.bot_role_id, kind=0, deny=deny_bot
            )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.messages_by_channel[channel.id] = []
        return channel

    def _join(self, guild: SimGuild, user: SimUser, role_ids: list[int]) -> SimMember:
        member = SimMember(user=user, guild_id=guild.id, role_ids=role_ids, joined_at=time.time())
        guild.members[user.id] = member
        return member

    def dm_channel(self, user: SimUser) -> SimChannel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = SimChannel(
                id=self.ids.next(),
                name=f"dm-{user.name}",
                guild_id=None,
                type=1,
                recipient_id=user.id,
            )
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
            self.messages_by_channel[channel.id] = []
        return channel

    # ----------------------------------------------------------------- lookups
    def guild_of(self, channel: SimChannel) -> SimGuild | None:
        return None if channel.guild_id is None else self.guilds.get(channel.guild_id)

    def bot_member(self, guild: SimGuild) -> SimMember:
        return guild.members[self.bot_user.id]

    def permissions_in(self, channel: SimChannel, user_id: int) -> int:
        if channel.is_thread and channel.parent_id is not None:
            # A thread has its parent's permissions (sending there is Send Messages in Threads).
            channel = self.channels.get(channel.parent_id, channel)
        guild = self.guild_of(channel)
        if guild is None:
            return Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS
        member = guild.members.get(user_id)
        return 0 if member is None else channel_permissions(guild, channel, member)

    def channel_payload(self, channel: SimChannel) -> JSON:
        data = channel.payload()
        if channel.recipient_id is not None:
            data["recipients"] = [self.users[channel.recipient_id].payload()]
        return data

    # ----------------------------------------------------------------- messages
    def create_message(
        self,
        channel: SimChannel,
        body: JSON,
        *,
        source: str = "rest",
        interaction_id: int | None = None,
        flags: int | None = None,
        attachments: list[JSON] | None = None,
        files: list[bytes] | None = None,
        message_id: int | None = None,
    ) -> SimMessage:
        message = SimMessage(
            id=self.ids.next() if message_id is None else message_id,
            channel_id=channel.id,
            author_id=self.bot_user.id,
            content=str(body.get("content") or ""),
            embeds=list(body.get("embeds") or []),
            allowed_mentions=body.get("allowed_mentions"),
            nonce=body.get("nonce"),
            components=list(body.get("components") or []),
            created_monotonic=time.monotonic(),
            created_at=time.time(),
            guild_id=channel.guild_id,
            flags=int(body.get("flags") or 0) if flags is None else flags,
            attachments=attachments or [],
            files=files or [],
            source=source,
            interaction_id=interaction_id,
        )
        self.messages_by_id[message.id] = message
        if source == "rest":
            self.message_count += 1
            self.created_per_channel[channel.id] = self.created_per_channel.get(channel.id, 0) + 1
        if not message.ephemeral:
            self.messages_by_channel.setdefault(channel.id, []).append(message)
            if channel.guild_id is not None:
                self.dispatch("MESSAGE_CREATE", self.message_payload(message))
        return message

    def edit_message(self, message: SimMessage, body: JSON) -> None:
        if "content" in body:
            message.content = str(body["content"] or "")
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = list(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if body.get("flags") is not None:
            message.flags = (message.flags & 64) | (int(body["flags"]) & ~64 & ~128)
        else:
            message.flags &= ~128
        message.edited_at = time.time()

    def pings(self, message: SimMessage) -> Pings:
        channel = self.channels.get(message.channel_id)
        guild = None if channel is None else self.guild_of(channel)
        if guild is None or channel is None:
            return compute_pings(
                message, mentionable_roles=set(), author_can_mention_everyone=False
            )
        mentionable = {r.id for r in guild.roles.values() if r.mentionable}
        perms = self.permissions_in(channel, message.author_id)
        return compute_pings(
            message,
            mentionable_roles=mentionable,
            author_can_mention_everyone=bool(perms & Perm.MENTION_EVERYONE),
        )

    def message_payload(self, message: SimMessage) -> JSON:
        pings = self.pings(message)
        data: JSON = {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "author": self.users[message.author_id].payload(),
            "content": message.content,
            "timestamp": iso(message.created_at),
            "edited_timestamp": None if message.edited_at is None else iso(message.edited_at),
            "tts": False,
            "mention_everyone": pings.everyone,
            "mentions": [self.users[u].payload() for u in pings.users if u in self.users],
            "mention_roles": [str(r) for r in pings.roles],
            "attachments": message.attachments,
            "embeds": message.embeds,
            "components": message.components,
            "pinned": False,
            "type": 0 if message.source == "rest" else 20,
            "flags": message.flags,
        }
        if message.nonce is not None:
            data["nonce"] = message.nonce
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        if message.source != "rest":
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        return data

    # ----------------------------------------------------------------- commands
    def store_commands(self, guild_id: int | None, commands: list[JSON]) -> list[JSON]:
        stored: list[JSON] = []
        for command in commands:
            kind = int(command.get("type", 1))
            key = (guild_id, str(command["name"]), kind)
            command_id = self._command_ids.setdefault(key, self.ids.next())
            entry: JSON = {
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **command,
                "id": str(command_id),
                "application_id": str(self.application_id),
                "type": kind,
                "version": str(self.ids.next()),
            }
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            stored.append(entry)
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return stored

    def find_command(self, guild: SimGuild | None, name: str, kind: int = 1) -> JSON:
        scopes: list[list[JSON]] = []
        if guild is not None:
            scopes.append(self.guild_commands.get(guild.id, []))
        scopes.append(self.global_commands)
        for commands in scopes:
            for command in commands:
                if command["name"] == name and command["type"] == kind:
                    return command
        known = [c["name"] for scope in scopes for c in scope]
        raise KeyError(f"command {name!r} is not registered (registered: {known}); synced yet?")


def as_int(value: Any) -> int:
    """An id from a model object or a raw id."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)
    return int(value.id)
