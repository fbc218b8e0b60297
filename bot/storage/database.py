"""The one SQLite connection: pragmas, migrations and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any]


def _migrations() -> list[tuple[int, str]]:
    """Return the numbered migration scripts shipped with the package, in order."""
    folder = resources.files("bot.storage").joinpath("migrations")
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            scripts.append((number, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def _casefold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


class Database:
    """One aiosqlite connection shared by the whole bot.

    Coroutines sharing a connection share its transaction, so every unit of work, reads
    included, runs under one lock with explicit BEGIN/COMMIT.
    """

    def __init__(
        self, connection: aiosqlite.Connection, reader: aiosqlite.Connection | None = None
    ) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        # Reads go through a second connection: in WAL mode they never wait for a writer,
        # so autocomplete and listings stay instant while another process holds the write
        # lock (a backup, a `sqlite3` shell) and the writer waits out its busy timeout.
        self._reader = reader or connection
        self._read_lock = asyncio.Lock() if reader is not None else self._lock

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = 5000) -> Database:
        """Open (creating if needed) the database at `path` and migrate it."""
        in_memory = str(path) == ":memory:"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await _connect(path, busy_timeout_ms)
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        database = cls(connection)
        await database.migrate()
        if not in_memory:
            database = cls(connection, await _connect(path, busy_timeout_ms))
        return database

    async def close(self) -> None:
        async with self._lock:
            await self._connection.close()
        if self._reader is not self._connection:
            async with self._read_lock:
                await self._reader.close()

    async def migrate(self) -> int:
        """Apply migrations newer than `PRAGMA user_version`; return the version reached."""
        async with self._lock:
            cursor = await self._connection.execute("PRAGMA user_version")
            row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            for number, script in _migrations():
                if number <= version:
                    continue
                log.info("applying migration %04d", number)
                await self._connection.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
                version = number
            return version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run a unit of work atomically: committed on success, rolled back on error."""
        async with self._unit_of_work(self._connection, self._lock, "BEGIN IMMEDIATE") as tx:
            yield tx

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Transaction]:
        """Read a consistent view without taking SQLite's write lock."""
        async with self._unit_of_work(self._reader, self._read_lock, "BEGIN DEFERRED") as tx:
            yield tx

    @asynccontextmanager
    async def _unit_of_work(
        self, connection: aiosqlite.Connection, lock: asyncio.Lock, begin: str
    ) -> AsyncIterator[Transaction]:
        async with lock:
            try:
                await _finish(connection, begin)
            except asyncio.CancelledError:
                # BEGIN ran anyway: end that transaction before anyone else uses the connection.
                await _finish(connection, "ROLLBACK")
                raise
            try:
                yield Transaction(connection)
            except BaseException:
                await _finish(connection, "ROLLBACK")
                raise
            await _finish(connection, "COMMIT")


async def _connect(path: Path | str, busy_timeout_ms: int) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(str(path), isolation_level=None)
    connection.row_factory = aiosqlite.Row
    # SQLite's lower() folds ASCII only; searches match titles the way Python does.
    await connection.create_function("casefold", 1, _casefold, deterministic=True)
    await connection.execute("PRAGMA foreign_keys = ON")
    await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return connection


async def _finish(connection: aiosqlite.Connection, statement: str) -> None:
    """Run a transaction statement to completion even if the caller is cancelled meanwhile.

    aiosqlite runs statements on its own thread: cancelling the awaiting task does not
    stop one, so without this a cancelled BEGIN or COMMIT could leave the shared
    connection inside a transaction that nobody ends.
    """
    statement_done = asyncio.ensure_future(connection.execute(statement))
    try:
        await asyncio.shield(statement_done)
    except asyncio.CancelledError:
        await statement_done
        raise


class Transaction:
    """The statements of one transaction; handed out only by `Database.transaction`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self._connection.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; return the new row's id."""
        cursor = await self._connection.execute(sql, params)
        rowid = cursor.lastrowid
        if rowid is None:
            raise RuntimeError("INSERT produced no row id")
        return rowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per row; return the number of rows changed in all."""
        cursor = await self._connection.executemany(sql, rows)
        return max(cursor.rowcount, 0)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        cursor = await self._connection.execute(sql, params)
        return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        cursor = await self._connection.execute(sql, params)
        return await cursor.fetchone()
