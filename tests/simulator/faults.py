"""Faults injected into the next matching REST requests."""

from __future__ import annotations

import re
from dataclasses import dataclass

MODES = ("status", "hang", "hang_after_create", "drop_after_create")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    mode: str
    status: int
    code: int
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in ("*", "ANY") or self.method == method.upper()
        return method_ok and self.path.search(path) is not None


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self, method: str, path_regex: str, mode: str, status: int, code: int, count: int
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}; expected one of {MODES}")
        self._faults.append(
            Fault(method.upper(), re.compile(path_regex), mode, status, code, count)
        )

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consuming one of its uses)."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
