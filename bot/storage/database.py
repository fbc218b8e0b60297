"""The one SQLite connection: pragmas, migrations and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any]

#: What every SQLite database file starts with.
SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every Airdate database has had since its first migration.
AIRDATE_TABLES = frozenset({"meta", "shows", "releases", "deliveries"})
_FIX_FOREIGN = (
    "it was left untouched; set DATABASE_PATH to another file, or restore Airdate's "
    "database from a backup."
)
_FIX_WRITABLE = "make it writable for this user, or set DATABASE_PATH to a writable place."


class UnusableDatabase(Exception):
    """The file at the database path cannot serve as Airdate's database; says why and the fix."""


def _migrations() -> list[tuple[int, str]]:
    """Return the numbered migration scripts shipped with the package, in order."""
    folder = resources.files("bot.storage").joinpath("migrations")
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            scripts.append((number, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def newest_migration() -> int:
    """Return the schema version this Airdate migrates databases up to."""
    return max(number for number, _ in _migrations())


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
        """Open (creating if needed) Airdate's database at `path` and migrate it.

        Raises UnusableDatabase, changing nothing, for a file that is not Airdate's
        database (another program's, not SQLite at all), one written by a newer Airdate,
        or a place it cannot be written.
        """
        in_memory = str(path) == ":memory:"
        if not in_memory:
            await asyncio.to_thread(_check_file, Path(path))
        try:
            connection = await _connect(path, busy_timeout_ms)
        except sqlite3.Error as error:
            raise _unusable(path, error) from error
        try:
            if not in_memory:
                await _check_schema(connection, Path(path))
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            database = cls(connection)
            await database.migrate()
            if not in_memory:
                database = cls(connection, await _connect(path, busy_timeout_ms))
        except sqlite3.Error as error:
            await connection.close()
            raise _unusable(path, error) from error
        except BaseException:
            await connection.close()
            raise
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


def _check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot hold Airdate's database."""
    try:
        info = path.stat()
    except FileNotFoundError:
        _check_new_file(path)
        return
    except OSError as error:
        raise UnusableDatabase(
            f"DATABASE_PATH {path} cannot be reached ({error.strerror}): {_FIX_WRITABLE}"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is a folder, not a file: set it to a file in it, such as "
            f"{path / 'airdate.db'}."
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is not a regular file (it is a {_file_kind(info.st_mode)}): "
            "set it to a file path, such as data/airdate.db."
        )
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise UnusableDatabase(
            f"DATABASE_PATH {path} cannot be read ({error.strerror}): make it readable and "
            "writable for this user, or set DATABASE_PATH to another file."
        ) from None
    if header and not header.startswith(SQLITE_HEADER):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is not a SQLite database ({_contents(header)}): {_FIX_FOREIGN}"
        )
    if not os.access(path, os.W_OK):
        raise UnusableDatabase(f"DATABASE_PATH {path} is read-only: {_FIX_WRITABLE}")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is in a read-only folder ({path.parent}), where SQLite "
            f"cannot keep its journal: {_FIX_WRITABLE}"
        )


def _check_new_file(path: Path) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is inside something that is not a folder: set it to a "
            "file path in a folder, such as data/airdate.db."
        ) from None
    except OSError as error:
        raise UnusableDatabase(
            f"DATABASE_PATH {path}: cannot create the folder {folder} ({error.strerror}): "
            f"{_FIX_WRITABLE}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is in a read-only folder ({folder}), so it cannot be "
            f"created: {_FIX_WRITABLE}"
        )


def _file_kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _contents(header: bytes) -> str:
    # The first 100 bytes may end inside a character: only a cut at the end is forgiven.
    text = header.decode("utf-8", "replace").rstrip("\ufffd")
    if "\ufffd" not in text and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "it holds text"
    return "it holds other data"


async def _check_schema(connection: aiosqlite.Connection, path: Path) -> None:
    """Refuse, with reads only, another program's database or a newer Airdate's."""
    cursor = await connection.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    cursor = await connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
        "ESCAPE '~' ORDER BY name"
    )
    tables = [str(row[0]) for row in await cursor.fetchall()]
    if not tables and version == 0:
        return  # a new, empty database
    if version == 0 or not AIRDATE_TABLES.issubset(tables):
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise UnusableDatabase(
            f"DATABASE_PATH {path} is not Airdate's database but another program's (tables "
            f"{shown or 'none'}, schema version {version}): {_FIX_FOREIGN}"
        )
    newest = newest_migration()
    if version > newest:
        raise UnusableDatabase(
            f"DATABASE_PATH {path} was written by a newer Airdate (schema version {version}; "
            f"this one knows up to {newest}): upgrade Airdate, or restore a backup made "
            "before the upgrade."
        )


def _unusable(path: Path | str, error: sqlite3.Error) -> UnusableDatabase:
    """Say what an error SQLite gave while opening the database means for the operator."""
    text = str(error).lower()
    if "not a database" in text:
        return UnusableDatabase(
            f"DATABASE_PATH {path} is not a SQLite database (or is encrypted): {_FIX_FOREIGN}"
        )
    if "malformed" in text or "corrupt" in text:
        return UnusableDatabase(
            f"DATABASE_PATH {path} is damaged ({error}): restore it from a backup, or set "
            "DATABASE_PATH to a new file."
        )
    if "locked" in text or "busy" in text:
        return UnusableDatabase(
            f"DATABASE_PATH {path} is locked by another program ({error}): close it (a "
            "backup, a sqlite3 shell, another Airdate) and start Airdate again."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return UnusableDatabase(
            f"DATABASE_PATH {path} cannot be written ({error}): {_FIX_WRITABLE}"
        )
    return UnusableDatabase(
        f"DATABASE_PATH {path} could not be opened ({error}): restore it from a backup, or "
        "set DATABASE_PATH to another file."
    )


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
