"""Send time limits: one sweep bounds every wait, with asyncio's own timeout semantics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.scheduling.deadlines import Deadlines


@pytest.fixture
async def deadlines() -> AsyncIterator[Deadlines]:
    limits = Deadlines(0.05, sweep_every=0.01)
    sweeper = asyncio.create_task(limits.sweep_forever())
    yield limits
    sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeper


async def test_a_wait_that_overruns_raises_timeout_error(deadlines: Deadlines) -> None:
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        async with deadlines.bounded():
            await asyncio.sleep(5)
    waited = asyncio.get_running_loop().time() - started
    assert 0.05 <= waited < 1.0


async def test_a_wait_within_its_time_is_untouched_and_forgotten(deadlines: Deadlines) -> None:
    async with deadlines.bounded():
        await asyncio.sleep(0.01)
    # The finished wait is no longer listed: the task is not cancelled later.
    await asyncio.sleep(0.1)
    assert deadlines.sweep() == 0
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_each_of_many_waits_is_bounded_on_its_own(deadlines: Deadlines) -> None:
    async def wait(seconds: float) -> str:
        try:
            async with deadlines.bounded():
                await asyncio.sleep(seconds)
        except TimeoutError:
            return "timed out"
        return "done"

    results = await asyncio.gather(*(wait(0.001 if i % 2 else 5) for i in range(200)))
    assert results.count("done") == 100
    assert results.count("timed out") == 100


async def test_cancelling_from_outside_is_a_cancellation_not_a_timeout(
    deadlines: Deadlines,
) -> None:
    async def wait() -> None:
        async with deadlines.bounded():
            await asyncio.sleep(5)

    task = asyncio.create_task(wait())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_overrun_and_cancelled_from_outside_stays_a_cancellation(
    deadlines: Deadlines,
) -> None:
    """Both at once, as with asyncio.timeout: whoever else cancelled the task wins."""
    entered = asyncio.Event()

    async def wait() -> None:
        async with deadlines.bounded():
            entered.set()
            await asyncio.sleep(5)

    task = asyncio.create_task(wait())
    await entered.wait()
    task.cancel()
    for wait_, _ in list(deadlines._open.values()):
        wait_.expire()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The control: an overrun alone is a TimeoutError.
    alone = asyncio.create_task(wait())
    entered.clear()
    await entered.wait()
    for wait_, _ in list(deadlines._open.values()):
        wait_.expire()
    with pytest.raises(TimeoutError):
        await alone
