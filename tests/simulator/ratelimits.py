"""Discord's REST rate limits: a global per-bot limit and a per-channel message-create bucket.

Both are rolling windows on ``time.monotonic()`` (the clock discord.py's event loop uses), so a
``retry_after`` is exact: a request retried after it finds a free slot (unless others took it).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from dataclasses import dataclass

MESSAGE_CREATE = re.compile(r"^/channels/(\d+)/messages$")
# Discord hashes the route template; the channel is the bucket's "major parameter".
MESSAGE_CREATE_BUCKET = hashlib.sha1(b"POST /channels/{channel_id}/messages").hexdigest()[:32]
RATE_LIMITED_MESSAGE = "You are being rate limited."


def is_global_exempt(path: str) -> bool:
    """Interaction callbacks and webhooks do not count towards the global limit."""
    return path.startswith(("/interactions/", "/webhooks/"))


def message_create_channel(method: str, path: str) -> int | None:
    if method.upper() != "POST":
        return None
    found = MESSAGE_CREATE.match(path)
    return None if found is None else int(found.group(1))


def _ceil_ms(seconds: float) -> float:
    return max(0.001, math.ceil(seconds * 1000) / 1000)


class RollingWindow:
    """At most ``limit`` events in any ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()

    def take(self, now: float) -> float | None:
        """Use a slot (None) or say how long until one is free (nothing is used)."""
        self._prune(now)
        if len(self._times) < self.limit:
            self._times.append(now)
            return None
        return _ceil_ms(self._times[0] + self.period - now)

    def remaining(self, now: float) -> int:
        self._prune(now)
        return self.limit - len(self._times)

    def reset_after(self, now: float) -> float:
        """Seconds until the window is entirely free again (what discord.py waits when at 0)."""
        self._prune(now)
        if not self._times:
            return 0.0
        return _ceil_ms(self._times[-1] + self.period - now)


@dataclass(frozen=True)
class Limited:
    """A request over a limit: what the 429 says."""

    retry_after: float
    is_global: bool
    channel_id: int | None

    def body(self) -> dict[str, object]:
        return {
            "message": RATE_LIMITED_MESSAGE,
            "retry_after": self.retry_after,
            "global": self.is_global,
            "code": 0,
        }

    def headers(self) -> dict[str, str]:
        headers = {
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Scope": "global" if self.is_global else "user",
            "Via": "1.1 google",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return headers


class RateLimiter:
    """Off unless configured; ``configure`` starts with empty windows."""

    def __init__(
        self,
        global_per_second: float | None = None,
        channel: tuple[int, float] | None = None,
    ) -> None:
        self.global_per_second: float | None = None
        self.channel: tuple[int, float] | None = None
        self._global: RollingWindow | None = None
        self._channels: dict[int, RollingWindow] = {}
        self.configure(global_per_second, channel)

    def configure(self, global_per_second: float | None, channel: tuple[int, float] | None) -> None:
        self.global_per_second = global_per_second
        self.channel = channel
        self._channels = {}
        self._global = None
        if global_per_second is not None:
            if global_per_second <= 0:
                raise ValueError("global_per_second must be positive")
            if global_per_second >= 1:
                self._global = RollingWindow(int(global_per_second), 1.0)
            else:
                self._global = RollingWindow(1, 1.0 / global_per_second)
        if channel is not None:
            RollingWindow(*channel)  # validate now rather than on the first send

    def _channel_window(self, channel_id: int) -> RollingWindow | None:
        if self.channel is None:
            return None
        window = self._channels.get(channel_id)
        if window is None:
            window = self._channels[channel_id] = RollingWindow(*self.channel)
        return window

    def check(self, method: str, path: str) -> Limited | None:
        """Count the request; a ``Limited`` when it is over the global or its channel's limit."""
        now = time.monotonic()
        if self._global is not None and not is_global_exempt(path):
            wait = self._global.take(now)
            if wait is not None:
                return Limited(wait, True, None)
        channel_id = message_create_channel(method, path)
        if channel_id is not None:
            window = self._channel_window(channel_id)
            if window is not None:
                wait = window.take(now)
                if wait is not None:
                    return Limited(wait, False, channel_id)
        return None

    def bucket_headers(self, method: str, path: str) -> dict[str, str]:
        """``X-RateLimit-*`` headers for a message create (empty when no channel limit is set)."""
        channel_id = message_create_channel(method, path)
        if channel_id is None:
            return {}
        window = self._channel_window(channel_id)
        if window is None:
            return {}
        now = time.monotonic()
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining(now)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": MESSAGE_CREATE_BUCKET,
        }
