"""Threads and forum posts: starting a thread on a message, forum posts, active threads.

As on Discord: a thread started on a message has the message's id, and a message can
have one thread (a second start is 400 160004); a forum post is a thread whose starter
message has the thread's id, created with the post and taking no nonce; starting a
thread needs Create Public Threads, creating a forum post needs Send Messages in the
forum, and sending in a thread needs Send Messages in Threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tests.simulator.models import JSON, SimChannel
from tests.simulator.permissions import Perm
from tests.simulator.responses import error, invalid_form, json_body
from tests.simulator.validation import message_errors

if TYPE_CHECKING:
    from tests.simulator.rest import RestApi

ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
FORUM = 15
TEXT_KINDS = (0, 5)


def thread_name_errors(body: JSON) -> list[str]:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return ["name: must be between 1 and 100 in length"]
    archive = body.get("auto_archive_duration")
    if archive is not None and archive not in ARCHIVE_MINUTES:
        return [f"auto_archive_duration: must be one of {ARCHIVE_MINUTES}"]
    return []


class ThreadRoutes:
    def __init__(self, rest: RestApi) -> None:
        self._rest = rest
        self.world = rest.world
        #: Message id -> the thread started on it.
        self.thread_of_message: dict[int, int] = {}

    def install(self, app: web.Application, prefix: str) -> None:
        add = app.router.add_route
        add("POST", prefix + "/channels/{channel}/messages/{message}/threads", self.start_on)
        add("POST", prefix + "/channels/{channel}/threads", self.forum_post)
        add("GET", prefix + "/guilds/{guild}/threads/active", self.active)

    def _perms(self, channel: SimChannel) -> int:
        return self.world.permissions_in(channel, self.world.bot_user.id)

    async def start_on(self, request: web.Request) -> web.Response:
        world = self.world
        channel = world.channels.get(int(request.match_info["channel"]))
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        message = world.messages_by_id.get(int(request.match_info["message"]))
        if message is None or message.deleted or message.channel_id != channel.id:
            return error(404, 10008, "Unknown Message")
        if channel.type not in TEXT_KINDS:
            return error(400, 50024, "Cannot execute action on this channel type")
        perms = self._perms(channel)
        if not perms & Perm.VIEW_CHANNEL or not perms & Perm.CREATE_PUBLIC_THREADS:
            return error(403, 50013, "Missing Permissions")
        body: JSON = self._rest._body(request) or {}
        problems = thread_name_errors(body)
        if problems:
            return invalid_form(problems)
        if message.id in self.thread_of_message:
            return error(400, 160004, "A thread has already been created for this message")
        archive = int(body.get("auto_archive_duration") or 1440)
        thread = world.start_thread(channel, str(body["name"]), archive, thread_id=message.id)
        self.thread_of_message[message.id] = thread.id
        return json_body(world.channel_payload(thread))

    async def forum_post(self, request: web.Request) -> web.Response:
        world = self.world
        forum = world.channels.get(int(request.match_info["channel"]))
        if forum is None:
            return error(404, 10003, "Unknown Channel")
        if forum.type != FORUM:
            # Threads without a message in text channels: Airdate never asks for them.
            return error(400, 50024, "Cannot execute action on this channel type")
        perms = self._perms(forum)
        if not perms & Perm.VIEW_CHANNEL or not perms & Perm.SEND_MESSAGES:
            return error(403, 50013, "Missing Permissions")
        body: JSON = self._rest._body(request) or {}
        starter = body.get("message")
        problems = thread_name_errors(body)
        if not isinstance(starter, dict):
            problems.append("message: a forum post needs its first message")
        else:
            problems += message_errors(starter)
            if "nonce" in starter:
                problems.append("message.nonce: forum posts take no nonce")
        if problems:
            return invalid_form(problems)
        assert isinstance(starter, dict)
        archive = int(body.get("auto_archive_duration") or 4320)
        thread = world.start_thread(forum, str(body["name"]), archive)
        message = world.create_message(thread, starter, message_id=thread.id)
        return json_body(
            {**world.channel_payload(thread), "message": world.message_payload(message)}
        )

    async def active(self, request: web.Request) -> web.Response:
        guild = self.world.guilds.get(int(request.match_info["guild"]))
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return json_body({"threads": [t.payload() for t in guild.threads.values()], "members": []})
