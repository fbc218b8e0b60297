"""Interaction payloads sent to the bot, and the bookkeeping of what it answers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.simulator.models import (
    JSON,
    InteractionReply,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
)
from tests.simulator.permissions import channel_permissions
from tests.simulator.world import World, as_int

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


@dataclass
class InteractionRecord:
    id: int
    token: str
    kind: int
    label: str
    guild: SimGuild
    channel: SimChannel
    reply: InteractionReply
    created: float  # the book's clock when the interaction was sent to the bot
    message: SimMessage | None = None  # the message a component lives on
    original: SimMessage | None = None  # the response message
    updates: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    @property
    def responded(self) -> bool:
        return self.reply.type is not None


class InteractionBuilder:
    """Builds INTERACTION_CREATE payloads the way Discord does for a given member."""

    def __init__(self, world: World) -> None:
        self._world = world

    def base(
        self,
        kind: int,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        permissions: int | None,
    ) -> tuple[JSON, int, str]:
        world = self._world
        interaction_id = world.ids.next()
        token = f"sim-{interaction_id}-{secrets.token_hex(8)}"
        member_perms = (
            channel_permissions(guild, channel, member) if permissions is None else permissions
        )
        bot_perms = world.permissions_in(channel, world.bot_user.id)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
            "channel_id": str(channel.id),
            "channel": {**world.channel_payload(channel), "permissions": str(member_perms)},
            "member": {**member.payload(), "permissions": str(member_perms)},
            "app_permissions": str(bot_perms),
            "locale": "en-US",
            "guild_locale": guild.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        return payload, interaction_id, token

    def command_data(
        self,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        path: str,
        values: Mapping[str, Any],
        focused: str | None,
    ) -> JSON:
        words = path.split()
        if not words:
            raise ValueError("empty command path")
        command = self._world.find_command(guild, words[0])
        resolved: dict[str, dict[str, JSON]] = {}
        options = self._leaf_options(
            command, words, values, focused, guild, channel, member, resolved
        )
        data: JSON = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
        }
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return data

    def _leaf_options(
        self,
        command: JSON,
        words: list[str],
        values: Mapping[str, Any],
        focused: str | None,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        resolved: dict[str, dict[str, JSON]],
    ) -> list[JSON]:
        spec = command
        chain: list[JSON] = []
        for word in words[1:]:
            nested = [
                o
                for o in spec.get("options") or []
                if o["name"] == word and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ]
            if not nested:
                raise KeyError(f"{word!r} is not a subcommand of {spec['name']!r}")
            spec = nested[0]
            chain.append(spec)
        declared = {o["name"]: o for o in spec.get("options") or []}
        unknown = set(values) - set(declared)
        if unknown:
            raise KeyError(
                f"unknown options {sorted(unknown)} for {' '.join(words)!r}; "
                f"declared: {sorted(declared)}"
            )
        missing = [n for n, o in declared.items() if o.get("required") and n not in values]
        if missing and focused is None:
            raise ValueError(f"missing required options {missing} for {' '.join(words)!r}")
        leaf: list[JSON] = []
        for name, value in values.items():
            option_type = int(declared[name]["type"])
            entry: JSON = {"name": name, "type": option_type}
            if name == focused:
                entry["value"] = str(value)
                entry["focused"] = True
            else:
                entry["value"] = self._option_value(
                    option_type, value, guild, channel, member, resolved
                )
            leaf.append(entry)
        for spec_option in reversed(chain):
            leaf = [{"name": spec_option["name"], "type": spec_option["type"], "options": leaf}]
        return leaf

    def _option_value(
        self,
        option_type: int,
        value: Any,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        resolved: dict[str, dict[str, JSON]],
    ) -> Any:
        if option_type in (STRING,):
            return str(value)
        if option_type == INTEGER:
            return int(value)
        if option_type == BOOLEAN:
            return bool(value)
        if option_type == NUMBER:
            return float(value)
        target = as_int(value)
        if option_type == CHANNEL:
            self._resolve_channel(target, guild, member, resolved)
        elif option_type == ROLE:
            self._resolve_role(target, guild, resolved)
        elif option_type == USER:
            self._resolve_user(target, guild, channel, resolved)
        elif option_type == MENTIONABLE:
            if target in guild.roles or isinstance(value, SimRole):
                self._resolve_role(target, guild, resolved)
            else:
                self._resolve_user(target, guild, channel, resolved)
        else:
            raise ValueError(f"option type {option_type} is not supported by the simulator")
        return str(target)

    def _resolve_channel(
        self, target: int, guild: SimGuild, member: SimMember, resolved: dict[str, dict[str, JSON]]
    ) -> None:
        channel = self._world.channels[target]
        perms = channel_permissions(guild, channel, member)
        resolved.setdefault("channels", {})[str(target)] = {
            **self._world.channel_payload(channel),
            "permissions": str(perms),
        }

    def _resolve_role(
        self, target: int, guild: SimGuild, resolved: dict[str, dict[str, JSON]]
    ) -> None:
        resolved.setdefault("roles", {})[str(target)] = guild.roles[target].payload()

    def _resolve_user(
        self,
        target: int,
        guild: SimGuild,
        channel: SimChannel,
        resolved: dict[str, dict[str, JSON]],
    ) -> None:
        user: SimUser = self._world.users[target]
        resolved.setdefault("users", {})[str(target)] = user.payload()
        target_member = guild.members.get(target)
        if target_member is not None:
            perms = channel_permissions(guild, channel, target_member)
            resolved.setdefault("members", {})[str(target)] = {
                **target_member.payload(with_user=False),
                "permissions": str(perms),
            }


def find_component(components: list[JSON], custom_id: str) -> JSON | None:
    """The component with ``custom_id`` anywhere in a message's component tree."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components", "accessory"):
            child = component.get(key)
            children = [child] if isinstance(child, dict) else child or []
            found = find_component(children, custom_id)
            if found is not None:
                return found
    return None
