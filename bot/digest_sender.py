"""The weekly digest's way out: composes a digest and posts it through the ChannelSender."""

from __future__ import annotations

from bot.channel_sender import ChannelSender
from bot.domain.digest import Digest
from bot.ui.digest import digest_content, digest_message


class DigestSender:
    """The digest outbox's DigestPoster, at the bot's pace (the ChannelSender's limiter)."""

    def __init__(self, channels: ChannelSender) -> None:
        self._channels = channels

    async def post_digest(self, digest: Digest) -> int:
        message = digest_message(digest.days, digest.start, digest.zone)
        # The nonce makes discord.py send enforce_nonce: a resend within Discord's window
        # returns the first post instead of making a second.
        return await self._channels.post(digest.channel_id, message, nonce=digest.nonce)

    async def find_digest(self, digest: Digest) -> int | None:
        # The content names the digest's week and nothing that changes, so an earlier
        # attempt's post is recognised however the releases changed since.
        return await self._channels.find_posted(digest.channel_id, digest_content(digest.start))
