"""Start-up settings: what a moderator's .env may hold, and what the bot says when it is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Secret, load_config

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secret-part-of-the-token_xyz"
GUILD_ID = "123456789012345678"


def env(**values: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, **values}


# environment, the configuration it gives
VALID = [
    pytest.param(env(), Config(token=None), id="defaults"),
    pytest.param(
        env(
            DATABASE_PATH="/var/lib/airdate/airdate.db",
            DEV_GUILD_ID=GUILD_ID,
            LOG_LEVEL="debug",
            DISCORD_API_BASE="http://127.0.0.1:8080/api/v10/",
            DISCORD_GATEWAY_URL="ws://127.0.0.1:8080/gateway",
            NOTICE_DEBOUNCE_SECONDS="0",
        ),
        Config(
            token=None,
            database_path=Path("/var/lib/airdate/airdate.db"),
            dev_guild_id=int(GUILD_ID),
            log_level="DEBUG",
            api_base="http://127.0.0.1:8080/api/v10",
            gateway_url="ws://127.0.0.1:8080/gateway",
            notice_debounce=timedelta(0),
        ),
        id="everything-set",
    ),
    pytest.param(
        env(
            DATABASE_PATH="",
            DEV_GUILD_ID="",
            LOG_LEVEL="",
            DISCORD_API_BASE="",
            DISCORD_GATEWAY_URL="  ",
            NOTICE_DEBOUNCE_SECONDS="",
        ),
        Config(token=None),
        id="empty-counts-as-unset",
    ),
    pytest.param(
        env(
            DISCORD_API_BASE="https://proxy.example/discord/api/v10",
            DISCORD_GATEWAY_URL="wss://gw.example",
        ),
        Config(
            token=None,
            api_base="https://proxy.example/discord/api/v10",
            gateway_url="wss://gw.example",
        ),
        id="secure-urls",
    ),
    pytest.param(
        env(NOTICE_DEBOUNCE_SECONDS="86400", LOG_LEVEL=" Warning "),
        Config(token=None, notice_debounce=timedelta(days=1), log_level="WARNING"),
        id="largest-debounce",
    ),
    pytest.param(
        env(
            ANILIST_API_URL="http://127.0.0.1:8765/",
            ANILIST_SYNC_INTERVAL="10s",
            ANILIST_WINDOW="3d",
            ANILIST_REQUESTS_PER_MINUTE="90",
        ),
        Config(
            token=None,
            anilist_api_url="http://127.0.0.1:8765",
            anilist_sync_interval=timedelta(seconds=10),
            anilist_window=timedelta(days=3),
            anilist_requests_per_minute=90,
        ),
        id="anilist-stand-in-fastest",
    ),
    pytest.param(
        env(
            ANILIST_API_URL="",
            ANILIST_SYNC_INTERVAL="",
            ANILIST_WINDOW=" ",
            ANILIST_REQUESTS_PER_MINUTE="",
        ),
        Config(
            token=None,
            anilist_api_url="https://graphql.anilist.co",
            anilist_sync_interval=timedelta(minutes=30),
            anilist_window=timedelta(days=14),
            anilist_requests_per_minute=30,
        ),
        id="anilist-defaults",
    ),
    pytest.param(
        env(ANILIST_SYNC_INTERVAL="2H", ANILIST_REQUESTS_PER_MINUTE="1"),
        Config(token=None, anilist_sync_interval=timedelta(hours=2), anilist_requests_per_minute=1),
        id="anilist-slowest-budget",
    ),
    pytest.param(
        env(CALENDAR_HTTP_PORT="8080"),
        Config(token=None, calendar_http_port=8080),
        id="calendar-feed-on-loopback",
    ),
    pytest.param(
        env(
            CALENDAR_HTTP_PORT="65535",
            CALENDAR_HTTP_HOST="0.0.0.0",
            CALENDAR_BASE_URL="https://airdate.example.org/feeds/",
        ),
        Config(
            token=None,
            calendar_http_port=65535,
            calendar_http_host="0.0.0.0",
            calendar_base_url="https://airdate.example.org/feeds",
        ),
        id="calendar-feed-behind-a-proxy",
    ),
    pytest.param(
        env(CALENDAR_HTTP_PORT="", CALENDAR_HTTP_HOST=" ", CALENDAR_BASE_URL=""),
        Config(token=None),
        id="calendar-feed-off",
    ),
    pytest.param(
        env(EVENTS_PER_GUILD="90"), Config(token=None, events_per_guild=90), id="events-90"
    ),
    pytest.param(env(EVENTS_PER_GUILD=" "), Config(token=None), id="events-default-20"),
]


def without_token(config: Config) -> tuple[object, ...]:
    return (
        config.database_path,
        config.dev_guild_id,
        config.log_level,
        config.api_base,
        config.gateway_url,
        config.notice_debounce,
        config.anilist_api_url,
        config.anilist_sync_interval,
        config.anilist_window,
        config.anilist_requests_per_minute,
        config.calendar_http_port,
        config.calendar_http_host,
        config.calendar_base_url,
    )


@pytest.mark.parametrize(("environment", "expected"), VALID)
def test_valid_environments(environment: dict[str, str], expected: Config) -> None:
    config = load_config(environment)
    assert without_token(config) == without_token(expected)
    assert config.token is not None and config.token.reveal() == TOKEN


def test_a_database_path_under_home_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/moderator")
    config = load_config(env(DATABASE_PATH="~/airdate/airdate.db"))
    assert config.database_path == Path("/home/moderator/airdate/airdate.db")


def test_a_missing_api_version_is_suggested() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env(DISCORD_API_BASE="http://127.0.0.1:8080/api"))
    assert "http://127.0.0.1:8080/api/v10" in str(caught.value)


def test_the_token_may_be_left_out_when_not_required() -> None:
    assert load_config({}, require_token=False).token is None
    assert load_config({"DISCORD_TOKEN": ""}, require_token=False).token is None


# environment, the variable the error must name
INVALID = [
    pytest.param({}, "DISCORD_TOKEN", id="missing-token"),
    pytest.param({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN", id="empty-token"),
    pytest.param({"DISCORD_TOKEN": "   "}, "DISCORD_TOKEN", id="blank-token"),
    pytest.param({"DISCORD_TOKEN": "abc def ghi jkl mno pqr"}, "DISCORD_TOKEN", id="token-spaces"),
    pytest.param({"DISCORD_TOKEN": "short"}, "DISCORD_TOKEN", id="token-too-short"),
    pytest.param(env(DEV_GUILD_ID="my-server"), "DEV_GUILD_ID", id="guild-not-numeric"),
    pytest.param(env(DEV_GUILD_ID="12345"), "DEV_GUILD_ID", id="guild-too-short"),
    pytest.param(env(DEV_GUILD_ID="-123456789012345678"), "DEV_GUILD_ID", id="guild-negative"),
    pytest.param(env(LOG_LEVEL="LOUD"), "LOG_LEVEL", id="log-level-bogus"),
    pytest.param(env(NOTICE_DEBOUNCE_SECONDS="abc"), "NOTICE_DEBOUNCE_SECONDS", id="debounce-abc"),
    pytest.param(env(NOTICE_DEBOUNCE_SECONDS="-1"), "NOTICE_DEBOUNCE_SECONDS", id="debounce-neg"),
    pytest.param(env(NOTICE_DEBOUNCE_SECONDS="1.5"), "NOTICE_DEBOUNCE_SECONDS", id="debounce-frac"),
    pytest.param(
        env(NOTICE_DEBOUNCE_SECONDS="86401"), "NOTICE_DEBOUNCE_SECONDS", id="debounce-over-a-day"
    ),
    pytest.param(env(DISCORD_API_BASE="ftp://x"), "DISCORD_API_BASE", id="api-base-ftp"),
    pytest.param(env(DISCORD_API_BASE="localhost:8080"), "DISCORD_API_BASE", id="api-no-scheme"),
    pytest.param(
        env(DISCORD_API_BASE="http://127.0.0.1:8080"), "DISCORD_API_BASE", id="api-no-version"
    ),
    pytest.param(
        env(DISCORD_API_BASE="https://discord.com/api/v9"), "DISCORD_API_BASE", id="api-old-version"
    ),
    pytest.param(env(DISCORD_GATEWAY_URL="http://x"), "DISCORD_GATEWAY_URL", id="gateway-http"),
    pytest.param(env(DISCORD_GATEWAY_URL="ws://"), "DISCORD_GATEWAY_URL", id="gateway-no-host"),
    # Characters that str.isdigit() accepts but int() does not must still get the one-line
    # message, not a traceback.
    pytest.param(
        env(NOTICE_DEBOUNCE_SECONDS="²"),
        "NOTICE_DEBOUNCE_SECONDS",
        id="debounce-superscript-digit",
    ),
    pytest.param(
        env(DEV_GUILD_ID="²" * 18),
        "DEV_GUILD_ID",
        id="guild-superscript-digits",
    ),
    pytest.param(env(ANILIST_API_URL="graphql.anilist.co"), "ANILIST_API_URL", id="anilist-url"),
    pytest.param(env(ANILIST_API_URL="ftp://x"), "ANILIST_API_URL", id="anilist-url-ftp"),
    pytest.param(env(ANILIST_SYNC_INTERVAL="9s"), "ANILIST_SYNC_INTERVAL", id="sync-under-10s"),
    pytest.param(env(ANILIST_SYNC_INTERVAL="30"), "ANILIST_SYNC_INTERVAL", id="sync-no-unit"),
    pytest.param(env(ANILIST_SYNC_INTERVAL="1w"), "ANILIST_SYNC_INTERVAL", id="sync-weeks"),
    pytest.param(env(ANILIST_SYNC_INTERVAL="0s"), "ANILIST_SYNC_INTERVAL", id="sync-zero"),
    pytest.param(env(ANILIST_WINDOW="two weeks"), "ANILIST_WINDOW", id="window-words"),
    pytest.param(env(ANILIST_WINDOW="-1d"), "ANILIST_WINDOW", id="window-negative"),
    pytest.param(env(ANILIST_WINDOW="400d"), "ANILIST_WINDOW", id="window-over-a-year"),
    pytest.param(
        env(ANILIST_REQUESTS_PER_MINUTE="91"), "ANILIST_REQUESTS_PER_MINUTE", id="budget-over-90"
    ),
    pytest.param(
        env(ANILIST_REQUESTS_PER_MINUTE="0"), "ANILIST_REQUESTS_PER_MINUTE", id="budget-zero"
    ),
    pytest.param(
        env(ANILIST_REQUESTS_PER_MINUTE="30/min"), "ANILIST_REQUESTS_PER_MINUTE", id="budget-unit"
    ),
    pytest.param(env(CALENDAR_HTTP_PORT="http"), "CALENDAR_HTTP_PORT", id="port-words"),
    pytest.param(env(CALENDAR_HTTP_PORT="0"), "CALENDAR_HTTP_PORT", id="port-zero"),
    pytest.param(env(CALENDAR_HTTP_PORT="65536"), "CALENDAR_HTTP_PORT", id="port-too-big"),
    pytest.param(env(CALENDAR_HTTP_PORT="-80"), "CALENDAR_HTTP_PORT", id="port-negative"),
    pytest.param(
        env(CALENDAR_HTTP_PORT="8080", CALENDAR_HTTP_HOST="my host"),
        "CALENDAR_HTTP_HOST",
        id="host-with-space",
    ),
    pytest.param(
        env(CALENDAR_HTTP_PORT="8080", CALENDAR_HTTP_HOST="http://0.0.0.0"),
        "CALENDAR_HTTP_HOST",
        id="host-as-url",
    ),
    pytest.param(
        env(CALENDAR_HTTP_PORT="8080", CALENDAR_BASE_URL="airdate.example.org"),
        "CALENDAR_BASE_URL",
        id="base-url-no-scheme",
    ),
    pytest.param(
        env(CALENDAR_HTTP_PORT="8080", CALENDAR_BASE_URL="https://x.example/?a=1"),
        "CALENDAR_BASE_URL",
        id="base-url-query",
    ),
    pytest.param(
        env(CALENDAR_BASE_URL="https://airdate.example.org"),
        "CALENDAR_BASE_URL",
        id="base-url-without-port",
    ),
    pytest.param(env(EVENTS_PER_GUILD="91"), "EVENTS_PER_GUILD", id="events-over-90"),
    pytest.param(env(EVENTS_PER_GUILD="0"), "EVENTS_PER_GUILD", id="events-zero"),
    pytest.param(env(EVENTS_PER_GUILD="twenty"), "EVENTS_PER_GUILD", id="events-words"),
]


@pytest.mark.parametrize(("environment", "variable"), INVALID)
def test_invalid_environments_name_the_variable(environment: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environment)
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    token = environment.get("DISCORD_TOKEN", "").strip()
    if token:
        assert token not in message


def test_the_config_never_shows_its_token() -> None:
    config = load_config(env(DEV_GUILD_ID=GUILD_ID))
    assert config.token is not None
    for shown in (repr(config), str(config), f"{config}", str(config.token), repr(config.token)):
        assert TOKEN not in shown
    assert GUILD_ID in repr(config)  # the repr is still useful


@pytest.mark.parametrize("token", [TOKEN, "abc def ghi jkl mno pqr"])
def test_a_secret_never_shows_itself(token: str) -> None:
    secret = Secret(token)
    for shown in (repr(secret), str(secret), f"{secret}", repr([secret]), str({"t": secret})):
        assert token not in shown
    assert secret.reveal() == token


# --- python -m bot --------------------------------------------------------------------


def run_bot(cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], variable: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout


def test_starting_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    cwd = tmp_path / "run"
    cwd.mkdir()
    assert_one_line_naming(run_bot(cwd, tmp_path), "DISCORD_TOKEN")


def test_a_malformed_setting_in_dotenv_is_named(tmp_path: Path) -> None:
    cwd = tmp_path / "run"
    cwd.mkdir()
    (cwd / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDEV_GUILD_ID=my-server\n")
    assert_one_line_naming(run_bot(cwd, tmp_path), "DEV_GUILD_ID")
