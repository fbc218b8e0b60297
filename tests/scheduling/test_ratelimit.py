"""The bot-wide rate limit and Discord's per-channel windows, on a clock that moves when told."""

from __future__ import annotations

import asyncio

import pytest

from bot.scheduling.ratelimit import ChannelWindows, RateLimiter
from tests.scheduling.clock import FakeMonotonic

#: Float sums of 1/rate may land a hair either side of a window's end.
EPSILON = 1e-9


async def leave(limiter: RateLimiter, clock: FakeMonotonic) -> float:
    """Acquire once; return the moment the caller may go (now, or when its sleep ends)."""
    slept = len(clock.woke)
    await limiter.acquire()
    return clock.woke[-1] if len(clock.woke) > slept else clock.now


def most_in_one_second(moments: list[float]) -> int:
    return max(sum(1 for m in moments if start <= m < start + 1 - EPSILON) for start in moments)


# --- RateLimiter ----------------------------------------------------------------------


async def test_a_request_alone_goes_at_once() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(40, clock=clock, sleep=clock.sleep)
    assert await leave(limiter, clock) == clock.now
    assert clock.woke == []


@pytest.mark.parametrize("rate", [40, 50, 3, 1])
async def test_a_burst_leaves_evenly_spaced_and_no_second_holds_more_than_the_rate(
    rate: float,
) -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    count = int(3 * rate) + 1
    moments = [await leave(limiter, clock) for _ in range(count)]
    start = clock.now
    assert moments == pytest.approx([start + k / rate for k in range(count)])
    assert most_in_one_second(moments) <= rate
    assert limiter.rate == pytest.approx(rate)


async def test_callers_arriving_together_each_get_their_own_slot() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(limiter.acquire() for _ in range(20)))
    # The first goes at once; the other 19 sleep until distinct slots 0.1 s apart.
    assert sorted(clock.woke) == pytest.approx([clock.now + k / 10 for k in range(1, 20)])


async def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    await leave(limiter, clock)
    clock.advance(60)
    first = await leave(limiter, clock)
    second = await leave(limiter, clock)
    assert first == clock.now
    assert second == pytest.approx(clock.now + 0.25)


async def test_a_request_once_its_spacing_has_passed_goes_at_once() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    await leave(limiter, clock)
    clock.advance(0.25)
    assert await leave(limiter, clock) == clock.now
    assert clock.woke == []


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)


# --- ChannelWindows -------------------------------------------------------------------

CHANNEL = 10
OTHER = 20


def windows_with(sent_at: list[float], clock: FakeMonotonic) -> ChannelWindows:
    """Five per five seconds (Discord's channel limit), having sent at these moments."""
    windows = ChannelWindows(5, 5.0, clock=clock)
    start = clock.now
    for moment in sent_at:
        clock.now = start + moment
        windows.record(CHANNEL)
    return windows


@pytest.mark.parametrize(
    ("sent_at", "asked_at", "free"),
    [
        ([], 0.0, True),
        ([0, 1, 2, 3], 3.0, True),
        ([0, 1, 2, 3, 4], 4.0, False),
        ([0, 1, 2, 3, 4], 4.999, False),
        ([0, 1, 2, 3, 4], 5.0, True),  # the first message is exactly 5 s old: it no longer counts
        ([0, 0, 0, 0, 0], 4.0, False),
        ([0, 0, 0, 0, 0], 60.0, True),
    ],
    ids=["empty", "four", "five", "just-before", "exactly-five-s", "burst", "long-after"],
)
def test_a_channel_takes_five_messages_per_five_seconds(
    sent_at: list[float], asked_at: float, free: bool
) -> None:
    clock = FakeMonotonic()
    start = clock.now
    windows = windows_with(sent_at, clock)
    clock.now = start + asked_at
    assert (windows.free_at(CHANNEL) <= clock.now) is free


def test_a_full_channel_says_when_it_has_room_again() -> None:
    clock = FakeMonotonic()
    start = clock.now
    windows = windows_with([0, 1, 2, 3, 4], clock)
    assert windows.free_at(CHANNEL) == start + 5
    clock.now = start + 5.5
    windows.record(CHANNEL)  # sent at 1, 2, 3, 4 and 5.5: room again when the 1 s one expires
    assert windows.free_at(CHANNEL) == start + 6


def test_channels_have_their_own_windows() -> None:
    clock = FakeMonotonic()
    windows = windows_with([0, 0, 0, 0, 0], clock)
    assert windows.free_at(CHANNEL) > clock.now
    assert windows.free_at(OTHER) <= clock.now
