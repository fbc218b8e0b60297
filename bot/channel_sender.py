"""Posts composed notifications to Discord channels and classifies what went wrong."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
import discord

from bot.domain.notifications import Notification
from bot.services.delivery import DeliveryError
from bot.ui.messages import compose

log = logging.getLogger(__name__)


class ChannelSender:
    """The delivery engine's Sender, over a logged-in discord.py client."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(
        self,
        channel_id: int,
        notifications: Sequence[Notification],
        ping_role_id: int | None,
        nonce: str,
    ) -> int:
        message = compose(notifications, ping_role_id)
        channel = self._client.get_partial_messageable(channel_id)
        try:
            # A nonce makes discord.py send enforce_nonce: a resend within Discord's window
            # returns the first message instead of posting a second one.
            sent = await channel.send(
                content=message.content,
                embeds=message.embeds,
                nonce=nonce,
                allowed_mentions=message.allowed_mentions,
            )
        except discord.Forbidden as error:
            raise DeliveryError(f"forbidden (code {error.code})", retryable=False) from error
        except discord.NotFound as error:
            raise DeliveryError(f"not found (code {error.code})", retryable=False) from error
        except discord.HTTPException as error:
            if error.status >= 500 or error.status == 429:
                raise DeliveryError(f"HTTP {error.status}", retryable=True) from error
            log.error(
                "Discord refused a message (HTTP %s, code %s): %d embeds, content %d chars",
                error.status,
                error.code,
                len(message.embeds),
                len(message.content),
            )
            raise DeliveryError(
                f"HTTP {error.status} code {error.code}", retryable=False
            ) from error
        except (aiohttp.ClientError, OSError) as error:
            raise DeliveryError(f"connection: {type(error).__name__}", retryable=True) from error
        return sent.id
