"""Start-up: open the database, build the bot, run it until stopped."""

from __future__ import annotations

import logging

import discord
import yarl

from bot.client import AirdateBot
from bot.config import Config
from bot.services.delivery import DeliveryPolicy
from bot.storage.database import Database

log = logging.getLogger(__name__)


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST calls and gateway connection somewhere other than Discord."""
    if api_base is not None:
        discord.http.Route.BASE = api_base
    if gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


async def run(config: Config, policy: DeliveryPolicy | None = None) -> None:
    """Run the bot with `config` until it is closed."""
    if config.token is None:
        raise ValueError("running the bot needs a token")
    point_discord_at(config.api_base, config.gateway_url)
    database = await Database.open(config.database_path)
    try:
        async with AirdateBot(config, database, policy=policy) as bot:
            await bot.start(config.token.reveal())
    finally:
        await database.close()
