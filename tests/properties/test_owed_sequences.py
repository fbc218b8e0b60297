"""Sequences the deep runs of the owed machine once found failing, replayed step by step.

Each is a Hypothesis counterexample, shrunk: the machine and its invariants are the
same as in test_owed_machine.py, so a regression shows as the same assertion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.properties.test_owed_machine import OwedMachine


@pytest.fixture
def machine() -> Iterator[OwedMachine]:
    state = OwedMachine()
    state.start()
    yield state
    state.teardown()


def checked(state: OwedMachine) -> Callable[[], None]:
    def check() -> None:
        state.outbox_equals_owed()
        state.never_posted_twice()
        state.nothing_due_is_left()

    return check


def test_a_found_post_and_the_new_times_notices_recorded_together_still_owe_its_notice(
    machine: OwedMachine,
) -> None:
    """#102's announcement is posted but its answer lost; the release moves 2 h later.
    The look that finds the post is recorded in the same flush as the notices of the new
    time to #101 and DMs: #102 was told the old time too and is owed its notice."""
    check = checked(machine)
    release = machine.add_release(delay=20, show="Frieren")
    machine.send_fails_next(error="lost", who=102)
    machine.follow(channel=102, role=None, show="Frieren")
    machine.subscribe(show="Frieren", user=301)
    machine.time_passes(step=600)
    check()
    machine.send_fails_next(error="503", who=102)
    machine.edit_release(delay=7200, release=release)
    machine.time_passes(step=30)
    check()
    notices = {p.target_id for p in machine.discord.posted if p.keys[0].kind.value == "notice"}
    assert {101, 301} <= notices  # the control: the targets the engine knew it told
    machine.time_passes(step=600)  # #102's notice meets the 503 and waits out its retry
    machine.time_passes(step=7)
    check()
    notices = {p.target_id for p in machine.discord.posted if p.keys[0].kind.value == "notice"}
    assert 102 in notices


def test_a_new_version_waits_for_the_look_for_the_old_one_it_may_double(
    machine: OwedMachine,
) -> None:
    """#102's announcement of release 2 is posted but its answer lost; the release then
    moves 20 minutes (not enough for a notice or a second announcement). When both the
    look for the old post and the new announcement fall due together under a locked
    database, the new one waits for the look, finds the old one told, and is not sent."""
    check = checked(machine)
    first = machine.add_release(delay=20, show="Frieren")
    machine.send_fails_next(error="lost", who=102)
    machine.send_fails_next(error="503", who=101)
    machine.edit_release(delay=20, release=first)
    second = int(machine.add_release(delay=20, show="Frieren"))  # type: ignore[arg-type]
    machine.follow(channel=102, role=202, show="Frieren")
    machine.subscribe(show="Frieren", user=301)
    machine.time_passes(step=600)
    machine.channel_restored(channel=103)
    machine.edit_release(delay=600, release=second)
    machine.send_fails_next(error="timeout", who=101)
    machine.database_locked_while_due(step=3600)
    check()
    announced = [
        (p.target_id, k.release_id)
        for p in machine.discord.posted
        for k in p.keys
        if k.kind.value == "announcement"
    ]
    assert announced.count((102, second)) == 1
    assert announced.count((101, second)) == 1  # the control: #101 was never told it
