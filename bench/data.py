"""Deterministic synthetic data for the scale benchmarks, written straight into SQLite.

Every database is first opened (and so migrated) by the bot's own `Database.open`, so the
schema, indexes and triggers are the real ones; rows then go in with plain sqlite3
`executemany` in large transactions, which is what makes a million rows take seconds.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.storage.database import Database

#: The guild every synthetic row belongs to. A snowflake in 2035, so the simulator can be
#: told to hand this very id to its first guild (its own ids are "now").
GUILD_ID = ((2_051_222_400_000 - 1_420_070_400_000) << 22) + 1
#: The guild's announcement channel.
CHANNEL_ID = GUILD_ID + 10
#: Channels of the ordinary pending rows: a few follows' worth.
FOLLOW_CHANNELS = tuple(GUILD_ID + 100 + i for i in range(5))
#: Burst rows each go to their own channel, so each is one message (no combining).
BURST_CHANNEL_BASE = GUILD_ID + 1_000_000
SEED = 20_240_703
DAY = 86_400
CHUNK = 50_000


def _migrated(path: Path) -> None:
    async def run() -> None:
        database = await Database.open(path)
        await database.close()

    asyncio.run(run())


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -200000")
    return connection


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _settings(connection: sqlite3.Connection, now: int) -> None:
    connection.execute(
        "INSERT INTO guild_settings (guild_id, channel_id, offsets, timezone, updated_at) "
        "VALUES (?, ?, '604800 86400 3600', 'UTC', ?)",
        (GUILD_ID, CHANNEL_ID, now),
    )


# ---------------------------------------------------------------------- the outbox


def build_outbox(path: Path, pending: int, *, burst: int, sending: int, seed: int = SEED) -> float:
    """Write a guild owing `pending` deliveries; return the seconds it took.

    - ids 1..`burst` are announcements each to its own channel (the dispatch bench moves
      their due time to one whole second just before it starts the engine);
    - the rest are reminders and announcements to a few channels, due over the next year;
    - `sending` more rows hold leases that expired a minute ago (start-up recovers them).
    Releases carry 10 rows each (5 channels x announcement + 1 h reminder).
    """
    started = time.perf_counter()
    _migrated(path)
    rng = random.Random(seed)
    now = int(time.time())
    connection = _connect(path)
    connection.execute("BEGIN")
    _settings(connection, now)
    burst_releases = max(1, -(-burst // 10))
    releases = burst_releases + max(1, -(-(pending - burst + sending) // 10))
    shows = max(1, releases // 10)
    connection.executemany(
        "INSERT INTO shows (id, guild_id, title, title_key, created_at) VALUES (?, ?, ?, ?, ?)",
        ((i, GUILD_ID, f"Show {i}", f"show {i}", now) for i in range(1, shows + 1)),
    )
    starts = [now + 2 * DAY + rng.randrange(365 * DAY) for _ in range(releases)]
    connection.executemany(
        "INSERT INTO releases (id, show_id, guild_id, label, starts_at, precision, timezone, "
        "created_at, updated_at, revised_at) VALUES (?, ?, ?, ?, ?, 'exact', 'UTC', ?, ?, ?)",
        (
            (i, (i - 1) % shows + 1, GUILD_ID, f"Episode {i}", starts[i - 1], now, now, now - DAY)
            for i in range(1, releases + 1)
        ),
    )
    sql = (
        "INSERT INTO deliveries (id, release_id, guild_id, kind, offset_seconds, revision, "
        "target_id, due_at, status, lease_expires_at, attempts, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)"
    )

    def rows() -> Iterator[tuple[object, ...]]:
        # Burst rows: release r gets 10 of them, each to its own channel.
        for i in range(burst):
            release = i // 10 + 1
            yield (
                i + 1,
                release,
                GUILD_ID,
                "announcement",
                0,
                BURST_CHANNEL_BASE + i,
                now + DAY,
                "pending",
                None,
                0,
                now,
            )
        first = burst_releases + 1
        count = pending - burst
        for j in range(count + sending):
            release = first + j // 10
            slot = j % 10
            kind, offset = ("announcement", 0) if slot < 5 else ("reminder", 3600)
            due = starts[release - 1] - offset
            leased = j >= count
            yield (
                burst + j + 1,
                release,
                GUILD_ID,
                kind,
                offset,
                FOLLOW_CHANNELS[slot % 5],
                now - 120 if leased else due,
                "sending" if leased else "pending",
                now - 60 if leased else None,
                1 if leased else 0,
                now,
            )

    for chunk in _chunks(rows()):
        connection.executemany(sql, chunk)
    # The audience those rows are owed to (a claim sends only what is owed): each burst
    # channel follows its release's show, the few ordinary channels follow everything.
    connection.executemany(
        "INSERT INTO follows (guild_id, channel_id, show_id, created_at, since) "
        "VALUES (?, ?, ?, ?, ?)",
        ((GUILD_ID, BURST_CHANNEL_BASE + i, (i // 10) % shows + 1, now, now) for i in range(burst)),
    )
    connection.executemany(
        "INSERT INTO follows (guild_id, channel_id, show_id, created_at, since) "
        "VALUES (?, ?, NULL, ?, ?)",
        ((GUILD_ID, channel, now, now) for channel in FOLLOW_CHANNELS),
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------------- the catalog

_ONSETS = ["", "k", "s", "t", "n", "h", "m", "r", "y", "g", "z", "d", "b", "sh", "ch", "ts"]
_VOWELS = ["a", "i", "u", "e", "o"]
_ENGLISH = (  # noqa: SIM905 (a sentence of words reads better than a list)
    "the of and no love sky blue war world hero academy girl boy knight dragon magic "
    "school days night city star dream last first spirit sword king queen demon ghost "
    "summer winter spring fall journey tale legend code chronicle garden ocean fire ice "
    "shadow light moon sun heart song lost eternal hidden secret island tower road"
).split()


def word_list(count: int = 3000, seed: int = SEED) -> list[str]:
    """Made-up romanised words plus a few English ones, like anime titles are made of."""
    rng = random.Random(seed)
    words = set(_ENGLISH)
    while len(words) < count:
        syllables = rng.choice((2, 2, 3, 3, 4))
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)))
    return sorted(words)


def make_titles(count: int, seed: int = SEED) -> list[str]:
    """`count` distinct titles of 1 to 4 words (capitalised; a few with punctuation)."""
    rng = random.Random(seed + 1)
    words = word_list(seed=seed)
    titles: list[str] = []
    seen: set[str] = set()
    while len(titles) < count:
        n = rng.choice((1, 2, 2, 3, 3, 3, 4))
        title = " ".join(rng.choice(words).capitalize() for _ in range(n))
        if rng.random() < 0.05:
            title += rng.choice((":", "!", "?", " 2", " II", " Zero"))
        if title.casefold() in seen:
            continue
        seen.add(title.casefold())
        titles.append(title)
    return titles


def build_catalog(
    path: Path, shows: int, releases: int, *, seed: int = SEED
) -> tuple[float, list[str]]:
    """Write one guild with `shows` shows and `releases` releases; return (seconds, titles).

    Releases are "Episode N" (a few "Special" or "Movie"), spread over the next 2 years;
    about 8 % are past, 3 % TBA and 3 % cancelled.
    """
    started = time.perf_counter()
    _migrated(path)
    rng = random.Random(seed + 2)
    now = int(time.time())
    titles = make_titles(shows, seed)
    connection = _connect(path)
    connection.execute("BEGIN")
    _settings(connection, now)
    connection.executemany(
        "INSERT INTO shows (id, guild_id, title, title_key, created_at) VALUES (?, ?, ?, ?, ?)",
        (
            (i + 1, GUILD_ID, title, " ".join(title.casefold().split()), now)
            for i, title in enumerate(titles)
        ),
    )
    per_show = releases // shows

    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(releases):
            show = i % shows + 1
            episode = i // shows + 1 if i // shows < per_show else per_show + 1
            roll = rng.random()
            label = "Special" if roll < 0.01 else "Movie" if roll < 0.015 else f"Episode {episode}"
            when = rng.random()
            if when < 0.03:
                starts, precision = None, "tba"
            elif when < 0.11:
                starts, precision = now - rng.randrange(1, 365 * DAY), "exact"
            else:
                starts, precision = now + rng.randrange(1, 730 * DAY), "exact"
            status = "cancelled" if rng.random() < 0.03 else "scheduled"
            yield (i + 1, show, GUILD_ID, label, starts, precision, status, now, now)

    for chunk in _chunks(rows()):
        connection.executemany(
            "INSERT INTO releases (id, show_id, guild_id, label, starts_at, precision, "
            "timezone, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'UTC', ?, ?, ?)",
            chunk,
        )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return time.perf_counter() - started, titles
