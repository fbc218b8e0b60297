"""A 500-channel fan-out through storage faults, a crash and a restart ten minutes later.

Another process holds SQLite's write lock for 30 s mid fan-out, then the disk is full for
3 s and the bot dies before any room comes back; it restarts ten minutes later (past
Discord's nonce window and the 60 s late mark). Every channel must end with exactly one
announcement: the messages Discord accepted while the database could not record them are
found in the channels' history, not posted again.

The disk is really full where this machine lets the test mount a small tmpfs for the
database (root with CAP_SYS_ADMIN). Elsewhere (AIRDATE_INJECT_DISK_FULL=1 forces it)
SQLite's "database or disk is full" is injected at the storage seam instead: every write
transaction of the running bot fails at commit and is rolled back. The test prints which
one ran, and what it measured (run with -s to see it). A shorter test checks that what
was sent while the disk was full is recorded once there is room again, in the same process.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest

from bot.services.delivery import DeliveryPolicy
from bot.storage.database import Database, Transaction
from tests.conftest import Server
from tests.simulator import DiscordSimulator
from tests.support.harness import RunningBot, rows, seed_fan_out, start_bot, wait_until

CHANNELS = 500
LOCK_SECONDS = 30.0
FULL_SECONDS = 3.0
LATER = timedelta(minutes=10)
#: 10 messages/s: the fan-out (all of it claimed as it falls due) outlasts the lock.
FIRST_RUN = DeliveryPolicy(
    lease=timedelta(seconds=2),
    send_timeout=timedelta(seconds=5),
    lookahead=timedelta(seconds=1),
    rate_per_second=10,
)
RESTART = replace(FIRST_RUN, rate_per_second=40)
MOUNT_SIZE = "16m"

#: Another process, as a backup or a `sqlite3` shell would: take the write lock, hold it.
HOLD_WRITE_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
print("released", flush=True)
"""


def _mount_tmpfs(mount_point: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    options = f"size={MOUNT_SIZE},mode=0700"
    command = ["mount", "-t", "tmpfs", "-o", options, "airdate-test", str(mount_point)]
    return subprocess.run(command, capture_output=True, timeout=10).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 16 MB tmpfs of this test's own, or None where this machine allows no mount."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.environ.get("AIRDATE_INJECT_DISK_FULL") or not _mount_tmpfs(mount_point):
        yield None
        return
    try:
        yield mount_point
    finally:
        unmount = subprocess.run(["umount", str(mount_point)], capture_output=True, timeout=10)
        if unmount.returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=10)


def _truncate_wal(db_path: Path) -> None:
    """Checkpoint and empty the WAL, so that the next commit must take new room on disk."""
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        for _ in range(20):
            (busy, _, _) = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                return
            time.sleep(0.05)
    finally:
        connection.close()
    raise AssertionError("could not empty the WAL before filling the disk")


def _fill(filler: Path) -> None:
    """Write `filler` until its file system has no room left."""
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(descriptor, block)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(descriptor)


def _failing_at_commit(
    database: Database,
) -> Callable[[], AbstractAsyncContextManager[Transaction]]:
    """`database.transaction` whose every unit of work fails at commit, as on a full disk."""
    original = database.transaction

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Transaction]:
        async with original() as tx:
            yield tx
            # Raised inside the real unit of work: its statements are rolled back.
            raise sqlite3.OperationalError("database or disk is full")

    return transaction


@asynccontextmanager
async def full_disk(running: RunningBot, mount: Path | None) -> AsyncIterator[str]:
    """Make the bot's disk full until the block ends; yield how."""
    if mount is None:
        with patch.object(running.database, "transaction", _failing_at_commit(running.database)):
            yield "injected SQLITE_FULL at the storage seam (no mount allowed here)"
        return
    await asyncio.to_thread(_truncate_wal, running.bot.config.database_path)
    filler = mount / "filler"
    await asyncio.to_thread(_fill, filler)
    try:
        assert shutil.disk_usage(mount).free < 4096
        yield f"a real full disk (tmpfs of {MOUNT_SIZE} holding the database)"
    finally:
        filler.unlink()


def _statuses(db_path: Path, guild_id: int) -> Counter[str]:
    """How many of the guild's deliveries are in each status."""
    sql = "SELECT status, count(*) FROM deliveries WHERE guild_id = ? GROUP BY status"
    return Counter(dict(rows(db_path, sql, (guild_id,))))


def _sent(db_path: Path, guild_id: int) -> int:
    return _statuses(db_path, guild_id)["sent"]


def _explain(sim: DiscordSimulator, db_path: Path, channel_ids: Sequence[int], since: int) -> str:
    """The rows of these channels and the requests the simulator got for them."""
    lines = []
    for channel_id in list(channel_ids)[:10]:
        lines.append(
            f"channel {channel_id}: rows (id, status, attempts, nonce, message_id, last_error) "
            + repr(
                rows(
                    db_path,
                    "SELECT id, status, attempts, nonce, message_id, last_error FROM deliveries "
                    "WHERE target_id = ?",
                    (channel_id,),
                )
            )
        )
        for index, request in enumerate(sim.requests):
            if request.path.startswith(f"/channels/{channel_id}/"):
                phase = "restart" if index >= since else "first run"
                lines.append(
                    f"  {phase}: {request.method} {request.path} -> {request.status} "
                    f"nonce={(request.json or {}).get('nonce')} fault={request.fault}"
                )
    return "\n".join(lines)


async def test_a_fan_out_through_a_held_lock_a_full_disk_and_a_late_restart_posts_each_once(
    server: Server,
    small_disk: Path | None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    sim = server.sim
    db_path = (small_disk or tmp_path) / "airdate.db"
    big = sim.add_guild(name="Big Server")
    channels = sim.add_channels(big, CHANNELS, prefix="fan")
    await seed_fan_out(db_path, big.id, [c.id for c in channels], timedelta(seconds=3))

    def sent() -> int:
        return _sent(db_path, big.id)

    def unsettled() -> int:
        statuses = _statuses(db_path, big.id)
        return statuses["pending"] + statuses["sending"]

    running = await start_bot(sim, db_path, policy=FIRST_RUN)
    running_alive = True
    holder: asyncio.subprocess.Process | None = None
    try:
        # Another guild, for a control release made after the lock.
        await server.mod("settings channel", {"channel": server.announcements})
        await server.mod("settings reminders", {"offsets": "none"})
        await wait_until(lambda: sim.message_count >= 20, 15, "the fan-out to start")

        # 1. Another process takes the write lock and holds it for 30 s.
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLD_WRITE_LOCK,
            str(db_path),
            str(LOCK_SECONDS),
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 10) == b"locked\n"
        posted_at_lock, recorded_at_lock = sim.message_count, sent()
        await asyncio.sleep(LOCK_SECONDS - 1)
        # Discord got what was already queued; the database got nothing.
        assert sent() == recorded_at_lock
        assert await asyncio.wait_for(holder.stdout.readline(), 5) == b"released\n"
        released_at, posted_at_release = time.monotonic(), sim.message_count
        await holder.wait()
        posted_during_lock = posted_at_release - posted_at_lock
        assert posted_during_lock > 0, "sending should go on from memory while locked"

        # What was posted meanwhile is recorded, and so is what is posted after.
        await wait_until(lambda: sent() >= posted_at_release, 40, "the backlog recorded")
        backlog_seconds = time.monotonic() - released_at
        # The dispatcher claims again: a release made now is announced on time.
        await server.mod("release add", {"title": "Control", "when": "in 2s"})
        await wait_until(
            lambda: len(sim.messages(server.announcements)) == 1, 10, "the control release"
        )
        [control] = sim.messages(server.announcements)
        [(control_row, control_due)] = rows(
            db_path,
            "SELECT id, due_at FROM deliveries WHERE target_id = ?",
            (server.announcements.id,),
        )
        control_lateness = control.created_at - control_due
        # On time but for its turn at the rate limiter behind the 16 fan-out senders (1.6 s
        # at 10/s); a dispatcher left in its backoff would be later still.
        assert control_lateness < 5.0
        await wait_until(
            lambda: (
                rows(db_path, "SELECT status FROM deliveries WHERE id = ?", (control_row,))
                == [("sent",)]
            ),
            5,
            "the control release recorded",
        )
        await wait_until(
            lambda: sent() >= posted_at_release + 20, 10, "messages posted after the release"
        )
        recorded_after_release = sent() - posted_at_release
        assert unsettled() > 0, "the fan-out ended before the disk filled"

        # 2. The disk is full for 3 s, and the bot dies before any room comes back.
        async with full_disk(running, small_disk) as method:
            full_at = time.monotonic()
            await asyncio.sleep(0.3)  # a commit under way when the disk filled may land
            posted_when_full, recorded_when_full = sim.message_count, sent()
            await asyncio.sleep(FULL_SECONDS - 0.3)
            running_alive = False
            await running.stop()
            full_seconds = time.monotonic() - full_at
        posted_during_full = sim.message_count - posted_when_full
        assert sent() == recorded_when_full, f"the full disk ({method}) did not bite"
        assert not running.unexpected_errors, running.unexpected_errors
        full_errors = sorted(
            {
                str(r.exc_info[1])
                for r in caplog.records
                if r.exc_info and "full" in str(r.exc_info[1])
            }
        )
        assert full_errors, "the bot should have met a full disk"
    finally:
        if holder is not None and holder.returncode is None:
            holder.kill()
            await holder.wait()
        if running_alive:
            await running.stop()

    status_at_crash = dict(
        rows(db_path, "SELECT target_id, status FROM deliveries WHERE guild_id = ?", (big.id,))
    )
    posted_at_crash = sim.created_per_channel()
    # Discord has these, the database does not know: only the channels' history can tell.
    unrecorded = sorted(
        c for c, s in status_at_crash.items() if s != "sent" and c in posted_at_crash
    )
    never_posted = sorted(c for c in status_at_crash if c not in posted_at_crash)
    assert unrecorded, "the crash should leave messages Discord has and the database does not"
    assert never_posted, "the crash should leave channels still waiting"

    # 3. Ten minutes later: Discord has forgotten every nonce; the bot starts again.
    sim.nonce_window_seconds = 0.0
    restart_from, nonce_hits = len(sim.requests), sim.nonce_hits
    restarted_at = time.monotonic()
    later = await start_bot(sim, db_path, policy=RESTART, clock_offset=LATER)
    try:
        await wait_until(lambda: unsettled() == 0, 30, "the restarted bot to settle every row")
        await asyncio.sleep(0.5)  # anything posted twice would have arrived by now
    finally:
        await later.stop()
    assert not later.unexpected_errors, later.unexpected_errors
    total_seconds = time.monotonic() - started

    per_channel = sim.created_per_channel()
    wrong = [c.id for c in channels if per_channel.get(c.id, 0) != 1]
    assert not wrong, (
        f"{len(wrong)} channels without exactly one announcement "
        f"({ {c: per_channel.get(c, 0) for c in wrong[:10]} }):\n"
        + _explain(sim, db_path, wrong, restart_from)
    )
    assert rows(db_path, "SELECT DISTINCT status FROM deliveries") == [("sent",)]
    # Each row points at the one message its channel has.
    recorded = dict(
        rows(db_path, "SELECT target_id, message_id FROM deliveries WHERE guild_id = ?", (big.id,))
    )
    assert recorded == {c.id: sim.messages(c)[0].id for c in channels}

    after = sim.requests[restart_from:]
    posted_again = sorted(
        c
        for c in unrecorded
        if any(r.method == "POST" and r.path == f"/channels/{c}/messages" for r in after)
    )
    assert not posted_again, _explain(sim, db_path, posted_again, restart_from)
    looked = {
        r.path.split("/")[2] for r in after if r.method == "GET" and r.path.endswith("/messages")
    }
    assert {str(c) for c in unrecorded} <= looked
    assert later.bot.delivery.stats.found_after_lease == len(unrecorded)
    assert sim.nonce_hits == nonce_hits
    # What went out only after the restart is ten minutes late, and says so.
    late = [m for m in sim.all_messages() if m.created_monotonic >= restarted_at]
    assert len(late) == len(never_posted)
    assert all("Posted late" in m.content for m in late)

    print(
        f"\nfault injection: disk full = {method}; errors met: {full_errors}\n"
        f"  posted during the {LOCK_SECONDS:.0f} s lock: {posted_during_lock} "
        f"({posted_at_lock} posted and {recorded_at_lock} recorded before it)\n"
        f"  backlog recorded {backlog_seconds:.2f} s after the release; a release made then "
        f"was announced {control_lateness:.2f} s after due; {recorded_after_release} more "
        f"recorded before the disk filled\n"
        f"  disk full for {full_seconds:.2f} s: {posted_during_full} posted, none recorded; "
        f"at the crash {len(unrecorded)} unrecorded, {len(never_posted)} never posted\n"
        f"  restart +10 min: {len(unrecorded)} found in history, {len(late)} posted late; "
        f"first run nonce hits {nonce_hits}; total {total_seconds:.1f} s"
    )


async def test_what_was_sent_while_the_disk_was_full_is_recorded_once_room_comes_back(
    sim: DiscordSimulator,
    small_disk: Path | None,
    tmp_path: Path,
) -> None:
    db_path = (small_disk or tmp_path) / "airdate.db"
    guild = sim.add_guild(name="Busy Server")
    channels = sim.add_channels(guild, 100, prefix="fan")
    await seed_fan_out(db_path, guild.id, [c.id for c in channels], timedelta(seconds=2))
    running = await start_bot(sim, db_path, policy=replace(FIRST_RUN, rate_per_second=20))
    try:
        await wait_until(lambda: sim.message_count >= 20, 10, "the fan-out to start")
        async with full_disk(running, small_disk) as method:
            await asyncio.sleep(0.3)
            posted_when_full, recorded_when_full = sim.message_count, _sent(db_path, guild.id)
            await asyncio.sleep(FULL_SECONDS - 0.3)
            assert _sent(db_path, guild.id) == recorded_when_full, f"{method} did not bite"
            posted_during_full = sim.message_count - posted_when_full
        # The records that failed were kept: once there is room, every send is recorded by
        # the same recorder over the same connection (on a real full disk, SQLite rolled
        # back each failed commit itself: the connection must not be left in a transaction).
        await wait_until(lambda: _sent(db_path, guild.id) == 100, 15, "every send recorded")
    finally:
        await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors
    assert posted_during_full > 0, "sending should go on while the disk is full"
    assert set(sim.created_per_channel().values()) == {1}
    assert sim.message_count == 100
    recorded = dict(
        rows(
            db_path, "SELECT target_id, message_id FROM deliveries WHERE guild_id = ?", (guild.id,)
        )
    )
    assert recorded == {c.id: sim.messages(c)[0].id for c in channels}
