"""The live feed over HTTP: `GET /c/<token>.ics`, the schedule page `GET /c/<token>`,
`GET /healthz`, and a plain 404 else.

One handler reads the raw request path itself (no router, no path normalisation), so a
path is either exactly a feed's, a page's or the health check's, or answered like every
unknown one: the same 404, revealing nothing about which tokens or guilds exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from email.utils import format_datetime

from aiohttp import web

from bot.calendar.feeds import FeedBody, Feeds, body_etag
from bot.calendar.page import CONTENT_SECURITY_POLICY, schedule_page
from bot.domain.calendar import feed_links
from bot.services.calendar import CalendarService
from bot.services.schedule import ScheduleService

log = logging.getLogger(__name__)

#: A feed's path: a token as `new_token` makes them (URL-safe base64, 32 characters).
FEED_PATH = re.compile(r"/c/([A-Za-z0-9_-]{32})\.ics")
#: A schedule page's path: the feed's without `.ics`.
PAGE_PATH = re.compile(r"/c/([A-Za-z0-9_-]{32})")
CACHE_CONTROL = "max-age=300"
CONTENT_TYPE = "text/calendar; charset=utf-8"
#: A page is revalidated on every visit (cheaply: its ETag), its countdowns being live.
PAGE_CACHE_CONTROL = "no-cache"
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
#: Sent with every answer: the body is never sniffed as something else, and a page
#: linking the feed never leaks its token through a Referer.
_ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def not_found() -> web.Response:
    return web.Response(status=404, text="Not found\n", headers=_ALWAYS)


def _etag_matches(request: web.BaseRequest, etag: str) -> bool:
    """If-None-Match names this ETag (weak comparison) or is `*`."""
    if request.headers.get("If-None-Match", "").strip() == "*":
        return True
    ours = etag.strip('"')
    return any(tag.value == ours for tag in request.if_none_match or ())


def not_modified(request: web.BaseRequest, feed: FeedBody) -> bool:
    """RFC 9110: If-None-Match decides when present (weak comparison); otherwise an
    If-Modified-Since not older than Last-Modified."""
    if "If-None-Match" in request.headers:
        return _etag_matches(request, feed.etag)
    since = request.if_modified_since
    return since is not None and since >= feed.last_modified


class FeedServer:
    """The aiohttp server of guilds' feeds, bound to `host`:`port` while started."""

    def __init__(
        self,
        service: CalendarService,
        feeds: Feeds,
        host: str,
        port: int,
        *,
        schedule: ScheduleService | None = None,
        base_url: str | None = None,
    ) -> None:
        self._service = service
        self._feeds = feeds
        self._host = host
        self._port = port
        #: The schedule pages' source (None: no pages, their paths answer 404).
        self._schedule = schedule
        self._base_url = base_url
        self._connected: Callable[[], bool] = lambda: False
        self._runner: web.ServerRunner | None = None

    def watch_connection(self, connected: Callable[[], bool]) -> None:
        """How /healthz knows whether the bot is connected to Discord."""
        self._connected = connected

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose, when asked for 0)."""
        if self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple) and len(address) >= 2:
                    return int(address[1])
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def public_base(self) -> str:
        """The address links name: CALENDAR_BASE_URL, else http://host:port."""
        return self._base_url or f"http://{self._host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        # No access log: the paths it would write hold the guilds' secret tokens.
        runner = web.ServerRunner(web.Server(self.handle), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("calendar feed listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            # Nothing here changes anything; answered alike on every path.
            return web.Response(
                status=405, text="Method not allowed\n", headers={"Allow": "GET, HEAD", **_ALWAYS}
            )
        path = request.raw_path.partition("?")[0]
        if path == "/healthz":
            return await self._healthz()
        match = FEED_PATH.fullmatch(path)
        if match is None:
            page = PAGE_PATH.fullmatch(path)
            if page is None or self._schedule is None:
                return not_found()
            return await self._page(request, self._schedule, page[1])
        try:
            found = await self._service.feed_of_token(match[1])
            if found is None:
                return not_found()
            feed = await self._feeds.feed(found.guild_id)
        except Exception:
            log.exception("could not build a calendar feed")
            return web.Response(
                status=503, text="Try again later\n", headers={"Retry-After": "60", **_ALWAYS}
            )
        headers = {
            "ETag": feed.etag,
            "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
            "Cache-Control": CACHE_CONTROL,
            **_ALWAYS,
        }
        if not_modified(request, feed):
            return web.Response(status=304, headers=headers)
        return web.Response(body=feed.body, headers={"Content-Type": CONTENT_TYPE, **headers})

    async def _page(
        self, request: web.BaseRequest, schedule: ScheduleService, token: str
    ) -> web.Response:
        try:
            found = await self._service.feed_of_token(token)
            if found is None:
                return not_found()
            html = schedule_page(
                self._feeds.name_of(found.guild_id),
                await schedule.schedule(found.guild_id),
                feed_links(self.public_base, token),
            )
        except Exception:
            log.exception("could not build a schedule page")
            return web.Response(
                status=503, text="Try again later\n", headers={"Retry-After": "60", **_ALWAYS}
            )
        body = html.encode()
        headers = {
            "ETag": body_etag(body),
            "Cache-Control": PAGE_CACHE_CONTROL,
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            **_ALWAYS,
        }
        if _etag_matches(request, headers["ETag"]):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers={"Content-Type": PAGE_CONTENT_TYPE, **headers})

    async def _healthz(self) -> web.Response:
        try:
            healthy = self._connected() and await self._service.database_answers()
        except Exception:
            log.exception("the health check failed")
            healthy = False
        if healthy:
            return web.Response(text="ok\n", headers={"Cache-Control": "no-store", **_ALWAYS})
        return web.Response(
            status=503, text="unavailable\n", headers={"Cache-Control": "no-store", **_ALWAYS}
        )
