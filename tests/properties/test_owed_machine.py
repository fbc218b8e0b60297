"""Never misses, never doubles, never pings wrongly: random sequences against a model.

Hypothesis drives the real services and delivery engine (real SQLite, a fake clock, a
fake Discord at the Sender seam) through random sequences of moderator and member
commands, guild leave and rejoin, channels lost and restored, DMs closed and reopened,
failing sends, a locked database, restarts and clock steps. After every step:

- the outbox equals what the independent model (tests/properties/model.py) says is owed:
  every row still pending or in flight is owed, every owed message has a pending row
  with the model's due time (one that failed for good may stay failed once due);
- no target was ever posted the same message twice, nothing was posted to a target that
  was not owed it, and every post pinged exactly the roles the model says;
- once nothing is faulty, nothing owed and due is left unsent.

`make test` runs a fixed seed within a time budget; `make test-deep` runs many more.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.domain.errors import UserError
from bot.domain.models import Via
from bot.services.audiences import SubscriptionPlan
from bot.services.delivery import DeliveryError
from bot.services.releases import ReleaseChanges, ReleaseDraft
from tests.properties.model import Model, ModelFollow, ModelRelease, Told, close
from tests.support.engine import DEBOUNCE, Engine, FakeClock, FakeDiscord

GUILD = 10
CHANNELS = (101, 102, 103)
ROLES = (201, 202)
USERS = (301, 302)
SHOWS = ("Frieren", "Dandadan")
OFFSETS = {"none": (), "1h": (3600,), "30s 1h": (30, 3600), "2m 20m": (120, 1200)}
DELAYS = (20, 95, 600, 2400, 7200)
STEPS = (1, 7, 30, 90, 600, 3600)
#: After a fault, a restart or a lock, retries wait out backoff and leases: give it time.
GRACE = timedelta(minutes=12)

DEEP = os.environ.get("AIRDATE_DEEP") == "1"


class OwedMachine(RuleBasedStateMachine):
    releases = Bundle("releases")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="airdate-owed-"))
        self.clock = FakeClock()
        self.discord = FakeDiscord(self.clock)
        self.engine = Engine(self.folder / "airdate.db", self.clock, self.discord)
        self.model = Model(GUILD, DEBOUNCE)
        self.grace_until: datetime = self.clock.now
        self.faulty: dict[int, datetime] = {}
        self.seen_posts = 0
        #: What the model said was owed and due right after the engine's last turn.
        self.due_after_delivery: dict[tuple[int, int, str, int], datetime] = {}

    def run(self, coroutine: object) -> object:
        return self.loop.run_until_complete(coroutine)  # type: ignore[arg-type]

    def teardown(self) -> None:
        try:
            self.run(self.engine.stop())
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def start(self) -> None:
        self.run(self.engine.start())
        self.run(self.engine.settings.set_channel(GUILD, CHANNELS[0]))
        self.model.set_channel(CHANNELS[0], self.clock.now)

    # ------------------------------------------------------------------ releases
    @rule(target=releases, show=st.sampled_from(SHOWS), delay=st.sampled_from(DELAYS))
    def add_release(self, show: str, delay: int) -> int:
        result = self.run(self.engine.releases.add(GUILD, ReleaseDraft(show, f"in {delay}s")))
        release = result.release  # type: ignore[attr-defined]
        at = release.time.at
        self.model.releases[release.id] = ModelRelease(show, at, self.clock.now, 1, times={1: at})
        return int(release.id)

    @rule(release=releases, delay=st.sampled_from(DELAYS))
    def edit_release(self, release: int, delay: int) -> None:
        try:
            result = self.run(
                self.engine.releases.edit(GUILD, str(release), ReleaseChanges(when=f"in {delay}s"))
            )
        except UserError:
            assert self.model.releases[release].cancelled
            return
        model = self.model.releases[release]
        at = result.release.time.at  # type: ignore[attr-defined]
        # A new time, or the same moment read in another zone: either is a new revision.
        revision = int(result.release.revision)  # type: ignore[attr-defined]
        if revision != model.revision:
            model.revision = revision
            model.at, model.revised_at = at, self.clock.now
            model.times[revision] = at

    @rule(release=releases)
    def remove_release(self, release: int) -> None:
        try:
            self.run(self.engine.releases.remove(GUILD, str(release)))
        except UserError:
            assert self.model.releases[release].cancelled
            return
        self.model.releases[release].cancelled = True

    # ------------------------------------------------------------------ settings
    @rule(channel=st.sampled_from((*CHANNELS[:2], None)))
    def set_channel(self, channel: int | None) -> None:
        self.run(self.engine.settings.set_channel(GUILD, channel))
        self.model.set_channel(channel, self.clock.now)

    @rule(role=st.sampled_from((*ROLES[:1], None)))
    def set_role(self, role: int | None) -> None:
        self.run(self.engine.settings.set_role(GUILD, role))
        self.model.role = role

    @rule(offsets=st.sampled_from(sorted(OFFSETS)))
    def set_offsets(self, offsets: str) -> None:
        self.run(self.engine.settings.set_offsets(GUILD, offsets))
        self.model.offsets, self.model.offsets_since = OFFSETS[offsets], self.clock.now

    @rule(zone=st.sampled_from(("Asia/Tokyo", "UTC")))
    def set_timezone(self, zone: str) -> None:
        self.run(self.engine.settings.set_timezone(GUILD, zone))

    # ------------------------------------------------------------------ follows
    @precondition(lambda self: bool(self.model.releases))
    @rule(
        show=st.sampled_from((*SHOWS, None)),
        channel=st.sampled_from(CHANNELS[1:]),
        role=st.sampled_from((ROLES[1], None)),
    )
    def follow(self, show: str | None, channel: int, role: int | None) -> None:
        try:
            self.run(self.engine.follows.follow(GUILD, channel, show or "all", role, episodes=True))
        except UserError:
            assert show not in {r.show for r in self.model.releases.values()}
            return
        existing = self.model.follows.get((channel, show))
        since = self.clock.now if existing is None or not existing.enabled else existing.since
        self.model.follows[(channel, show)] = ModelFollow(role, since)

    @rule(show=st.sampled_from((*SHOWS, None)), channel=st.sampled_from(CHANNELS[1:]))
    def unfollow(self, show: str | None, channel: int) -> None:
        try:
            self.run(self.engine.follows.unfollow(GUILD, channel, show or "all"))
        except UserError:
            assert (channel, show) not in self.model.follows
            return
        del self.model.follows[(channel, show)]

    # ------------------------------------------------------------------ subscriptions
    @rule(user=st.sampled_from(USERS), show=st.sampled_from(SHOWS))
    def subscribe(self, user: int, show: str) -> None:
        service = self.engine.subscriptions
        try:
            plan = self.run(service.plan(GUILD, show, Via.DM))
        except UserError:
            assert show not in {r.show for r in self.model.releases.values()}
            return
        assert isinstance(plan, SubscriptionPlan)
        self.run(service.subscribe(GUILD, user, plan))
        if user in self.model.paused:
            self.model.paused.discard(user)
            self.discord.refused.pop(user, None)
            for key in [k for k in self.model.dm_subs if k[0] == user]:
                self.model.dm_subs[key] = self.clock.now
        self.model.dm_subs.setdefault((user, show), self.clock.now)

    @rule(user=st.sampled_from(USERS), show=st.sampled_from(SHOWS))
    def unsubscribe(self, user: int, show: str) -> None:
        try:
            self.run(self.engine.subscriptions.unsubscribe(GUILD, user, show))
        except UserError:
            assert (user, show) not in self.model.dm_subs
            return
        del self.model.dm_subs[(user, show)]

    # ------------------------------------------------------------------ the world
    @rule()
    def bot_removed(self) -> None:
        self.run(self.engine.lifecycle.removed(GUILD))
        self.model.removed = True

    @rule()
    def bot_invited_back(self) -> None:
        self.run(self.engine.lifecycle.joined(GUILD))
        if self.model.removed:
            self.model.removed, self.model.present_since = False, self.clock.now

    @rule(channel=st.sampled_from(CHANNELS), code=st.sampled_from((50013, 50001, 10003)))
    def channel_lost(self, channel: int, code: int) -> None:
        """Discord starts refusing the channel; the engine learns it at its next send."""
        self.discord.refused[channel] = DeliveryError(f"code {code}", retryable=False, code=code)

    @rule(channel=st.sampled_from(CHANNELS))
    def channel_restored(self, channel: int) -> None:
        """The moderator fixes the channel and runs the command for it again."""
        self.discord.refused.pop(channel, None)
        if self.model.channel == channel:
            self.set_channel(channel)
        for (followed, show), follow in list(self.model.follows.items()):
            if followed == channel:
                self.follow(show, channel, follow.role)

    @rule(user=st.sampled_from(USERS))
    def dms_closed(self, user: int) -> None:
        self.discord.refused[user] = DeliveryError("code 50007", retryable=False, code=50007)

    @rule(
        who=st.sampled_from((*CHANNELS, *USERS)),
        error=st.sampled_from(("503", "429", "timeout", "lost")),
    )
    def send_fails_next(self, who: int, error: str) -> None:
        if error == "lost":
            self.discord.lose_answer.add(who)
        else:
            failure = DeliveryError(f"HTTP {error}", retryable=True)
            self.discord.failures.setdefault(who, []).append(failure)
        self.faulty[who] = self.clock.now + GRACE

    @rule()
    def restart(self) -> None:
        self.run(self.engine.stop())
        self.run(self.engine.start())
        self.grace_until = self.clock.now + GRACE

    @rule(step=st.sampled_from(STEPS))
    def database_locked_while_due(self, step: int) -> None:
        """Another process holds the write lock while messages fall due."""
        with sqlite3.connect(self.engine.path, timeout=5) as other:
            other.execute("BEGIN IMMEDIATE")
            self.clock.advance(timedelta(seconds=step))
            try:
                self.run(self.engine.deliver(rounds=1))
            except sqlite3.OperationalError:
                pass  # the real dispatcher backs off and tries again
            except AssertionError:
                pass  # a record waits for the lock: nothing may be lost meanwhile
            other.rollback()
        self.grace_until = self.clock.now + GRACE
        self._deliver()

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: int) -> None:
        self.clock.advance(timedelta(seconds=step))
        self._deliver()

    # ------------------------------------------------------------------ delivery
    def _deliver(self) -> None:
        before = self.model.owed(self.clock.now)
        self.run(self.engine.deliver())
        self._learn_from_discord(before)
        now = self.clock.now
        self.due_after_delivery = {m: d for m, d in self.model.owed(now).items() if d <= now}

    def _learn_from_discord(self, owed_before: dict[tuple[int, int, str, int], datetime]) -> None:
        """Take in what Discord accepted and refused since the last look, checking each post."""
        for target, _ in self.discord.refusals:
            self._refused(target)
        self.discord.refusals.clear()
        for target, at in self.discord.faults:
            # A retry waits out its backoff: the target is exempt until well after.
            self.faulty[target] = max(self.faulty.get(target, at), at + GRACE)
        self.discord.faults.clear()
        for post in self.discord.posted[self.seen_posts :]:
            for key in post.keys:
                release = self.model.releases[key.release_id]
                message = (post.target_id, key.release_id, key.kind.value, key.offset_seconds)
                assert message in owed_before, (
                    f"posted {message} at {post.at}, which was not owed: {owed_before}"
                )
                about = release.times[key.revision]
                self.model.told.append(
                    Told(
                        post.target_id,
                        key.release_id,
                        key.kind.value,
                        key.offset_seconds,
                        about,
                        post.at,
                        post.message_id,
                        confirmed=post.message_id not in self.discord.unanswered,
                    )
                )
            if post.target_id not in USERS:
                expected = set().union(
                    *(self.model.roles(k.release_id, post.target_id) for k in post.keys)
                )
                assert set(post.roles) == expected, f"post to {post.target_id} pinged {post.roles}"
        self.seen_posts = len(self.discord.posted)
        self._confirm_found_posts()

    def _confirm_found_posts(self) -> None:
        """A post whose answer was lost counts as told once the engine recorded it."""
        waiting = [t for t in self.model.told if not t.confirmed]
        if not waiting or self.engine.database is None:
            return
        recorded = {
            int(str(message_id))
            for (message_id,) in self.engine.rows(
                "SELECT message_id FROM deliveries WHERE status = 'sent'"
            )
        }
        for told in waiting:
            if told.message_id in recorded:
                told.confirmed = True

    def _refused(self, target: int) -> None:
        if target in USERS:
            self.model.paused.add(target)
            return
        if self.model.channel == target:
            self.model.channel_disabled = True
        for (channel, _), follow in self.model.follows.items():
            if channel == target:
                follow.enabled = False

    # ------------------------------------------------------------------ invariants
    @invariant()
    def outbox_equals_owed(self) -> None:
        if self.engine.database is None:
            return
        now = self.clock.now
        owed = self.model.owed(now)
        rows = self.engine.rows(
            "SELECT d.target_id, d.release_id, d.kind, d.offset_seconds, d.status, d.due_at, "
            "d.revision = r.revision FROM deliveries d JOIN releases r ON r.id = d.release_id "
            "WHERE d.status IN ('pending', 'sending', 'failed') AND d.verify_only = 0"
        )
        unsent: dict[tuple[int, int, str, int], tuple[str, int]] = {}
        for target, release, kind, offset, status, due_at, current in rows:
            message = (int(str(target)), int(str(release)), str(kind), int(str(offset)))
            status, due_at = str(status), int(str(due_at))
            if status in ("pending", "sending"):
                assert current and message in owed, f"{status} row {message} is not owed now"
                unsent[message] = (status, due_at)
            elif current:
                unsent.setdefault(message, (status, due_at))
        for message, due in owed.items():
            assert message in unsent, f"owed {message} (due {due}) has no row"
            status, due_at = unsent[message]
            if status == "failed":
                assert due <= now, f"{message} failed but is still ahead"
            elif status == "pending":
                assert due_at == int(due.timestamp()), f"{message} due {due_at}, model {due}"

    @invariant()
    def never_posted_twice(self) -> None:
        seen: dict[tuple[int, int, str, int], list[datetime]] = {}
        for told in self.model.told:
            if told.kind == "notice":
                continue
            abouts = seen.setdefault((told.target, told.release, told.kind, told.offset), [])
            assert not any(close(a, told.about) for a in abouts), f"{told} was posted twice"
            abouts.append(told.about)

    @invariant()
    def nothing_due_is_left(self) -> None:
        now = self.clock.now
        if now < self.grace_until or self.engine.database is None:
            return
        # Judged on what was due when the engine last had its turn (and is still owed):
        # a command since may owe something new, which the next turn sends.
        owed_now = self.model.owed(now)
        for message, due in self.due_after_delivery.items():
            if message not in owed_now:
                continue
            target = message[0]
            if due > now or self.faulty.get(target, now) > now:
                continue
            if target in self.discord.refused:
                continue  # the engine learns of it at its next send, then stops owing it
            pytest.fail(f"{message} was due at {due} and is still not sent at {now}")


def machine_settings() -> settings:
    if DEEP:
        return settings(
            max_examples=int(os.environ.get("AIRDATE_DEEP_EXAMPLES", "2000")),
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    quick = os.environ.get("AIRDATE_NO_SHRINK") == "1"
    return settings(
        max_examples=25,
        stateful_step_count=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate] if quick else list(Phase),
    )


OwedMachine.TestCase.settings = machine_settings()
test_owed_machine = OwedMachine.TestCase
