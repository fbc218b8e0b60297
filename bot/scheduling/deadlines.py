"""Time limits for many short waits at the cost of one timer.

Every send is bounded (Discord may never answer), but a burst hands thousands of
messages to Discord in a second, and `asyncio.timeout(seconds)` arms and cancels a timer
for each: at 10,000 sends that alone adds tens of milliseconds to the last one. Here
each wait is only listed with its task and deadline; one sweep a fraction of a second
cancels the task of whatever has overrun, and the wait turns that cancellation (and
only that one) into TimeoutError, as `asyncio.Timeout` does: a cancellation from
outside stays a cancellation.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from types import TracebackType

from bot.scheduling.ratelimit import Monotonic


class Deadlines:
    """Bound waits to `seconds` (give or take one sweep) with one sweeping task."""

    def __init__(
        self, seconds: float, *, sweep_every: float = 0.25, clock: Monotonic = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.sweep_every = sweep_every
        self._clock = clock
        self._open: dict[int, tuple[Bounded, float]] = {}
        self._tokens = itertools.count()

    def bounded(self) -> Bounded:
        """An async context manager: the block raises TimeoutError once it overruns."""
        return Bounded(self)

    def sweep(self) -> int:
        """Expire every wait past its deadline; return how many."""
        now = self._clock()
        overdue = [token for token, (_, deadline) in self._open.items() if deadline <= now]
        for token in overdue:
            wait, _ = self._open.pop(token)
            wait.expire()
        return len(overdue)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            self.sweep()

    def _open_wait(self, wait: Bounded) -> int:
        token = next(self._tokens)
        self._open[token] = (wait, self._clock() + self.seconds)
        return token

    def _close_wait(self, token: int) -> None:
        self._open.pop(token, None)


class Bounded:
    """One bounded wait (see `Deadlines.bounded`).

    The same steps as `asyncio.Timeout` without its timer: the task's cancel count is
    noted on entry, and on exit a cancellation the sweep caused is uncounted and raised
    as TimeoutError, unless someone else also cancelled the task meanwhile.
    """

    __slots__ = ("_cancelling", "_deadlines", "_expired", "_task", "_token")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._expired = False
        self._token = -1

    async def __aenter__(self) -> Bounded:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a bounded wait must run inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._token = self._deadlines._open_wait(self)
        return self

    def expire(self) -> None:
        """The deadline passed: cancel the waiting task (once)."""
        if self._task is not None and not self._expired:
            self._expired = True
            self._task.cancel()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._deadlines._close_wait(self._token)
        # Uncounted only if the sweep cancelled it (short-circuit: uncancel runs then).
        if (
            self._expired
            and self._task is not None
            and self._task.uncancel() <= self._cancelling
            and kind is asyncio.CancelledError
        ):
            raise TimeoutError from error
