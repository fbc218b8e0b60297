"""Background workers: a failing step is retried, and stopping ends every worker."""

from __future__ import annotations

import asyncio

from bot.scheduling.supervise import start_supervised, stop_supervised


async def test_a_failing_step_is_retried_and_stop_ends_every_worker() -> None:
    tasks: set[asyncio.Task[None]] = set()
    steps: list[str] = []
    failed = False

    async def flaky() -> None:
        nonlocal failed
        if not failed:
            failed = True
            raise RuntimeError("a passing fault")
        steps.append("flaky")
        await asyncio.sleep(0.01)

    async def steady() -> None:
        steps.append("steady")
        await asyncio.sleep(0.01)

    start_supervised("flaky", flaky, tasks)
    start_supervised("steady", steady, tasks)
    for _ in range(400):
        if "flaky" in steps and "steady" in steps:
            break
        await asyncio.sleep(0.01)
    assert "flaky" in steps, "the step that failed once ran again"
    running = list(tasks)
    await stop_supervised(tasks)
    assert not tasks
    assert all(task.done() for task in running)
    done = len(steps)
    await asyncio.sleep(0.05)
    assert len(steps) == done, "nothing runs after stop"
