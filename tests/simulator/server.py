"""DiscordSimulator: the facade tests use to build a world, drive the bot and inspect results."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from tests.simulator.callbacks import (
    CALLBACK_WINDOW_SECONDS,
    DEFERRED_CHANNEL_MESSAGE,
    FOLLOWUP_WINDOW_SECONDS,
    InteractionBook,
)
from tests.simulator.events import SCHEDULED, SimEvent
from tests.simulator.faults import channel_messages_pattern
from tests.simulator.gateway import GatewayHub
from tests.simulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionBuilder,
    InteractionRecord,
    find_component,
)
from tests.simulator.models import (
    JSON,
    InteractionReply,
    LateAnswer,
    Pings,
    RecordedRequest,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
)
from tests.simulator.permissions import EVERYONE_DEFAULT
from tests.simulator.ratelimits import RateLimiter
from tests.simulator.rest import RestApi
from tests.simulator.world import World


class DiscordSimulator:
    """A local Discord for one bot.

    REST API v10 is served under ``api_base`` and the gateway at ``gateway_url``.
    """

    def __init__(
        self,
        nonce_window_seconds: float = 300.0,
        *,
        global_limit_per_second: float | None = None,
        channel_limit: tuple[int, float] | None = None,
        callback_window_seconds: float = CALLBACK_WINDOW_SECONDS,
        followup_window_seconds: float = FOLLOWUP_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Rate limits are off unless given here or with ``set_rate_limits``.

        Interactions must be answered as on Discord: the first callback within
        ``callback_window_seconds`` (else 404 10062), followups and edits of the response
        within ``followup_window_seconds`` (else 404 10015), both measured on ``clock``
        from when the interaction was sent to the bot. Both windows can be changed later.
        """
        self.world = World()
        self.token = "simulated-bot-token"
        self._book = InteractionBook(
            self.world,
            clock,
            callback_window_seconds=callback_window_seconds,
            followup_window_seconds=followup_window_seconds,
        )
        self._limiter = RateLimiter(global_limit_per_second, channel_limit)
        self._rest = RestApi(self.world, self._book, nonce_window_seconds, self._limiter)
        self._gateway = GatewayHub(self.world, lambda: self.gateway_url)
        self.world.dispatch = self._gateway.dispatch
        self._builder = InteractionBuilder(self.world)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        app = web.Application()
        self._rest.install(app)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_get("/gateway/", self._gateway.handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self.port = int(listener.getsockname()[1])
        await web.SockSite(self._runner, listener).start()

    async def stop(self) -> None:
        self._rest.stopping.set()
        await self._gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def bot_user_id(self) -> int:
        return self.world.bot_user.id

    @property
    def application_id(self) -> int:
        return self.world.application_id

    # ----------------------------------------------------------------- world building
    def add_guild(self, name: str, *, everyone_permissions: int = EVERYONE_DEFAULT) -> SimGuild:
        return self.world.add_guild(name, everyone_permissions=everyone_permissions)

    def add_channel(
        self, guild: SimGuild, name: str, deny_bot: int = 0, *, kind: int = 0
    ) -> SimChannel:
        """A text channel, or with `kind` an announcement (5) or forum (15) channel."""
        return self.world.add_channel(guild, name, deny_bot=deny_bot, kind=kind)

    def threads_in(self, channel: SimChannel) -> list[SimChannel]:
        """The threads and forum posts started in a channel, oldest first."""
        return self.world.threads_in(channel)

    def add_channels(self, guild: SimGuild, count: int, prefix: str = "ch") -> list[SimChannel]:
        """``count`` text channels named ``{prefix}-{i}`` (cheap enough for thousands)."""
        return self.world.add_channels(guild, count, prefix)

    def add_role(
        self,
        guild: SimGuild,
        name: str,
        mentionable: bool = True,
        permissions: int = 0,
        managed: bool = False,
        position: int = 1,
    ) -> SimRole:
        return self.world.add_role(
            guild,
            name,
            mentionable=mentionable,
            permissions=permissions,
            managed=managed,
            position=position,
        )

    def add_member(
        self,
        guild: SimGuild,
        name: str,
        permissions: int = 0,
        roles: Iterable[SimRole] = (),
        *,
        accepts_dms: bool = True,
    ) -> SimMember:
        return self.world.add_member(
            guild, name, permissions=permissions, roles=roles, accepts_dms=accepts_dms
        )

    # ----------------------------------------------------------------- inspection
    @property
    def requests(self) -> list[RecordedRequest]:
        return self._rest.requests

    @property
    def unknown_routes(self) -> list[RecordedRequest]:
        return self._rest.unknown_routes

    @property
    def command_syncs(self) -> list[tuple[str, int | None]]:
        return self._rest.command_syncs

    @property
    def nonce_hits(self) -> int:
        return self._rest.nonce_hits

    @property
    def nonce_window_seconds(self) -> float:
        """How long a nonce returns its first message; 0 makes Discord forget every nonce."""
        return self._rest.nonce_window_seconds

    @nonce_window_seconds.setter
    def nonce_window_seconds(self, seconds: float) -> None:
        self._rest.nonce_window_seconds = seconds

    @property
    def interaction_replies(self) -> list[InteractionReply]:
        return self._book.replies

    @property
    def late_callbacks(self) -> list[LateAnswer]:
        """Initial callbacks refused with 10062 because they came after the 3 s window."""
        return [late for late in self._book.late if late.route == "callback"]

    @property
    def late_followups(self) -> list[LateAnswer]:
        """Followups, reads, edits and deletes refused with 10015: the token had expired."""
        return [late for late in self._book.late if late.route != "callback"]

    @property
    def callback_window_seconds(self) -> float:
        return self._book.callback_window_seconds

    @callback_window_seconds.setter
    def callback_window_seconds(self, seconds: float) -> None:
        self._book.callback_window_seconds = seconds

    @property
    def followup_window_seconds(self) -> float:
        return self._book.followup_window_seconds

    @followup_window_seconds.setter
    def followup_window_seconds(self, seconds: float) -> None:
        self._book.followup_window_seconds = seconds

    @property
    def gateway_identifies(self) -> int:
        return self._gateway.identifies

    @property
    def gateway_resumes(self) -> int:
        return self._gateway.resumes

    def messages(self, channel_id: int | SimChannel) -> list[SimMessage]:
        key = channel_id.id if isinstance(channel_id, SimChannel) else channel_id
        return list(self.world.messages_by_channel.get(key, []))

    def all_messages(self) -> list[SimMessage]:
        everything = [m for ms in self.world.messages_by_channel.values() for m in ms]
        return sorted(everything, key=lambda m: m.id)

    def dm_messages(self, user_id: int | SimMember) -> list[SimMessage]:
        key = user_id.id if isinstance(user_id, SimMember) else user_id
        channel = self.world.dm_channels.get(key)
        return [] if channel is None else self.messages(channel.id)

    def pings(self, message: SimMessage) -> Pings:
        return self.world.pings(message)

    @property
    def message_count(self) -> int:
        """Messages the bot created with ``POST /channels/{id}/messages`` (nonce hits excluded)."""
        return self.world.message_count

    def created_per_channel(self) -> dict[int, int]:
        """Channel id -> messages the bot created there with ``POST /channels/{id}/messages``."""
        return dict(self.world.created_per_channel)

    # ----------------------------------------------------------------- rate limits
    def set_rate_limits(
        self,
        global_per_second: float | None = None,
        channel: tuple[int, float] | None = None,
    ) -> None:
        """Replace both limits (None turns one off); windows start empty.

        ``global_per_second``: requests per rolling second, interaction callbacks and webhooks
        exempt. ``channel``: ``(count, seconds)`` message creates per channel.
        """
        self._limiter.configure(global_per_second, channel)

    @property
    def rate_limited(self) -> list[RecordedRequest]:
        """Every request answered 429 (by the limits or by a 429 fault)."""
        return self._rest.rate_limited

    @property
    def count_429s(self) -> int:
        return len(self._rest.rate_limited)

    @property
    def count_429s_global(self) -> int:
        return sum(1 for r in self._rest.rate_limited if r.fault == "global_rate_limit")

    # ----------------------------------------------------------------- faults
    def fail_next(
        self,
        method: str,
        path_regex: str,
        mode: str,
        status: int = 500,
        code: int = 0,
        count: int | None = 1,
        *,
        delay: float = 0.0,
    ) -> None:
        """Fault the next ``count`` matching requests (None: all of them until cleared).

        Modes: status, hang, drop, slow (``delay`` seconds, then normal), hang_after_create,
        drop_after_create.
        """
        self._rest.faults.add(method, path_regex, mode, status, code, count, delay)

    def fail_channel(
        self,
        channel: int | SimChannel,
        mode: str,
        status: int = 500,
        code: int = 0,
        count: int | None = 1,
        *,
        delay: float = 0.0,
    ) -> None:
        """Like ``fail_next`` for the message creates in one channel."""
        channel_id = channel.id if isinstance(channel, SimChannel) else channel
        self._rest.faults.add(
            "POST", channel_messages_pattern(channel_id), mode, status, code, count, delay
        )

    def clear_faults(self) -> None:
        self._rest.faults.clear()

    # ----------------------------------------------------------------- channels and guilds gone
    async def delete_channel(self, channel: SimChannel) -> None:
        """Delete a guild channel: CHANNEL_DELETE, then 404 10003 for requests about it."""
        payload = self.world.delete_channel(channel)
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        await self._gateway.dispatch_sent(event, payload)

    async def deny_bot(self, channel: SimChannel, deny: int) -> None:
        """Change the Airdate role's overwrite in a channel (``deny`` bits): CHANNEL_UPDATE."""
        payload = self.world.deny_bot(channel, deny)
        await self._gateway.dispatch_sent("CHANNEL_UPDATE", payload)

    async def update_role(
        self, role: SimRole, *, position: int | None = None, permissions: int | None = None
    ) -> None:
        """Move a role (above the bot's at 10 or more) or change its permissions."""
        if position is not None:
            role.position = position
        if permissions is not None:
            role.permissions = permissions
        payload = {"guild_id": str(role.guild_id), "role": role.payload()}
        await self._gateway.dispatch_sent("GUILD_ROLE_UPDATE", payload)

    async def delete_role(self, role: SimRole) -> None:
        """Delete a role: GUILD_ROLE_DELETE, then 404 10011 for requests about it."""
        payload = self.world.delete_role(role)
        await self._gateway.dispatch_sent("GUILD_ROLE_DELETE", payload)

    async def remove_bot_from_guild(self, guild: SimGuild) -> None:
        """Kick the bot: GUILD_DELETE (on_guild_remove), then 403 50001 for its channels."""
        self.world.left_guilds.add(guild.id)
        self.world.unavailable_guilds.discard(guild.id)
        await self._gateway.dispatch_sent("GUILD_DELETE", {"id": str(guild.id)})

    async def guild_outage(self, guild: SimGuild) -> None:
        """GUILD_DELETE with ``unavailable: true`` (on_guild_unavailable); 503 130000 meanwhile."""
        self.world.unavailable_guilds.add(guild.id)
        await self._gateway.dispatch_sent(
            "GUILD_DELETE", {"id": str(guild.id), "unavailable": True}
        )

    async def guild_restore(self, guild: SimGuild) -> None:
        """End an outage (or undo a removal): GUILD_CREATE again and requests work again."""
        was_left = guild.id in self.world.left_guilds
        self.world.unavailable_guilds.discard(guild.id)
        self.world.left_guilds.discard(guild.id)
        payload = guild.payload()
        if was_left:
            payload.pop("unavailable")  # a fresh join, not a guild coming back
        await self._gateway.dispatch_sent("GUILD_CREATE", payload)

    # ----------------------------------------------------------------- scheduled events
    def scheduled_events(
        self, guild: SimGuild, *, statuses: tuple[int, ...] = (SCHEDULED,)
    ) -> list[SimEvent]:
        """The guild's scheduled events in these statuses (default: still to start), soonest
        first (Discord starts and ends EXTERNAL events by itself)."""
        return self._rest.scheduled_events.events(guild.id, statuses=statuses)

    @property
    def events_created(self) -> int:
        """Scheduled events the bot made with POST (every one Discord made)."""
        return self._rest.scheduled_events.created

    async def delete_event_as_moderator(self, guild: SimGuild, event: SimEvent) -> None:
        """A moderator deletes an event in Discord: GUILD_SCHEDULED_EVENT_DELETE."""
        payload = self._rest.scheduled_events.delete_as_moderator(guild.id, event.id)
        await self._gateway.dispatch_sent("GUILD_SCHEDULED_EVENT_DELETE", payload)

    async def set_bot_permissions(self, guild: SimGuild, permissions: int) -> None:
        """Give the Airdate role exactly these server permissions: GUILD_ROLE_UPDATE."""
        await self.update_role(guild.roles[guild.bot_role_id], permissions=permissions)

    # ----------------------------------------------------------------- gateway
    async def disconnect_gateway(self, code: int = 4000) -> None:
        await self._gateway.disconnect(code)

    async def wait_for_gateway(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has identified at least once."""
        await self._gateway.wait_identified(timeout)

    # ----------------------------------------------------------------- interactions
    async def invoke(
        self,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        command: str,
        options: Mapping[str, Any] | None = None,
        permissions: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
    ) -> InteractionReply:
        """Run a slash command (``"group sub"`` paths allowed) and wait for the bot's answer.

        A deferred answer (type 5) waits on until the followup or edit of the original (a
        deleted "thinking" message is passed over). An answer Discord refused as too late
        raises ``TimeoutError``, as the user would see "The application did not respond".
        """
        payload, record = self._new_interaction(
            APPLICATION_COMMAND, guild, channel, member, permissions, f"/{command}"
        )
        payload["data"] = self._builder.command_data(
            guild, channel, member, command, options or {}, focused=None
        )
        return await self._run(payload, record, timeout)

    async def autocomplete(
        self,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
    ) -> list[JSON]:
        payload, record = self._new_interaction(
            AUTOCOMPLETE, guild, channel, member, None, f"/{command} autocomplete"
        )
        payload["data"] = self._builder.command_data(
            guild, channel, member, command, options, focused=focused
        )
        reply = await self._run(payload, record, timeout)
        return reply.choices

    async def click(
        self,
        target: InteractionReply | SimMessage,
        custom_id: str,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        values: list[str] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
    ) -> InteractionReply:
        """Press a button (or pick ``values`` in a select) on a message the bot sent."""
        message = self._message_of(target)
        component = find_component(message.components, custom_id)
        if component is None:
            raise KeyError(f"no component {custom_id!r} on message {message.id}")
        payload, record = self._new_interaction(
            MESSAGE_COMPONENT, guild, channel, member, None, f"click {custom_id}"
        )
        record.message = message
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        payload["data"] = data
        payload["message"] = self.world.message_payload(message)
        return await self._run(payload, record, timeout)

    async def wait_for_update(
        self,
        reply: InteractionReply,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
    ) -> InteractionReply:
        """Wait for the next followup or edit on an interaction already answered."""
        record = self._book.by_id[reply.interaction_id]
        await self._next_update(record, timeout)
        return reply

    def _message_of(self, target: InteractionReply | SimMessage) -> SimMessage:
        if isinstance(target, SimMessage):
            return target
        if target.message_id is None:
            raise ValueError("that interaction reply has no message to click on")
        return self.world.messages_by_id[target.message_id]

    def _new_interaction(
        self,
        kind: int,
        guild: SimGuild,
        channel: SimChannel,
        member: SimMember,
        permissions: int | None,
        label: str,
    ) -> tuple[JSON, InteractionRecord]:
        payload, interaction_id, token = self._builder.base(
            kind, guild, channel, member, permissions
        )
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            kind=kind,
            label=label,
            guild=guild,
            channel=channel,
            reply=InteractionReply(interaction_id=interaction_id, token=token),
            created=self._book.clock(),  # the payload is dispatched before anything awaits
        )
        self._book.add(record)
        return payload, record

    async def _run(
        self, payload: JSON, record: InteractionRecord, seconds: float
    ) -> InteractionReply:
        deadline = time.monotonic() + seconds
        self.world.dispatch("INTERACTION_CREATE", payload)
        await self._next_update(record, seconds)
        if record.reply.type == DEFERRED_CHANNEL_MESSAGE:
            update = "delete"
            while update == "delete":  # a withdrawn "thinking" message: wait for its successor
                update = await self._next_update(record, max(0.0, deadline - time.monotonic()))
        return record.reply

    async def _next_update(self, record: InteractionRecord, seconds: float) -> str:
        try:
            update = await asyncio.wait_for(record.updates.get(), seconds)
        except TimeoutError:
            state = "deferred but sent no followup" if record.responded else "did not respond"
            recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-5:]]
            raise TimeoutError(
                f"bot {state} to interaction {record.label!r} within {seconds:.1f}s "
                f"(gateway connected: {self._gateway.connected}; recent requests: {recent})"
            ) from None
        if update == "late":
            late = self._book.late_for(record.id)[-1]
            raise TimeoutError(
                f"bot answered interaction {record.label!r} too late: its {late.route} came "
                f"{late.age:.2f}s after the interaction and Discord refused it ({late.code})"
            )
        return update
