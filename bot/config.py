"""Settings read once from the environment at start-up."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from bot.domain.durations import parse_duration
from bot.domain.errors import InvalidInput
from bot.domain.scheduled_events import MAX_EVENTS_PER_GUILD

#: ASCII digits only: str.isdigit() also accepts characters such as '²' that int() refuses.
_DIGITS = re.compile(r"[0-9]+")
#: The REST API version discord.py 2.7 speaks; DISCORD_API_BASE ends with it.
API_PATH = "/api/v10"
_API_SUFFIX = re.compile(r"/api(/v[0-9]*)?$")
#: AniList's GraphQL endpoint; ANILIST_API_URL points the bot at a local stand-in instead.
ANILIST_API_URL = "https://graphql.anilist.co"
#: AniList's nominal limit; the budget may be set lower, never higher.
ANILIST_MAX_REQUESTS_PER_MINUTE = 90
MIN_ANILIST_SYNC_INTERVAL = timedelta(seconds=10)
#: An address to listen on: a host name, an IPv4 address, or an IPv6 one.
_HOST = re.compile(r"[A-Za-z0-9.:-]+")


class StartupError(Exception):
    """Airdate cannot start as set up; the one-line message names the setting and the fix."""

    #: The process's exit status: 2 for what the operator must change, 1 for what may pass.
    exit_code = 2


class ConfigError(StartupError):
    """A setting that is missing or malformed; the message names it and the fix."""


class DiscordUnreachable(StartupError):
    """Discord (or what DISCORD_API_BASE / DISCORD_GATEWAY_URL name) did not answer."""

    exit_code = 1


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Config:
    token: Secret | None = field(repr=False)
    database_path: Path = Path("data/airdate.db")
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    api_base: str | None = None
    gateway_url: str | None = None
    notice_debounce: timedelta = timedelta(seconds=60)
    rate_limit_per_second: float = 40.0
    anilist_api_url: str = ANILIST_API_URL
    anilist_sync_interval: timedelta = timedelta(minutes=30)
    anilist_window: timedelta = timedelta(days=14)
    anilist_requests_per_minute: int = 30
    #: The live calendar feed's port (None: the feed is off), address and public URL.
    calendar_http_port: int | None = None
    calendar_http_host: str = "127.0.0.1"
    calendar_base_url: str | None = None
    #: Most Discord scheduled events mirrored per guild.
    events_per_guild: int = 20


def _get(env: Mapping[str, str], name: str) -> str | None:
    """Return a variable's value; an empty one counts as unset."""
    value = env.get(name, "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = _get(env, name)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ConfigError(
            f"{name} must be a {' or '.join(schemes)} URL such as "
            f"{schemes[0]}://127.0.0.1:8080/..., not {value!r}; fix it in .env or leave it empty."
        )
    return value.rstrip("/")


def _api_base(env: Mapping[str, str]) -> str | None:
    url = _url(env, "DISCORD_API_BASE", ("https", "http"))
    if url is not None and not urlparse(url).path.endswith(API_PATH):
        suggestion = _API_SUFFIX.sub("", url) + API_PATH
        raise ConfigError(
            f"DISCORD_API_BASE must end with Discord's API version, {API_PATH}, such as "
            f"{suggestion}, not {url!r}; fix it in .env or leave it empty."
        )
    return url


def _database_path(env: Mapping[str, str]) -> Path:
    path = Path(_get(env, "DATABASE_PATH") or "data/airdate.db")
    try:
        return path.expanduser()
    except RuntimeError:
        raise ConfigError(
            f"DATABASE_PATH starts with ~ but this user's home directory is unknown: write "
            f"the full path, such as /var/lib/airdate/airdate.db, not {str(path)!r}."
        ) from None


def load_config(env: Mapping[str, str], *, require_token: bool = True) -> Config:
    """Build the configuration from environment variables, or raise ConfigError."""
    token = _get(env, "DISCORD_TOKEN")
    if token is None and require_token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot's token "
            "from the Discord developer portal (Bot → Reset Token)."
        )
    if token is not None and (any(c.isspace() for c in token) or len(token) < 20):
        raise ConfigError(
            "DISCORD_TOKEN does not look like a bot token: paste the whole token from the "
            "developer portal (Bot → Reset Token), with no spaces or quotes."
        )
    dev_guild = _get(env, "DEV_GUILD_ID")
    if (dev_guild is not None and not _DIGITS.fullmatch(dev_guild)) or (
        dev_guild is not None and not 15 <= len(dev_guild) <= 20
    ):
        raise ConfigError(
            "DEV_GUILD_ID must be a server ID (a 17-20 digit number: right-click the server "
            "with Developer Mode on → Copy Server ID), or empty."
        )
    level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {level!r}."
        )
    debounce = _get(env, "NOTICE_DEBOUNCE_SECONDS") or "60"
    if not _DIGITS.fullmatch(debounce) or int(debounce) > 86_400:
        raise ConfigError(
            "NOTICE_DEBOUNCE_SECONDS must be a whole number of seconds from 0 to 86400, "
            f"like 60, not {debounce!r}."
        )
    rate = _get(env, "RATE_LIMIT_PER_SECOND") or "40"
    if not _DIGITS.fullmatch(rate) or not 1 <= int(rate) <= 50:
        raise ConfigError(
            "RATE_LIMIT_PER_SECOND must be a whole number of requests per second from 1 to 50 "
            f"(Discord allows 50), like 40, not {rate!r}."
        )
    anilist_budget = _get(env, "ANILIST_REQUESTS_PER_MINUTE") or "30"
    if (
        not _DIGITS.fullmatch(anilist_budget)
        or not 1 <= int(anilist_budget) <= ANILIST_MAX_REQUESTS_PER_MINUTE
    ):
        raise ConfigError(
            "ANILIST_REQUESTS_PER_MINUTE must be a whole number of requests per minute from 1 "
            f"to {ANILIST_MAX_REQUESTS_PER_MINUTE} (AniList's limit), like 30, "
            f"not {anilist_budget!r}."
        )
    sync_interval = _duration(env, "ANILIST_SYNC_INTERVAL", "30m", "like 30m")
    if sync_interval < MIN_ANILIST_SYNC_INTERVAL:
        raise ConfigError(
            "ANILIST_SYNC_INTERVAL must be at least 10s (AniList's budget is shared), like 30m, "
            f"not {_get(env, 'ANILIST_SYNC_INTERVAL')!r}."
        )
    port, host, base_url = _calendar(env)
    events = _get(env, "EVENTS_PER_GUILD") or "20"
    if not _DIGITS.fullmatch(events) or not 1 <= int(events) <= MAX_EVENTS_PER_GUILD:
        raise ConfigError(
            "EVENTS_PER_GUILD must be a whole number of events from 1 to "
            f"{MAX_EVENTS_PER_GUILD} (Discord allows 100 a server, and servers keep room for "
            f"their own), like 20, not {events!r}."
        )
    return Config(
        token=None if token is None else Secret(token),
        rate_limit_per_second=float(rate),
        database_path=_database_path(env),
        dev_guild_id=None if dev_guild is None else int(dev_guild),
        log_level=level,
        api_base=_api_base(env),
        gateway_url=_url(env, "DISCORD_GATEWAY_URL", ("wss", "ws")),
        notice_debounce=timedelta(seconds=int(debounce)),
        anilist_api_url=_url(env, "ANILIST_API_URL", ("https", "http")) or ANILIST_API_URL,
        anilist_sync_interval=sync_interval,
        anilist_window=_duration(env, "ANILIST_WINDOW", "14d", "like 14d"),
        anilist_requests_per_minute=int(anilist_budget),
        calendar_http_port=port,
        calendar_http_host=host,
        calendar_base_url=base_url,
        events_per_guild=int(events),
    )


def _calendar(env: Mapping[str, str]) -> tuple[int | None, str, str | None]:
    """Read CALENDAR_HTTP_PORT, CALENDAR_HTTP_HOST and CALENDAR_BASE_URL."""
    port = _get(env, "CALENDAR_HTTP_PORT")
    if port is not None and (not _DIGITS.fullmatch(port) or not 1 <= int(port) <= 65535):
        raise ConfigError(
            "CALENDAR_HTTP_PORT must be a port number from 1 to 65535, like 8080, not "
            f"{port!r}; or leave it empty to keep the calendar feed off."
        )
    host = _get(env, "CALENDAR_HTTP_HOST") or "127.0.0.1"
    if not _HOST.fullmatch(host):
        raise ConfigError(
            "CALENDAR_HTTP_HOST must be an address to listen on, like 127.0.0.1 (behind a "
            f"reverse proxy) or 0.0.0.0, not {host!r}; fix it in .env or leave it empty."
        )
    base_url = _url(env, "CALENDAR_BASE_URL", ("https", "http"))
    if base_url is not None:
        parsed = urlparse(base_url)
        if parsed.query or parsed.fragment or "@" in parsed.netloc:
            raise ConfigError(
                "CALENDAR_BASE_URL must be the feed's public address alone, like "
                f"https://airdate.example.org, not {base_url!r}; fix it in .env."
            )
        if port is None:
            raise ConfigError(
                "CALENDAR_BASE_URL is set but CALENDAR_HTTP_PORT is empty, so the calendar "
                "feed is off: set CALENDAR_HTTP_PORT, like 8080, or leave CALENDAR_BASE_URL empty."
            )
    return None if port is None else int(port), host, base_url


def _duration(env: Mapping[str, str], name: str, default: str, example: str) -> timedelta:
    """Read a duration in the offsets format (`45s`, `10m`, `2h`, `14d`), or raise ConfigError."""
    text = _get(env, name) or default
    try:
        return parse_duration(text, hint="")
    except InvalidInput:
        raise ConfigError(
            f"{name} must be a duration such as 45s, 10m, 2h or 14d ({example}), "
            f"not {text!r}; fix it in .env or leave it empty."
        ) from None


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
