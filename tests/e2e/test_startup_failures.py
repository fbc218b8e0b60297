"""`python -m bot` set up wrong stops in one line naming the setting, never a traceback or a hang.

Each test runs the real entry point as its own process, with LOG_LEVEL=WARNING (a quiet
production run: a healthy start prints nothing, see the control), and reads everything it
printed and its exit status.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yarl

from bot.config import DiscordUnreachable
from bot.main import check_gateway
from bot.storage.database import Database, newest_migration
from tests.simulator import DiscordSimulator

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secret-part-of-the-token_xyz"
#: Longer than any refusal takes (about a second), far shorter than a hang.
EXIT_WITHIN_SECONDS = 30.0
#: Drop what lets root write anywhere, so file permissions apply to a test run as root.
WITHOUT_ROOT_POWERS = (
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
)


@dataclass(frozen=True)
class Exited:
    code: int
    output: str
    seconds: float


def closed_port() -> int:
    """Return a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings(tmp_path: Path, **values: str) -> dict[str, str]:
    """A moderator's settings: a token, a database in `tmp_path`, Discord out of reach."""
    return {
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(tmp_path / "data" / "airdate.db"),
        "DISCORD_API_BASE": f"http://127.0.0.1:{closed_port()}/api/v10",
        "LOG_LEVEL": "WARNING",
        **values,
    }


def on(sim: DiscordSimulator, tmp_path: Path, **values: str) -> dict[str, str]:
    discord = {"DISCORD_API_BASE": sim.api_base, "DISCORD_GATEWAY_URL": sim.gateway_url}
    return settings(tmp_path, **{**discord, **values})


async def start(
    tmp_path: Path, variables: Mapping[str, str], *, as_plain_user: bool = False
) -> asyncio.subprocess.Process:
    cwd = tmp_path / "run"
    cwd.mkdir(exist_ok=True)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        **variables,
    }
    command = [sys.executable, "-m", "bot"]
    if as_plain_user and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("run as root, which ignores file permissions, and setpriv is missing")
        command = [*WITHOUT_ROOT_POWERS, *command]
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def airdate(
    tmp_path: Path, variables: Mapping[str, str], *, as_plain_user: bool = False
) -> Exited:
    """Run `python -m bot` until it exits; fail if it is still running after 30 s."""
    started = time.monotonic()
    process = await start(tmp_path, variables, as_plain_user=as_plain_user)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), EXIT_WITHIN_SECONDS)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        pytest.fail(f"still running after {EXIT_WITHIN_SECONDS} s: {output.decode()}")
    assert process.returncode is not None
    return Exited(process.returncode, output.decode(), time.monotonic() - started)


def the_line(exited: Exited, code: int, setting: str) -> str:
    """Assert the process said one line naming `setting` and exited with `code`; return it."""
    assert "Traceback" not in exited.output, exited.output
    assert TOKEN not in exited.output and TOKEN[:24] not in exited.output
    lines = exited.output.splitlines()
    assert len(lines) == 1, exited.output
    assert exited.code == code, exited.output
    assert lines[0].startswith("airdate: "), lines[0]
    assert setting in lines[0], lines[0]
    return lines[0]


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


# --- what DATABASE_PATH points at ----------------------------------------------------


def foreign_database(path: Path, user_version: int, *tables: str) -> None:
    with sqlite3.connect(path) as connection:
        for table in tables:
            connection.execute(f"CREATE TABLE {table} (key TEXT PRIMARY KEY, value TEXT)")
            connection.execute(f"INSERT INTO {table} VALUES ('owner', 'someone else')")
        connection.execute(f"PRAGMA user_version = {user_version}")
    connection.close()


FOREIGN = [
    pytest.param(
        lambda p: p.write_text("host=db.example\nport=5432\n"), "it holds text", id="text-file"
    ),
    pytest.param(
        lambda p: p.write_bytes(random.Random(8).randbytes(8192)),
        "it holds other data",
        id="random-bytes",
    ),
    pytest.param(
        lambda p: foreign_database(p, 0, "users", "orders"), "another program", id="other-tables"
    ),
    pytest.param(
        lambda p: foreign_database(p, 3, "meta", "settings"),
        "another program",
        id="other-meta-and-user-version",
    ),
]


@pytest.mark.parametrize(("make", "said"), FOREIGN)
async def test_a_file_that_is_not_airdates_database_is_refused_and_left_untouched(
    tmp_path: Path, data: Path, make: Callable[[Path], object], said: str
) -> None:
    make(data / "airdate.db")
    before = files_in(data)

    line = the_line(await airdate(tmp_path, settings(tmp_path)), 2, "DATABASE_PATH")

    assert said in line
    assert "another file" in line and "backup" in line
    assert files_in(data) == before  # not converted to WAL, no journal left beside it


async def test_a_database_written_by_a_newer_airdate_is_refused(tmp_path: Path, data: Path) -> None:
    database = await Database.open(data / "airdate.db")
    await database.close()
    with sqlite3.connect(data / "airdate.db") as connection:
        connection.execute(f"PRAGMA user_version = {newest_migration() + 1}")
    connection.close()
    before = files_in(data)

    line = the_line(await airdate(tmp_path, settings(tmp_path)), 2, "DATABASE_PATH")

    assert "newer Airdate" in line and "upgrade Airdate" in line and "backup" in line
    assert files_in(data) == before


def read_only_folder(data: Path) -> Path:
    data.chmod(0o555)
    return data / "airdate.db"


def read_only_file(data: Path) -> Path:
    (data / "airdate.db").write_bytes(b"")
    (data / "airdate.db").chmod(0o444)
    return data / "airdate.db"


def writable_again(folder: Path) -> None:
    folder.chmod(0o755)


def inside_read_only_folder(data: Path) -> Path:
    data.chmod(0o555)
    return data / "new" / "airdate.db"


@pytest.mark.parametrize(
    "place", [read_only_folder, read_only_file, inside_read_only_folder], ids=lambda f: f.__name__
)
async def test_a_database_path_that_cannot_be_written_is_named(
    tmp_path: Path, data: Path, place: Callable[[Path], Path]
) -> None:
    path = place(data)
    try:
        exited = await airdate(
            tmp_path, settings(tmp_path, DATABASE_PATH=str(path)), as_plain_user=True
        )
    finally:
        writable_again(data)
    line = the_line(exited, 2, "DATABASE_PATH")
    assert "writable" in line


@pytest.mark.parametrize("kind", ["folder", "device"])
async def test_a_database_path_that_is_not_a_file_is_named(
    tmp_path: Path, data: Path, kind: str
) -> None:
    path = data if kind == "folder" else Path(os.devnull)

    line = the_line(
        await airdate(tmp_path, settings(tmp_path, DATABASE_PATH=str(path))), 2, "DATABASE_PATH"
    )

    assert ("is a folder" in line) if kind == "folder" else ("not a regular file" in line)


async def test_a_database_path_under_home_is_made_in_home(tmp_path: Path) -> None:
    variables = settings(tmp_path, DATABASE_PATH="~/airdate/airdate.db")

    exited = await airdate(tmp_path, variables)

    # It got as far as Discord (out of reach here), with its database in the home folder.
    the_line(exited, 1, "DISCORD_API_BASE")
    assert (tmp_path / "home" / "airdate" / "airdate.db").is_file()
    assert not (tmp_path / "run" / "~").exists()


# --- reaching Discord ----------------------------------------------------------------


async def test_an_api_base_without_the_api_version_is_a_setting_error(tmp_path: Path) -> None:
    variables = settings(tmp_path, DISCORD_API_BASE="http://127.0.0.1:8080")

    line = the_line(await airdate(tmp_path, variables), 2, "DISCORD_API_BASE")

    assert "http://127.0.0.1:8080/api/v10" in line  # what to type instead


async def test_an_unreachable_api_is_named(tmp_path: Path) -> None:
    line = the_line(await airdate(tmp_path, settings(tmp_path)), 1, "DISCORD_API_BASE")
    assert "cannot reach Discord" in line


async def test_a_rejected_token_is_named_and_not_shown(
    sim: DiscordSimulator, tmp_path: Path
) -> None:
    sim.fail_next("GET", r"/users/@me$", "status", 401, 0)

    line = the_line(await airdate(tmp_path, on(sim, tmp_path)), 2, "DISCORD_TOKEN")

    assert "Reset Token" in line


async def test_an_unreachable_gateway_is_named_at_once(
    sim: DiscordSimulator, tmp_path: Path
) -> None:
    variables = on(sim, tmp_path, DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{closed_port()}/gateway")

    exited = await airdate(tmp_path, variables)

    line = the_line(exited, 1, "DISCORD_GATEWAY_URL")
    assert "cannot reach the Discord gateway" in line
    assert exited.seconds < 10
    assert sim.gateway_identifies == 0


async def test_a_gateway_that_never_answers_is_given_up_on(tmp_path: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the connection, never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DiscordUnreachable) as caught:
            await check_gateway(yarl.URL(f"ws://127.0.0.1:{port}/gateway"), seconds=0.5)
    finally:
        server.close()
    assert "DISCORD_GATEWAY_URL" in str(caught.value)
    assert "did not answer within" in str(caught.value)


async def test_a_dev_guild_the_bot_is_not_in_is_named_and_nothing_is_synced(
    sim: DiscordSimulator, tmp_path: Path
) -> None:
    sim.add_guild(name="Anime Hub")
    elsewhere = "123456789012345678"

    exited = await airdate(tmp_path, on(sim, tmp_path, DEV_GUILD_ID=elsewhere))

    line = the_line(exited, 2, "DEV_GUILD_ID")
    assert elsewhere in line and "invite the bot" in line
    assert sim.gateway_identifies == 1  # noticed once READY said where the bot is
    assert sim.command_syncs == []


async def test_a_dev_guild_refusing_commands_is_named(
    sim: DiscordSimulator, tmp_path: Path
) -> None:
    guild = sim.add_guild(name="Anime Hub")
    sim.fail_next("PUT", r"/guilds/\d+/commands$", "status", 403, 50001)

    exited = await airdate(tmp_path, on(sim, tmp_path, DEV_GUILD_ID=str(guild.id)))

    line = the_line(exited, 2, "DEV_GUILD_ID")
    assert "applications.commands" in line


async def test_control_a_good_setup_starts_quietly_and_keeps_running(
    sim: DiscordSimulator, tmp_path: Path
) -> None:
    guild = sim.add_guild(name="Anime Hub")
    process = await start(tmp_path, on(sim, tmp_path, DEV_GUILD_ID=str(guild.id)))
    try:
        deadline = time.monotonic() + EXIT_WITHIN_SECONDS
        while ("guild", guild.id) not in sim.command_syncs:
            assert process.returncode is None, "exited although set up right"
            assert time.monotonic() < deadline, "never synced to the dev guild"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert process.returncode is None
    finally:
        process.terminate()
        output, _ = await process.communicate()
    assert output.decode() == ""


async def test_a_gateway_url_that_is_not_a_gateway_is_named(sim: DiscordSimulator) -> None:
    # The REST API's address where the gateway's should be: it answers, but not as a websocket.
    not_a_gateway = yarl.URL(sim.api_base.replace("http://", "ws://", 1))

    with pytest.raises(DiscordUnreachable) as caught:
        await check_gateway(not_a_gateway, seconds=5)

    assert "DISCORD_GATEWAY_URL" in str(caught.value)
    assert "not a websocket" in str(caught.value)
