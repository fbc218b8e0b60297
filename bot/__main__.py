"""`python -m bot`: read .env once, check the settings, and run Airdate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, configure_logging, load_config
from bot.main import run


def main() -> int:
    # The .env beside where `make run` starts, not beside this file.
    load_dotenv(find_dotenv(usecwd=True))
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        print(f"airdate: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(config))
    except discord.LoginFailure:
        print(
            "airdate: Discord rejected DISCORD_TOKEN: reset the token in the developer portal "
            "(Bot → Reset Token) and paste the new one into .env.",
            file=sys.stderr,
        )
        return 2
    except aiohttp.ClientConnectorError as error:
        print(
            f"airdate: cannot reach Discord at {error.host}:{error.port}: check the network, "
            "or DISCORD_API_BASE / DISCORD_GATEWAY_URL in .env.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
