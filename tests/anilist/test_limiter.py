"""The one AniList limiter, on an injected clock: budget, spacing, headers, 429s, priority."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.anilist.limiter import AniListLimiter, LimiterBusy, Priority
from tests.anilist.clock import NOW, FakeClock


def offsets(starts: list[float]) -> list[float]:
    return [round(s - NOW.timestamp(), 3) for s in starts]


def most_in_any_minute(starts: list[float]) -> int:
    most, first = 0, 0
    for last, moment in enumerate(starts):
        while starts[first] <= moment - 60.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def run_requests(
    limiter: AniListLimiter, clock: FakeClock, count: int, priority: Priority = Priority.SYNC
) -> list[float]:
    starts = []
    for _ in range(count):
        async with limiter.slot(priority):
            starts.append(clock.now.timestamp())
    return starts


@pytest.mark.parametrize(
    ("budget", "spacing"), [(30, 2.0), (90, 60 / 90), (1, 60.0), (45, 60 / 45)]
)
async def test_requests_are_evenly_spaced_and_never_over_budget(
    clock: FakeClock, budget: int, spacing: float
) -> None:
    limiter = AniListLimiter(budget, clock=clock, sleep=clock.sleep)
    starts = await run_requests(limiter, clock, 3 * budget + 5)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(spacing)
    assert most_in_any_minute(starts) <= budget
    # Not slower than it has to be either: the budget is used.
    assert most_in_any_minute(starts) == budget


def test_a_budget_over_anilist_limit_is_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="1 to 90"):
        AniListLimiter(91, clock=clock)
    with pytest.raises(ValueError):
        AniListLimiter(0, clock=clock)


async def test_headers_may_lower_the_pace(limiter: AniListLimiter, clock: FakeClock) -> None:
    async with limiter.slot(Priority.SYNC):
        pass
    limiter.observe(limit=10, remaining=9)
    assert limiter.spacing_seconds == pytest.approx(6.0)
    starts = await run_requests(limiter, clock, 3)
    assert offsets(starts) == [6.0, 12.0, 18.0]


async def test_headers_never_raise_the_pace_above_the_budget(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    # AniList says 90 while it enforces 30: Airdate keeps to its 30.
    limiter.observe(limit=10, remaining=9)
    limiter.observe(limit=90, remaining=89)
    assert limiter.limit == 30
    starts = await run_requests(limiter, clock, 40)
    assert most_in_any_minute(starts) == 30
    assert min(b - a for a, b in itertools.pairwise(starts)) == pytest.approx(2.0)


async def test_a_window_anilist_counts_as_used_is_waited_out(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    # Another client on the same address used the minute: "30 with 0 left".
    async with limiter.slot(Priority.SYNC):
        limiter.observe(limit=30, remaining=0)
    assert not limiter.can_start_now()
    starts = await run_requests(limiter, clock, 1)
    assert offsets(starts) == [60.0]


async def test_degraded_headers_count_their_use_as_limit_minus_remaining(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    # "90 with 60 left" is 30 used: the window is full.
    async with limiter.slot(Priority.SYNC):
        limiter.observe(limit=90, remaining=60)
    starts = await run_requests(limiter, clock, 1)
    assert offsets(starts) == [60.0]
    # Control: "90 with 89 left" is only our own request.
    async with limiter.slot(Priority.SYNC):
        limiter.observe(limit=90, remaining=89)
    before = clock.now.timestamp()
    (start,) = await run_requests(limiter, clock, 1)
    assert start - before == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("retry_after", "reset_in", "paused"),
    [(30.0, 50.0, 30.0), (None, 45.0, 45.0), (None, None, 60.0), (None, -5.0, 60.0)],
    ids=["retry-after-wins", "reset", "nothing-said", "reset-in-the-past"],
)
async def test_a_429_pauses_every_request(
    limiter: AniListLimiter,
    clock: FakeClock,
    retry_after: float | None,
    reset_in: float | None,
    paused: float,
) -> None:
    async with limiter.slot(Priority.SYNC):
        reset_at = None if reset_in is None else clock.now.timestamp() + reset_in
        assert limiter.pause(retry_after=retry_after, reset_at=reset_at) == paused
    sync_starts = await run_requests(limiter, clock, 1, Priority.SYNC)
    assert offsets(sync_starts) == [paused]


async def test_interactive_callers_do_not_wait_out_a_pause_they_cannot_afford(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    limiter.pause(retry_after=60)
    with pytest.raises(LimiterBusy) as caught:
        async with limiter.slot(Priority.INTERACTIVE, max_wait_seconds=10):
            pass
    assert caught.value.wait_seconds == pytest.approx(60)
    assert clock.now == NOW  # it did not wait
    # Within its means it waits and goes.
    async with limiter.slot(Priority.INTERACTIVE, max_wait_seconds=61):
        assert clock.now.timestamp() - NOW.timestamp() == pytest.approx(60)


async def test_interactive_requests_go_ahead_of_queued_sync_requests(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    order: list[tuple[str, float]] = []
    release = asyncio.Event()

    async def request(name: str, priority: Priority, hold: bool = False) -> None:
        async with limiter.slot(priority):
            order.append((name, clock.now.timestamp() - NOW.timestamp()))
            if hold:
                await release.wait()

    first = asyncio.create_task(request("sync-1", Priority.SYNC, hold=True))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(request(f"sync-{n}", Priority.SYNC)) for n in (2, 3, 4)]
    for _ in range(5):
        await asyncio.sleep(0)
    search = asyncio.create_task(request("search", Priority.INTERACTIVE))
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *queued, search)
    assert [name for name, _ in order] == ["sync-1", "search", "sync-2", "sync-3", "sync-4"]
    # It keeps the spacing all the same.
    assert [at for _, at in order] == [0.0, 2.0, 4.0, 6.0, 8.0]


async def test_one_request_at_a_time(limiter: AniListLimiter, clock: FakeClock) -> None:
    running = 0
    most = 0

    async def request() -> None:
        nonlocal running, most
        async with limiter.slot(Priority.SYNC):
            running += 1
            most = max(most, running)
            await clock.sleep(5)  # a slow answer: longer than the spacing
            running -= 1

    await asyncio.gather(*(request() for _ in range(6)))
    assert most == 1


async def test_can_start_now_says_whether_a_request_would_wait(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    assert limiter.can_start_now()
    async with limiter.slot(Priority.SYNC):
        assert not limiter.can_start_now()  # one at a time
    assert not limiter.can_start_now()  # the spacing
    clock.advance(1.9)
    assert not limiter.can_start_now()
    clock.advance(0.1)
    assert limiter.can_start_now()
    limiter.pause(retry_after=5)
    assert not limiter.can_start_now()


async def test_a_cancelled_waiter_does_not_block_the_queue(
    limiter: AniListLimiter, clock: FakeClock
) -> None:
    release = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot(Priority.SYNC):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    doomed = asyncio.create_task(run_requests(limiter, clock, 1, Priority.INTERACTIVE))
    later = asyncio.create_task(run_requests(limiter, clock, 1, Priority.SYNC))
    for _ in range(3):
        await asyncio.sleep(0)
    doomed.cancel()
    release.set()
    await holder
    (start,) = await asyncio.wait_for(later, 5)
    assert start - NOW.timestamp() == pytest.approx(2.0)
