"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME and dispatches."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.simulator.models import JSON
from tests.simulator.world import World

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
REPLAY_LIMIT = 1000

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_RESUME = 6
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11


@dataclass
class GatewaySession:
    """One identified session; survives disconnects so that it can be resumed."""

    session_id: str
    sequence: int = 0
    sent: list[JSON] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None

    def record(self, event: str, data: JSON) -> JSON:
        self.sequence += 1
        frame: JSON = {"op": OP_DISPATCH, "t": event, "s": self.sequence, "d": data}
        self.sent.append(frame)
        del self.sent[:-REPLAY_LIMIT]
        return frame


class GatewayHub:
    def __init__(self, world: World, url: Callable[[], str]) -> None:
        self._world = world
        self._url = url
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies = 0
        self.resumes = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._ready = asyncio.Event()

    # ----------------------------------------------------------------- outgoing
    def dispatch(self, event: str, data: JSON) -> None:
        """Queue an event on every session and send it where a socket is open."""
        self._dispatch(event, data)

    def _dispatch(self, event: str, data: JSON) -> list[asyncio.Task[None]]:
        sends: list[asyncio.Task[None]] = []
        for session in self.sessions.values():
            frame = session.record(event, data)
            if session.socket is not None and not session.socket.closed:
                sends.append(
                    asyncio.get_running_loop().create_task(self._send(session.socket, frame))
                )
        return sends

    async def dispatch_sent(self, event: str, data: JSON) -> None:
        """Dispatch and wait until the frame is written to every open socket."""
        sends = self._dispatch(event, data)
        if sends:
            await asyncio.gather(*sends)

    async def _send(self, socket: web.WebSocketResponse, frame: JSON) -> None:
        try:
            await socket.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError) as exc:
            log.debug("gateway send failed: %s", exc)

    async def wait_identified(self, seconds: float) -> None:
        await asyncio.wait_for(self._ready.wait(), seconds)

    @property
    def connected(self) -> bool:
        return any(s.socket is not None and not s.socket.closed for s in self.sessions.values())

    async def disconnect(self, code: int) -> None:
        for session in self.sessions.values():
            socket, session.socket = session.socket, None
            if socket is not None and not socket.closed:
                await socket.close(code=code, message=b"simulated disconnect")

    async def close_all(self) -> None:
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"simulator stopping")

    # ----------------------------------------------------------------- connection
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await socket.send_str(
                json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            )
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                await self._on_frame(socket, json.loads(message.data))
        finally:
            self._sockets.discard(socket)
            for session in self.sessions.values():
                if session.socket is socket:
                    session.socket = None
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, frame: JSON) -> None:
        op = frame.get("op")
        data: Any = frame.get("d")
        if op == OP_HEARTBEAT:
            await socket.send_str(json.dumps({"op": OP_HEARTBEAT_ACK}))
        elif op == OP_IDENTIFY:
            await self._identify(socket)
        elif op == OP_RESUME:
            await self._resume(socket, data)
        else:
            log.debug("gateway ignores op %s", op)

    async def _identify(self, socket: web.WebSocketResponse) -> None:
        self.identifies += 1
        session = GatewaySession(session_id=secrets.token_hex(16))
        self.sessions[session.session_id] = session
        world = self._world
        guilds = [g for g in world.guilds.values() if g.id not in world.left_guilds]
        ready: JSON = {
            "v": 10,
            "user": {**world.bot_user.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self._url(),
            "shard": [0, 1],
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "geo_ordered_rtc_regions": [],
        }
        frames = [session.record("READY", ready)]
        frames += [
            session.record("GUILD_CREATE", g.payload())
            for g in guilds
            if g.id not in world.unavailable_guilds  # comes with GUILD_CREATE when restored
        ]
        session.socket = socket
        for frame in frames:
            await socket.send_str(json.dumps(frame))
        self._ready.set()

    async def _resume(self, socket: web.WebSocketResponse, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None:
            await socket.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False}))
            return
        self.resumes += 1
        last_seen = int(data.get("seq") or 0)
        missed = [frame for frame in session.sent if frame["s"] > last_seen]
        missed.append(session.record("RESUMED", {}))
        session.socket = socket
        for frame in missed:
            await socket.send_str(json.dumps(frame))
