"""Faults injected into matching REST requests (by route, or by channel for message creates).

Modes:

- ``status``: answer ``status`` with Discord's error body carrying ``code`` (nothing happens).
- ``hang``: never answer (until the simulator stops); nothing happens.
- ``drop``: close the connection without answering; nothing happens.
- ``slow``: wait ``delay`` seconds, then handle the request normally.
- ``hang_after_create`` / ``drop_after_create``: handle the request (the message exists), then
  hang or close the connection instead of answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODES = ("status", "hang", "drop", "slow", "hang_after_create", "drop_after_create")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    mode: str
    status: int
    code: int
    remaining: int | None  # None: every matching request, until cleared
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in ("*", "ANY") or self.method == method.upper()
        return method_ok and self.path.search(path) is not None


def channel_messages_pattern(channel_id: int) -> str:
    """The path regex of message creates in one channel."""
    return rf"^/channels/{channel_id}/messages$"


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        path_regex: str,
        mode: str,
        status: int,
        code: int,
        count: int | None,
        delay: float = 0.0,
    ) -> Fault:
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}; expected one of {MODES}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 (or None for every request)")
        if mode == "slow" and delay <= 0:
            raise ValueError("mode 'slow' needs a positive delay")
        fault = Fault(method.upper(), re.compile(path_regex), mode, status, code, count, delay)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consuming one of its uses)."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def remove(self, fault: Fault) -> None:
        if fault in self._faults:
            self._faults.remove(fault)

    def clear(self) -> None:
        self._faults.clear()
