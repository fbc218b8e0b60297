"""REST API v10 routes, request recording and fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.simulator.callbacks import InteractionBook
from tests.simulator.events import ScheduledEvents
from tests.simulator.faults import Fault, FaultPlan
from tests.simulator.models import JSON, RecordedRequest, SimChannel, SimGuild, SimMessage
from tests.simulator.permissions import Perm, guild_permissions
from tests.simulator.ratelimits import RateLimiter
from tests.simulator.responses import error, invalid_form, json_body, no_content
from tests.simulator.threads import FORUM, ThreadRoutes
from tests.simulator.validation import message_errors
from tests.simulator.world import World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CHANNEL_PATH = re.compile(r"^/channels/(\d+)")
_GUILD_PATH = re.compile(r"^(?:/applications/\d+)?/guilds/(\d+)")


class RestApi:
    def __init__(
        self,
        world: World,
        book: InteractionBook,
        nonce_window_seconds: float,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.world = world
        self.book = book
        self.faults = FaultPlan()
        self.limiter = limiter or RateLimiter()
        self.rate_limited: list[RecordedRequest] = []
        self.nonce_window_seconds = nonce_window_seconds
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.command_syncs: list[tuple[str, int | None]] = []
        self.nonce_hits = 0
        self._nonces: dict[tuple[int, str], tuple[SimMessage, float]] = {}
        self.stopping = asyncio.Event()
        self._parsed: dict[int, tuple[Any, list[JSON], list[bytes]]] = {}
        self._records: dict[int, RecordedRequest] = {}
        self.scheduled_events = ScheduledEvents(world, self._body)
        self.threads = ThreadRoutes(self)

    def _body(self, request: web.Request) -> Any:
        return self._parsed[id(request)][0]

    def _attachments(self, request: web.Request) -> list[JSON]:
        return self._parsed[id(request)][1]

    def _files(self, request: web.Request) -> list[bytes]:
        """The attached files' contents, in the order of `_attachments`."""
        return self._parsed[id(request)][2]

    # ----------------------------------------------------------------- wiring
    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        p = API_PREFIX
        add = app.router.add_route
        add("GET", p + "/users/@me", self.get_me)
        add("GET", p + "/oauth2/applications/@me", self.get_application)
        add("GET", p + "/applications/{app}/commands", self.get_commands)
        add("PUT", p + "/applications/{app}/commands", self.put_commands)
        add("GET", p + "/applications/{app}/guilds/{guild}/commands", self.get_commands)
        add("PUT", p + "/applications/{app}/guilds/{guild}/commands", self.put_commands)
        add("GET", p + "/channels/{channel}", self.get_channel)
        add("POST", p + "/channels/{channel}/messages", self.create_message)
        add("GET", p + "/channels/{channel}/messages", self.list_messages)
        add("GET", p + "/channels/{channel}/messages/{message}", self.get_message)
        add("PATCH", p + "/channels/{channel}/messages/{message}", self.edit_message)
        add("DELETE", p + "/channels/{channel}/messages/{message}", self.delete_message)
        add("POST", p + "/users/@me/channels", self.open_dm)
        add("GET", p + "/users/{user}", self.get_user)
        add("GET", p + "/guilds/{guild}", self.get_guild)
        add("GET", p + "/guilds/{guild}/roles", self.get_roles)
        add("GET", p + "/guilds/{guild}/channels", self.get_channels)
        add("GET", p + "/guilds/{guild}/members/{user}", self.get_member)
        add("PUT", p + "/guilds/{guild}/members/{user}/roles/{role}", self.add_member_role)
        add("DELETE", p + "/guilds/{guild}/members/{user}/roles/{role}", self.remove_member_role)
        add("POST", p + "/interactions/{id}/{token}/callback", self.interaction_callback)
        add("POST", p + "/webhooks/{app}/{token}", self.followup)
        add("GET", p + "/webhooks/{app}/{token}/messages/{message}", self.get_webhook_message)
        add("PATCH", p + "/webhooks/{app}/{token}/messages/{message}", self.edit_webhook_message)
        add("DELETE", p + "/webhooks/{app}/{token}/messages/{message}", self.delete_webhook_message)
        self.scheduled_events.install(app, p)
        self.threads.install(app, p)
        add("*", p + "/{tail:.*}", self.unknown)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        body, attachments, files = await _read_body(request)
        self._parsed[id(request)] = (body, attachments, files)
        try:
            return await self._serve(request, handler, body)
        finally:
            del self._parsed[id(request)]
            self._records.pop(id(request), None)

    async def _serve(self, request: web.Request, handler: Handler, body: Any) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :]
        method = request.method
        record = RecordedRequest(
            method=method,
            path=path,
            json=body,
            query=dict(request.query),
            at=time.monotonic(),
            wall=time.time(),
        )
        self.requests.append(record)
        self._records[id(request)] = record
        limited = self.limiter.check(method, path)
        if limited is not None:
            record.fault = "global_rate_limit" if limited.is_global else "rate_limit"
            refusal = json_body(limited.body(), status=429, headers=limited.headers())
            return self._finish(record, refusal)
        fault = self.faults.take(method, path)
        if fault is not None:
            record.fault = fault.mode
            early = await self._before(request, fault)
            if early is not None:
                return early if fault.mode != "status" else self._finish(record, early)
        response: web.StreamResponse | None = self._gate(path)
        if response is None:
            response = await handler(request)
        self._finish(record, response)
        return await self._after(request, response, fault)

    def _finish(self, record: RecordedRequest, response: web.StreamResponse) -> web.StreamResponse:
        """Bucket headers on message creates; record the status (and any 429)."""
        response.headers.update(self.limiter.bucket_headers(record.method, record.path))
        record.status = response.status
        if response.status == 429:
            self.rate_limited.append(record)
        return response

    async def _before(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        """What a fault does before the request is handled (None: handle it)."""
        if fault.mode == "status":
            return error(fault.status, fault.code, f"Simulated failure ({fault.status})")
        if fault.mode == "hang":
            return await self._hang(request)
        if fault.mode == "drop":
            _drop_connection(request)
            return web.Response(status=503)
        if fault.mode == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), fault.delay)
        return None

    def _gate(self, path: str) -> web.Response | None:
        """Requests about a guild the bot left (403 50001) or one in an outage (503 130000)."""
        guild_id: int | None = None
        found = _CHANNEL_PATH.match(path)
        if found is not None:
            channel = self.world.channels.get(int(found.group(1)))
            guild_id = None if channel is None else channel.guild_id
        else:
            found = _GUILD_PATH.match(path)
            guild_id = None if found is None else int(found.group(1))
        state = self.world.guild_state(guild_id)
        if state == "left":
            return error(403, 50001, "Missing Access")
        if state == "outage":
            return error(503, 130000, "API resource is currently overloaded. Try again later.")
        return None

    async def _after(
        self, request: web.Request, response: web.StreamResponse, fault: Fault | None
    ) -> web.StreamResponse:
        if fault is None:
            return response
        if fault.mode == "hang_after_create":
            return await self._hang(request)
        if fault.mode == "drop_after_create":
            _drop_connection(request)
        return response

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        await self.stopping.wait()
        _drop_connection(request)
        return web.Response(status=503)

    # ----------------------------------------------------------------- identity
    async def get_me(self, request: web.Request) -> web.Response:
        me = self.world.bot_user.payload()
        return json_body({**me, "verified": True, "mfa_enabled": False, "locale": "en-US"})

    async def get_application(self, request: web.Request) -> web.Response:
        world = self.world
        return json_body(
            {
                "id": str(world.application_id),
                "name": world.bot_user.name,
                "description": "Simulated application",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {"id": "1", "username": "sim-owner", "discriminator": "0", "avatar": None},
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "interactions_endpoint_url": None,
                "summary": "",
            }
        )

    # ----------------------------------------------------------------- commands
    async def get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        world = self.world
        commands = (
            world.global_commands if guild is None else world.guild_commands.get(int(guild), [])
        )
        return json_body(commands)

    async def put_commands(self, request: web.Request) -> web.Response:
        raw_guild = request.match_info.get("guild")
        guild_id = None if raw_guild is None else int(raw_guild)
        if guild_id is not None and guild_id not in self.world.guilds:
            return error(404, 10004, "Unknown Guild")
        body = self._body(request) or []
        self.command_syncs.append(("global" if guild_id is None else "guild", guild_id))
        return json_body(self.world.store_commands(guild_id, list(body)))

    # ----------------------------------------------------------------- channels & messages
    def _channel(self, request: web.Request) -> SimChannel | None:
        return self.world.channels.get(_snowflake(request.match_info["channel"]))

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        return json_body(self.world.channel_payload(channel))

    async def create_message(self, request: web.Request) -> web.Response:
        world = self.world
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        body: JSON = self._body(request) or {}
        refusal = self._refuse_send(channel)
        if refusal is not None:
            return refusal
        problems = message_errors(body)
        if problems:
            return invalid_form(problems)
        nonce = body.get("nonce")
        key = (world.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get(key)
            if earlier is not None and time.monotonic() - earlier[1] <= self.nonce_window_seconds:
                self.nonce_hits += 1
                return json_body(world.message_payload(earlier[0]))
        message = world.create_message(
            channel, body, attachments=self._attachments(request), files=self._files(request)
        )
        if nonce is not None:
            self._nonces[key] = (message, message.created_monotonic)
        return json_body(world.message_payload(message))

    def _refuse_send(self, channel: SimChannel) -> web.Response | None:
        world = self.world
        if channel.recipient_id is not None:
            if not world.users[channel.recipient_id].accepts_dms:
                return error(403, 50007, "Cannot send messages to this user")
            return None
        if channel.type == FORUM:
            return error(400, 50008, "Cannot send messages in a non-text channel")
        perms = world.permissions_in(channel, world.bot_user.id)
        needed = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if not perms & Perm.VIEW_CHANNEL or not perms & needed:
            return error(403, 50013, "Missing Permissions")
        return None

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        before = int(request.query.get("before", "0")) or None
        after = int(request.query.get("after", "0")) or None
        found = [
            m
            for m in self.world.messages_by_channel.get(channel.id, [])
            if not m.deleted
            and (before is None or m.id < before)
            and (after is None or m.id > after)
        ]
        newest_first = sorted(found, key=lambda m: m.id, reverse=True)[:limit]
        return json_body([self.world.message_payload(m) for m in newest_first])

    def _message(self, request: web.Request) -> SimMessage | None:
        message = self.world.messages_by_id.get(_snowflake(request.match_info["message"]))
        channel_id = _snowflake(request.match_info["channel"])
        if message is None or message.deleted or message.channel_id != channel_id:
            return None
        return message

    async def get_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return json_body(self.world.message_payload(message))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        body: JSON = self._body(request) or {}
        problems = message_errors(body)
        if problems:
            return invalid_form(problems)
        self.world.edit_message(message, body)
        payload = self.world.message_payload(message)
        if message.guild_id is not None:
            self.world.dispatch("MESSAGE_UPDATE", payload)
        return json_body(payload)

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        message.deleted = True
        if message.guild_id is not None:
            self.world.dispatch(
                "MESSAGE_DELETE",
                {
                    "id": str(message.id),
                    "channel_id": str(message.channel_id),
                    "guild_id": str(message.guild_id),
                },
            )
        return no_content()

    async def open_dm(self, request: web.Request) -> web.Response:
        body: JSON = self._body(request) or {}
        user = self.world.users.get(_snowflake(body.get("recipient_id")))
        if user is None:
            return invalid_form(["recipient_id: unknown user"])
        return json_body(self.world.channel_payload(self.world.dm_channel(user)))

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(_snowflake(request.match_info["user"]))
        if user is None:
            return error(404, 10013, "Unknown User")
        return json_body(user.payload())

    # ----------------------------------------------------------------- guilds & roles
    def _guild(self, request: web.Request) -> SimGuild | None:
        return self.world.guilds.get(_snowflake(request.match_info["guild"]))

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return json_body(guild.payload())

    async def get_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return json_body([r.payload() for r in guild.roles.values()])

    async def get_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return json_body([c.payload() for c in guild.channels.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        member = guild.members.get(_snowflake(request.match_info["user"]))
        if member is None:
            return error(404, 10007, "Unknown Member")
        return json_body(member.payload())

    async def add_member_role(self, request: web.Request) -> web.Response:
        return self._change_role(request, add=True)

    async def remove_member_role(self, request: web.Request) -> web.Response:
        return self._change_role(request, add=False)

    def _change_role(self, request: web.Request, *, add: bool) -> web.Response:
        world = self.world
        guild = self._guild(request)
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        member = guild.members.get(_snowflake(request.match_info["user"]))
        if member is None:
            return error(404, 10007, "Unknown Member")
        role = guild.roles.get(_snowflake(request.match_info["role"]))
        if role is None:
            return error(404, 10011, "Unknown Role")
        bot = world.bot_member(guild)
        top = max((guild.roles[r].position for r in bot.role_ids if r in guild.roles), default=0)
        allowed = guild_permissions(guild, bot) & Perm.MANAGE_ROLES
        if not allowed or role.position >= top or role.managed or role.id == guild.id:
            return error(403, 50013, "Missing Permissions")
        if add and role.id not in member.role_ids:
            member.role_ids.append(role.id)
        elif not add and role.id in member.role_ids:
            member.role_ids.remove(role.id)
        member.role_history.append(("add" if add else "remove", role.id))
        world.dispatch("GUILD_MEMBER_UPDATE", {**member.payload(), "guild_id": str(guild.id)})
        return no_content()

    # ----------------------------------------------------------------- interactions
    async def interaction_callback(self, request: web.Request) -> web.Response:
        return self.book.callback(
            _snowflake(request.match_info["id"]),
            request.match_info["token"],
            self._body(request) or {},
        )

    async def followup(self, request: web.Request) -> web.Response:
        return self.book.followup(
            request.match_info["token"],
            self._body(request) or {},
            self._attachments(request),
            self._files(request),
        )

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        return self.book.get(request.match_info["token"], request.match_info["message"])

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        return self.book.edit(
            request.match_info["token"], request.match_info["message"], self._body(request) or {}
        )

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        return self.book.delete(request.match_info["token"], request.match_info["message"])

    async def unknown(self, request: web.Request) -> web.Response:
        log.warning("simulator: unknown route %s %s", request.method, request.path)
        self.unknown_routes.append(self._records[id(request)])
        return error(404, 0, "404: Not Found")


def _drop_connection(request: web.Request) -> None:
    """Close the TCP connection so the client gets no response at all."""
    if request.transport is not None:
        request.transport.close()


def _snowflake(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


async def _read_body(request: web.Request) -> tuple[Any, list[JSON], list[bytes]]:
    """The JSON body (from ``payload_json`` for multipart), any attached files as Discord
    describes them, and their contents (kept so tests can read what was attached)."""
    if request.content_type == "multipart/form-data":
        form = await request.post()
        body: Any = None
        attachments: list[JSON] = []
        files: list[bytes] = []
        for name, value in form.items():
            if name == "payload_json":
                body = json.loads(str(value))
            elif isinstance(value, web.FileField):
                data = value.file.read()
                files.append(data)
                size = len(data)
                attachments.append(
                    {
                        "id": str(len(attachments)),
                        "filename": value.filename,
                        "size": size,
                        "url": f"https://cdn.invalid/{value.filename}",
                        "proxy_url": f"https://cdn.invalid/{value.filename}",
                        "content_type": value.content_type,
                    }
                )
        return body, attachments, files
    raw = await request.read()
    if not raw:
        return None, [], []
    try:
        return json.loads(raw), [], []
    except ValueError:
        return raw.decode(errors="replace"), [], []
