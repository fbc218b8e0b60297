"""The discussion threads owed on posted announcements, started one by one until done.

A thread is owed in the transaction that records its announcement as sent
(`bot.storage.threads.owe_threads`), so a crash between the message and the thread
leaves the thread owed: the next start finds it pending and starts it. Discord refuses a
second thread on a message (160004), which counts as done, so a start that reached
Discord before a crash is never doubled. A refusal for good (no permission, message or
channel gone) is logged once and ends the attempt: the announcement itself stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Protocol

from bot.clock import Clock
from bot.storage import threads
from bot.storage.database import Database
from bot.storage.threads import ThreadStart

log = logging.getLogger(__name__)

#: Discord's answer when the message already has a thread: the thread is there.
ALREADY_HAS_THREAD = 160004


class ThreadOutcome(Enum):
    STARTED = "started"
    #: Discord refused for good (permissions, the message or channel gone).
    REFUSED = "refused"
    #: No answer, a 5xx or a rate limit: try again later.
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class ThreadAttempt:
    outcome: ThreadOutcome
    reason: str = ""


class ThreadSender(Protocol):
    async def start_thread(
        self, channel_id: int, message_id: int, name: str, archive_minutes: int
    ) -> ThreadAttempt:
        """Start a public thread on a message; a message that has one already counts."""


@dataclass(frozen=True, slots=True)
class ThreadPolicy:
    #: A thread still not started this long after its announcement is given up on.
    give_up_after: timedelta = timedelta(hours=6)
    max_backoff: timedelta = timedelta(minutes=5)
    #: How often pending starts are looked at when nothing wakes the worker.
    idle_seconds: float = 30.0
    batch: int = 50


class ThreadStarts:
    """One worker that starts the threads owed, in the order they became due."""

    def __init__(
        self,
        database: Database,
        sender: ThreadSender,
        clock: Clock,
        policy: ThreadPolicy = ThreadPolicy(),
    ) -> None:
        self._database = database
        self._sender = sender
        self._clock = clock
        self._policy = policy
        self._wake = asyncio.Event()
        self._wake.set()  # what a crash left pending goes first

    def wake(self) -> None:
        """Look at pending starts now (a thread was just owed)."""
        self._wake.set()

    async def run_once(self) -> None:
        """Wait to be woken (or a while), then start every thread due."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(await self._sleep_seconds()):
                await self._wake.wait()
        self._wake.clear()
        while True:
            async with self._database.snapshot() as tx:
                due = await threads.due_thread_starts(tx, self._clock(), self._policy.batch)
            if not due:
                return
            for start in due:
                await self._start(start)

    async def _sleep_seconds(self) -> float:
        async with self._database.snapshot() as tx:
            at = await threads.next_thread_start_at(tx)
        if at is None:
            return self._policy.idle_seconds
        wait = at - self._clock().timestamp()
        return max(0.0, min(wait, self._policy.idle_seconds))

    async def _start(self, start: ThreadStart) -> None:
        try:
            attempt = await self._sender.start_thread(
                start.channel_id, start.message_id, start.name, start.archive_minutes
            )
        except Exception as error:
            # A bug, not Discord: retrying would repeat it, and one bad row must not hold
            # up every thread after it.
            log.exception("starting the thread on message %s raised", start.message_id)
            attempt = ThreadAttempt(ThreadOutcome.REFUSED, repr(error))
        now = self._clock()
        status, retry_at = "pending", None
        if attempt.outcome is ThreadOutcome.STARTED:
            status = "started"
        elif attempt.outcome is ThreadOutcome.REFUSED:
            status = "failed"
            log.warning(
                "no discussion thread on message %s in channel %s: %s",
                start.message_id,
                start.channel_id,
                attempt.reason,
            )
        else:
            backoff = min(timedelta(seconds=2 ** (start.attempts + 1)), self._policy.max_backoff)
            if now + backoff > start.created_at + self._policy.give_up_after:
                status = "failed"
                log.warning(
                    "gave up on the discussion thread on message %s: %s",
                    start.message_id,
                    attempt.reason,
                )
            else:
                retry_at = now + backoff
        async with self._database.transaction() as tx:
            await threads.settle_thread_start(
                tx, start.message_id, status, error=attempt.reason or None, retry_at=retry_at
            )
