"""The limiter's promises hold whatever arrives when: random arrivals, headers and 429s.

`make test` runs a fixed seed (derandomized); the rules checked are the budget (never more
than it in any sliding 60 s), the spacing, one request at a time, and every 429's pause.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.anilist.limiter import AniListLimiter, Priority
from tests.anilist.clock import FakeClock


@dataclass(frozen=True)
class Arrival:
    gap_seconds: float
    interactive: bool
    hold_seconds: float
    #: After the answer: AniList's headers (limit, remaining), or a 429's Retry-After.
    headers: tuple[int, int] | None
    retry_after: float | None


arrivals = st.builds(
    Arrival,
    gap_seconds=st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 7.0, 61.0]),
    interactive=st.booleans(),
    hold_seconds=st.sampled_from([0.0, 0.1, 1.5, 5.0]),
    headers=st.none() | st.tuples(st.sampled_from([10, 30, 90]), st.integers(0, 90)),
    retry_after=st.none() | st.none() | st.sampled_from([0.0, 5.0, 30.0, 60.0]),
)


async def play(budget: int, plan: list[Arrival]) -> None:
    clock = FakeClock()
    limiter = AniListLimiter(budget, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    pauses: list[tuple[float, float]] = []
    inside = 0

    async def request(arrival: Arrival) -> None:
        nonlocal inside
        priority = Priority.INTERACTIVE if arrival.interactive else Priority.SYNC
        async with limiter.slot(priority):
            inside += 1
            assert inside == 1, "two requests at once"
            starts.append(clock.now.timestamp())
            await clock.sleep(arrival.hold_seconds)
            if arrival.retry_after is not None:
                pauses.append((clock.now.timestamp(), arrival.retry_after))
                limiter.pause(retry_after=arrival.retry_after)
            elif arrival.headers is not None:
                limiter.observe(*arrival.headers)
            inside -= 1

    tasks = []
    for arrival in plan:
        clock.advance(arrival.gap_seconds)
        tasks.append(asyncio.create_task(request(arrival)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)

    assert len(starts) == len(plan)
    assert starts == sorted(starts)
    first = 0
    for last, moment in enumerate(starts):
        while starts[first] <= moment - 60.0:
            first += 1
        assert last - first + 1 <= budget, f"{last - first + 1} starts in 60 s"
    for before, after in itertools.pairwise(starts):
        assert after - before >= 60.0 / budget - 1e-6
    for paused_at, seconds in pauses:
        assert not [s for s in starts if paused_at < s < paused_at + seconds - 1e-6]


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(budget=st.sampled_from([1, 5, 30, 90]), plan=st.lists(arrivals, max_size=60))
def test_the_budget_spacing_and_pauses_hold_whatever_happens(
    budget: int, plan: list[Arrival]
) -> None:
    asyncio.run(play(budget, plan))
