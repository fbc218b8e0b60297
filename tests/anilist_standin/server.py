"""AniListStandin: a local AniList GraphQL endpoint with AniList's limits and failures.

Usage::

    standin = AniListStandin(sample_catalogue(now), clock=fake_clock)
    await standin.start()            # http://127.0.0.1:<port>/
    standin.fail("status", status=502)              # the next request gets a 502
    standin.fail("slow", delay=2.0, count=None)     # every request sleeps first
    standin.catalogue.move_airing(166531, 5, later)
    standin.requests                                # what the bot asked, when, and the answer
    await standin.stop()

Rate limits (reference §2, §12), on the injected clock: "degraded" (the default, as
documented today) says Limit 90 and answers the 31st request in any sliding minute with
a 429 and a one-minute timeout, during which every request gets 429 with Retry-After and
X-RateLimit-Reset; "honest" says Limit 30; "off" never limits.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web

from tests.anilist_standin.checks import JSON
from tests.anilist_standin.data import Catalogue
from tests.anilist_standin.graphql import GraphQLError, read_operation
from tests.anilist_standin.schema import Answer, execute

Mode = Literal["degraded", "honest", "off"]
FaultKind = Literal[
    "slow", "status", "disabled", "html", "errors_in_200", "malformed_json", "partial"
]

ENFORCED_PER_MINUTE = 30
TIMEOUT_SECONDS = 60
DISABLED_MESSAGE = (
    "The AniList API has been temporarily disabled due to severe stability issues. "
    "Please check the official AniList Discord for more information."
)
CLOUDFLARE_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"
)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    count: int | None = 1
    delay: float = 0.0
    status: int = 500


@dataclass(slots=True)
class LoggedRequest:
    """One request the stand-in received, and how it answered."""

    at: datetime
    status: int
    #: "Page.media", "Page.airingSchedules", "Media", or "?" when unreadable.
    root: str = "?"
    arguments: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None


class AniListStandin:
    """A local AniList: the queries Airdate sends, AniList's answers, limits and failures."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        *,
        mode: Mode = "degraded",
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.catalogue = catalogue or Catalogue()
        self.mode: Mode = mode
        self.clock = clock
        self.requests: list[LoggedRequest] = []
        self._accepted: deque[float] = deque()
        self._timeout_until = 0.0
        self._faults: list[Fault] = []
        #: Called after each answer is computed, as AniList's editors may change the
        #: schedule between two page requests.
        self.after_answer: Callable[[LoggedRequest], None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----------------------------------------------------------------- lifecycle
    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        app = web.Application()
        app.router.add_post("/", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_graphql)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        self.port = int(listener.getsockname()[1])
        await web.SockSite(self._runner, listener).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # ----------------------------------------------------------------- faults
    def fail(
        self, kind: FaultKind, *, count: int | None = 1, delay: float = 0.0, status: int = 500
    ) -> None:
        """Answer the next `count` requests (None: all, until `heal`) with `kind` of failure."""
        self._faults.append(Fault(kind, count, delay, status))

    def heal(self) -> None:
        self._faults.clear()

    def _take_fault(self) -> Fault | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._faults.pop(0)
        return fault

    # ----------------------------------------------------------------- what was asked
    def requests_in_any_minute(self) -> int:
        """The most requests that started within any sliding 60 s (half-open windows)."""
        times = sorted(r.at.timestamp() for r in self.requests)
        most, first = 0, 0
        for last, moment in enumerate(times):
            while times[first] <= moment - 60.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def count_429s(self) -> int:
        return sum(1 for r in self.requests if r.status == 429)

    # ----------------------------------------------------------------- serving
    async def _not_graphql(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found", content_type="text/plain")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        now = self.clock()
        record = LoggedRequest(at=now, status=0, headers=dict(request.headers))
        self.requests.append(record)
        limited = self._rate_limit(now.timestamp())
        if limited is not None:
            record.status = limited.status
            return limited
        fault = self._take_fault()
        record.fault = None if fault is None else fault.kind
        answer = await self._answer(request, record, now)
        if self.after_answer is not None:
            self.after_answer(record)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            else:
                response = self._faulty(fault, answer)
                record.status = response.status
                return response
        record.status = answer.status
        return self._json(answer.status, answer.payload)

    async def _answer(self, request: web.Request, record: LoggedRequest, now: datetime) -> Answer:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, "Syntax Error: the body is not JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _error(400, "Must provide query string.")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return _error(400, "Variables are invalid JSON.")
        record.query = body["query"]
        record.variables = variables
        try:
            operation = read_operation(body["query"], variables)
            root = operation.root[0]
            inner = root.selections or []
            listed = [f for f in inner if f.name != "pageInfo"] if root.name == "Page" else []
            record.root = root.name + (f".{listed[0].name}" if listed else "")
            record.arguments = dict(listed[0].arguments if listed else root.arguments)
            return execute(operation, self.catalogue, now)
        except GraphQLError as error:
            return _error(400, error.message, error.line, error.column)

    # ----------------------------------------------------------------- rate limits
    def _rate_limit(self, now: float) -> web.Response | None:
        if self.mode == "off":
            return None
        if now < self._timeout_until:
            return self._too_many(now)
        while self._accepted and self._accepted[0] <= now - 60.0:
            self._accepted.popleft()
        if len(self._accepted) >= ENFORCED_PER_MINUTE:
            self._timeout_until = now + TIMEOUT_SECONDS
            return self._too_many(now)
        self._accepted.append(now)
        return None

    def _too_many(self, now: float) -> web.Response:
        response = self._json(
            429, {"data": None, "errors": [{"message": "Too Many Requests.", "status": 429}]}
        )
        response.headers["X-RateLimit-Remaining"] = "0"
        response.headers["Retry-After"] = str(max(1, math.ceil(self._timeout_until - now)))
        response.headers["X-RateLimit-Reset"] = str(math.ceil(self._timeout_until))
        return response

    def _limit_headers(self) -> dict[str, str]:
        if self.mode == "off":
            return {"X-RateLimit-Limit": "90", "X-RateLimit-Remaining": "89"}
        used = len(self._accepted)
        limit = 90 if self.mode == "degraded" else ENFORCED_PER_MINUTE
        # Degraded: the headers count down from 90 and the limit bites at 60 left.
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - used)}

    # ----------------------------------------------------------------- answers
    def _json(self, status: int, payload: JSON) -> web.Response:
        # As AniList: `/` escaped as `\/`, everything beyond ASCII as \uXXXX.
        text = json.dumps(payload, ensure_ascii=True).replace("/", "\\/")
        return web.Response(
            status=status,
            body=text.encode("ascii"),
            content_type="application/json",
            headers=self._limit_headers(),
        )

    def _faulty(self, fault: Fault, answer: Answer) -> web.Response:
        if fault.kind == "status":
            return self._json(
                fault.status,
                {
                    "data": None,
                    "errors": [{"message": "Internal Server Error", "status": fault.status}],
                },
            )
        if fault.kind == "disabled":
            return self._json(
                403,
                {
                    "errors": [
                        {
                            "message": DISABLED_MESSAGE,
                            "status": 403,
                            "locations": [{"line": 1, "column": 1}],
                        }
                    ],
                    "data": None,
                },
            )
        if fault.kind == "html":
            return web.Response(
                status=fault.status if fault.status != 500 else 502,
                text=CLOUDFLARE_PAGE,
                content_type="text/html",
                headers=self._limit_headers(),
            )
        if fault.kind == "errors_in_200":
            # Synthetic (AniList documents the case, not its shape): the real data, with errors.
            payload = dict(answer.payload)
            payload["errors"] = [{"message": "Internal Server Error", "status": 500}]
            return self._json(200, payload)
        if fault.kind == "malformed_json":
            text = json.dumps(answer.payload)
            return web.Response(
                status=200,
                body=text[: max(1, len(text) // 2)].encode(),
                content_type="application/json",
                headers=self._limit_headers(),
            )
        # "partial": every entry cut down to its id.
        return self._json(200, _cut_to_ids(answer.payload))


def _cut_to_ids(value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict):
        if "id" in value and depth >= 2:
            return {"id": value["id"]}
        return {k: _cut_to_ids(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut_to_ids(v, depth + 1) for v in value]
    return value


def _error(status: int, message: str, line: int = 1, column: int = 1) -> Answer:
    return Answer(
        status,
        {
            "errors": [
                {
                    "message": message,
                    "status": status,
                    "locations": [{"line": line, "column": column}],
                }
            ],
            "data": None,
        },
    )
