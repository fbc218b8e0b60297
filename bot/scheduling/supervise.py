"""Background loops that never die: each failure is logged once per incident, then retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff that remembers whether an incident is under way.

    `failed()` returns how long to wait and logs only the first failure of an incident
    (with its traceback); `succeeded()` ends the incident, saying how many tries it took.
    """

    name: str
    first_seconds: float = 0.5
    max_seconds: float = 30.0
    failures: int = 0

    def failed(self, error: BaseException) -> float:
        self.failures += 1
        if self.failures == 1:
            log.error("%s failed; retrying with backoff until it works", self.name, exc_info=error)
        return min(self.first_seconds * 2.0 ** (self.failures - 1), self.max_seconds)

    def succeeded(self) -> None:
        if self.failures:
            log.warning("%s works again after %d failed tries", self.name, self.failures)
        self.failures = 0


async def supervised(name: str, step: Callable[[], Awaitable[None]]) -> None:
    """Run `step` forever; an exception is logged once per incident and retried with backoff."""
    backoff = Backoff(name)
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await asyncio.sleep(backoff.failed(error))
        else:
            if backoff.failures:
                backoff.succeeded()


def start_supervised(
    name: str, step: Callable[[], Awaitable[None]], tasks: set[asyncio.Task[None]]
) -> asyncio.Task[None]:
    """Start `supervised(name, step)` as a task kept in `tasks` (so it is never collected)."""
    task = asyncio.create_task(supervised(name, step), name=name)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(_log_end)
    return task


def _log_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("%s stopped", task.get_name(), exc_info=task.exception())
