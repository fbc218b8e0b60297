"""One dispatcher task, woken by one armed timer, that sends whatever the outbox says is due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock, utcnow
from bot.scheduling.supervise import Backoff

log = logging.getLogger(__name__)

WAKE_JOB_ID = "airdate-wake"
SAFETY_TICK_JOB_ID = "airdate-safety-tick"


class Outbox(Protocol):
    async def run_due(self, now: datetime) -> bool:
        """Take on what is due at `now`; return True if more may be waiting already."""

    async def next_wake_at(self) -> datetime | None:
        """Return when the next row comes due or lease expires."""


class Dispatcher:
    """Sleeps until the earliest pending delivery, then drains everything due.

    APScheduler is only the alarm clock: one date job armed for the earliest due time
    (re-armed after every pass) and a safety tick. The database says what is due.
    """

    def __init__(
        self,
        outbox: Outbox,
        clock: Clock,
        *,
        safety_tick_seconds: float = 60.0,
    ) -> None:
        self._outbox = outbox
        self._clock = clock
        self._safety_tick_seconds = safety_tick_seconds
        self._wake_event = asyncio.Event()
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the timer and the dispatcher task, and look for due work at once."""
        if self._task is not None:
            return
        self._scheduler.start()
        self._scheduler.add_job(
            self.wake,
            "interval",
            seconds=self._safety_tick_seconds,
            id=SAFETY_TICK_JOB_ID,
            misfire_grace_time=None,
            coalesce=True,
        )
        self._task = asyncio.create_task(self._run(), name="airdate-dispatcher")
        self._task.add_done_callback(_log_crash)
        self.wake()

    async def stop(self) -> None:
        """Stop the timer, then the dispatcher; a send in flight is abandoned to its lease."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Ask the dispatcher to look at the outbox now (cheap; safe from any coroutine)."""
        self._wake_event.set()

    async def _run(self) -> None:
        backoff = Backoff("the dispatcher")
        while True:
            await self._wake_event.wait()
            self._wake_event.clear()
            try:
                while await self._outbox.run_due(self._clock()):
                    pass
                self._arm(await self._outbox.next_wake_at())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A locked or full database, or a bug: look again soon, not at the next tick.
                delay = backoff.failed(error)
                self._arm(self._clock() + timedelta(seconds=delay))
            else:
                backoff.succeeded()

    def _arm(self, at: datetime | None) -> None:
        if at is None:
            if self._scheduler.get_job(WAKE_JOB_ID) is not None:
                self._scheduler.remove_job(WAKE_JOB_ID)
            return
        # APScheduler keeps wall-clock time; the engine's clock may be another (injected in
        # tests, or stepped): arm for the same distance ahead on the wall clock.
        self._scheduler.add_job(
            self.wake,
            "date",
            run_date=utcnow() + (at - self._clock()),
            id=WAKE_JOB_ID,
            replace_existing=True,
            # An overdue wake-up (at start-up, or after a long pass) must still fire.
            misfire_grace_time=None,
        )


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("dispatcher task died", exc_info=task.exception())
