"""Start-up: open the database, build the bot, reach Discord, run until stopped.

Everything that can stop Airdate from starting is raised as a StartupError whose one-line
message names the setting and the fix; `python -m bot` prints it and exits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import ssl

import aiohttp
import discord
import yarl

from bot.composition import build_bot
from bot.config import Config, ConfigError, DiscordUnreachable
from bot.memory import tune_garbage_collection
from bot.services.delivery import DeliveryPolicy
from bot.storage.database import Database, UnusableDatabase

log = logging.getLogger(__name__)

#: How long the gateway may take to accept a connection and say HELLO at start-up.
GATEWAY_TIMEOUT_SECONDS = 20.0
#: The gateway's first message on a new connection.
OP_HELLO = 10
#: What discord.py raises when a connection to Discord fails.
CONNECTION_ERRORS = (
    OSError,
    aiohttp.ClientError,
    TimeoutError,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
)


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST calls and gateway connection somewhere other than Discord."""
    if api_base is not None:
        discord.http.Route.BASE = api_base
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


async def run(config: Config, policy: DeliveryPolicy | None = None) -> None:
    """Run the bot with `config` until it is closed; raise StartupError if it cannot start."""
    if config.token is None:
        raise ValueError("running the bot needs a token")
    point_discord_at(config.api_base, config.gateway_url)
    try:
        database = await Database.open(config.database_path)
    except UnusableDatabase as error:
        raise ConfigError(str(error)) from None
    try:
        async with build_bot(config, database, policy=policy) as bot:
            tune_garbage_collection()
            await log_in(bot, config.token.reveal())
            gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
            await check_gateway(gateway)
            try:
                await bot.connect()
            except CONNECTION_ERRORS as error:
                if bot.is_ready():
                    raise
                raise _gateway_unreachable(gateway, error) from None
            except AttributeError as error:
                # discord.py 2.7 trips over its own missing socket when the very first
                # connection fails (the gateway went away since it was checked).
                cause = error.__context__
                if bot.is_ready() or not isinstance(cause, CONNECTION_ERRORS):
                    raise
                raise _gateway_unreachable(gateway, cause) from None
        if bot.refusal is not None:
            raise bot.refusal
    finally:
        await database.close()


async def log_in(bot: discord.Client, token: str) -> None:
    """Log in over REST (which runs the bot's setup hook); say plainly what went wrong."""
    api = discord.http.Route.BASE
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise ConfigError(
            "Discord rejected DISCORD_TOKEN: reset the token in the developer portal "
            "(Bot → Reset Token) and paste the new one into .env."
        ) from None
    except discord.NotFound:
        raise ConfigError(
            f"DISCORD_API_BASE {api} answered 404 Not Found where Discord's API should be: "
            "set it to Discord's REST API ending in /api/v10, or leave it empty."
        ) from None
    except discord.HTTPException as error:
        raise DiscordUnreachable(
            f"Discord's API at {api} answered HTTP {error.status} while Airdate started: try "
            "again in a few minutes, or check DISCORD_API_BASE in .env."
        ) from None
    except aiohttp.ClientConnectorError as error:
        raise DiscordUnreachable(
            f"cannot reach Discord at {error.host}:{error.port} ({_reason(error)}): check the "
            "network, or DISCORD_API_BASE in .env."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise DiscordUnreachable(
            f"cannot reach Discord's API at {api} ({_reason(error)}): check the network, or "
            "DISCORD_API_BASE in .env."
        ) from None


async def check_gateway(url: yarl.URL, seconds: float = GATEWAY_TIMEOUT_SECONDS) -> None:
    """Raise DiscordUnreachable unless the gateway at `url` takes a connection and says HELLO.

    discord.py retries a gateway it cannot reach forever, logging a traceback each time;
    at start-up an unreachable gateway is a setting or network to fix, said once.
    """
    try:
        async with asyncio.timeout(seconds), aiohttp.ClientSession() as session:
            target = url.with_query(v=10, encoding="json")
            async with session.ws_connect(target, autoping=False) as socket:
                message = await socket.receive()
    except TimeoutError:
        raise DiscordUnreachable(
            f"the Discord gateway at {url} did not answer within {seconds:.0f} s: check the "
            "network, or DISCORD_GATEWAY_URL in .env."
        ) from None
    except (aiohttp.ClientError, OSError) as error:
        raise _gateway_unreachable(url, error) from None
    if not _is_hello(message):
        raise DiscordUnreachable(
            f"DISCORD_GATEWAY_URL {url} answered, but not as Discord's gateway does: set it "
            "to the gateway's websocket URL (wss://...), or leave it empty."
        )


def _is_hello(message: aiohttp.WSMessage) -> bool:
    if message.type is not aiohttp.WSMsgType.TEXT:
        return False
    try:
        payload = json.loads(message.data)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("op") == OP_HELLO


def _gateway_unreachable(url: yarl.URL, error: BaseException) -> DiscordUnreachable:
    return DiscordUnreachable(
        f"cannot reach the Discord gateway at {url} ({_reason(error)}): check the network, or "
        "DISCORD_GATEWAY_URL in .env."
    )


def _reason(error: BaseException) -> str:
    """A few words on why a connection failed, without the library's traceback."""
    if isinstance(error, aiohttp.ClientConnectorError):
        error = error.os_error
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}"
    if isinstance(error, socket.gaierror):
        return f"unknown host: {error.strerror}"
    if isinstance(error, OSError) and error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"HTTP {error.status}, not a websocket"
    return str(error) or type(error).__name__
