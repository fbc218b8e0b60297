"""The fair queue: guilds take turns, a full channel lets the next go, nothing leaves early."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bot.scheduling.ratelimit import ChannelWindows
from bot.scheduling.sendqueue import FairQueue
from tests.scheduling.clock import FakeMonotonic

GUILD = 1
OTHER_GUILD = 2


@dataclass(frozen=True, slots=True)
class Message:
    name: str
    guild_id: int = GUILD
    channel_key: int = 0
    not_before: float = 0.0


def queue_on(clock: FakeMonotonic, *messages: Message) -> FairQueue[Message]:
    queue: FairQueue[Message] = FairQueue(ChannelWindows(5, 5.0, clock=clock), clock=clock)
    for message in messages:
        queue.put(message)
    return queue


async def taken_now(queue: FairQueue[Message]) -> str | None:
    """What `get` hands out without time moving on, or None if it would wait."""
    task = asyncio.create_task(queue.get())
    for _ in range(5):
        await asyncio.sleep(0)
    if task.done():
        return task.result().name
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def all_taken_now(queue: FairQueue[Message]) -> list[str]:
    taken = []
    while (name := await taken_now(queue)) is not None:
        taken.append(name)
    return taken


async def test_guilds_take_turns() -> None:
    clock = FakeMonotonic()
    busy = [Message(f"busy {i}", GUILD, channel_key=i) for i in range(4)]
    queue = queue_on(clock, *busy, Message("quiet", OTHER_GUILD, channel_key=99))
    # The quiet guild's one message waits one turn, not behind all of the busy guild's.
    assert await all_taken_now(queue) == ["busy 0", "quiet", "busy 1", "busy 2", "busy 3"]
    assert len(queue) == 0


async def test_a_guilds_messages_leave_in_the_order_they_were_put() -> None:
    clock = FakeMonotonic()
    queue = queue_on(clock, *(Message(f"m{i}", channel_key=i % 3) for i in range(6)))
    assert await all_taken_now(queue) == [f"m{i}" for i in range(6)]


async def test_a_full_channel_lets_the_next_go_and_leaves_first_once_it_has_room() -> None:
    clock = FakeMonotonic()
    crowded = [Message(f"crowded {i}", channel_key=10) for i in range(7)]
    queue = queue_on(clock, *crowded, Message("elsewhere", channel_key=20))
    first = await all_taken_now(queue)
    assert first == [f"crowded {i}" for i in range(5)] + ["elsewhere"]
    assert len(queue) == 2
    start = clock.now
    clock.now = start + 4.999
    assert await taken_now(queue) is None
    clock.now = start + 5  # the first five are 5 s old: the channel has room for five more
    assert await all_taken_now(queue) == ["crowded 5", "crowded 6"]


async def test_nothing_leaves_before_it_is_due_and_other_guilds_do_not_wait_for_it() -> None:
    clock = FakeMonotonic()
    later = clock.now + 3
    queue = queue_on(
        clock,
        Message("later", GUILD, not_before=later),
        Message("after it", GUILD, channel_key=1, not_before=later),
        Message("now", OTHER_GUILD),
    )
    assert (len(queue), queue.ready()) == (3, 1)
    assert await all_taken_now(queue) == ["now"]
    assert queue.ready() == 0
    clock.advance(3)
    assert queue.ready() == 2
    assert await all_taken_now(queue) == ["later", "after it"]


async def test_a_waiting_get_takes_a_message_put_meanwhile() -> None:
    clock = FakeMonotonic()
    queue = queue_on(clock)
    task = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not task.done()
    queue.put(Message("new"))
    async with asyncio.timeout(1):  # a safety net: the put wakes it at once
        assert (await task).name == "new"
