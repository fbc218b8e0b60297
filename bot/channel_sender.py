"""Posts batches of notifications to Discord channels and DMs, and says what went wrong."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

import aiohttp
import discord

from bot.domain.models import TargetKind
from bot.scheduling.ratelimit import RateLimiter
from bot.services.batches import Batch
from bot.services.delivery import DeliveryError, Posted
from bot.services.thread_starts import ALREADY_HAS_THREAD, ThreadAttempt, ThreadOutcome
from bot.ui.catalog_messages import outgoing_message
from bot.ui.messages import OutgoingMessage
from bot.ui.streaming import message_view

log = logging.getLogger(__name__)

#: How far back to look for a message an earlier, expired attempt may have posted.
RECENT_MESSAGES = 50
#: How long a message outside the outbox may take (the engine bounds its own sends).
POST_TIMEOUT = timedelta(seconds=15)
UNKNOWN_CHANNEL = 10003
MISSING_PERMISSIONS = 50013
#: Discord's channel type of a public thread (a forum post is one).
PUBLIC_THREAD = 11


class ChannelSender:
    """The delivery engine's Sender, over a logged-in discord.py client.

    The client is the bot, which is built after the engine it hands work to, so the
    composition root gives it to the sender with `post_through` once both exist.
    """

    def __init__(self, limiter: RateLimiter, guild_unavailable: Callable[[int], bool]) -> None:
        self._limiter = limiter
        self._guild_unavailable = guild_unavailable
        self._dm_channels: dict[int, int] = {}
        self._discord: discord.Client | None = None
        #: Forum posts made or found but maybe not yet recorded, by (release, forum).
        self._posts: dict[tuple[int, int], int] = {}
        self._post_locks: dict[tuple[int, int], asyncio.Lock] = {}

    def post_through(self, client: discord.Client) -> None:
        """Send everything through `client`'s connection to Discord."""
        self._discord = client

    @property
    def _client(self) -> discord.Client:
        if self._discord is None:
            raise RuntimeError("ChannelSender has no client: call post_through(bot) first")
        return self._discord

    async def wait_turn(self) -> None:
        """Wait for the bot-wide rate limit to allow one more request."""
        await self._limiter.acquire()

    def fingerprint(self, batch: Batch) -> str:
        message = outgoing_message(batch.notifications, batch.ping_role_ids)
        return content_fingerprint(message.content)

    async def send(self, batch: Batch) -> int | Posted:
        message = outgoing_message(
            batch.notifications,
            batch.ping_role_ids,
            remind_buttons=batch.target_kind is TargetKind.CHANNEL,
        )
        view = message_view(message.buttons)
        if batch.forum and batch.post_id is None:
            return await self._into_new_post(batch, message, view)
        channel = await self._messageable(batch)
        # The engine took this request's turn at the rate limiter (`wait_turn`) before it
        # checked the batch is still owed: the check is as fresh as the send.
        # A nonce makes discord.py send enforce_nonce: a resend within Discord's window
        # returns the first message instead of posting a second one.
        try:
            return await _post(channel, message, nonce=batch.nonce, view=view, forum=batch.forum)
        except DeliveryError as error:
            if error.post_gone:
                self._posts.pop((batch.keys[0].release_id, batch.target_id), None)
            raise

    async def _into_new_post(
        self, batch: Batch, message: OutgoingMessage, view: discord.ui.View | None
    ) -> Posted:
        """Send into the release's forum post, creating the post if it is not there.

        A post takes no nonce: one noted before (an earlier attempt, maybe without its
        answer) is looked for among the guild's active threads first. One creation at a
        time per post, and a post made here is remembered until the engine records it.
        """
        if self._guild_unavailable(batch.guild_id):
            raise DeliveryError("guild unavailable (Discord outage)", retryable=True)
        key = (batch.keys[0].release_id, batch.target_id)
        async with self._post_locks.setdefault(key, asyncio.Lock()):
            post_id = self._posts.get(key)
            if post_id is None and batch.uncertain:
                post_id = await self._find_post(batch)
                if post_id is not None:
                    mine = await self._find_in(post_id, batch)
                    if mine is not None:
                        self._posts[key] = post_id
                        return Posted(mine, post_id)
            if post_id is not None:
                self._posts[key] = post_id
                await self._limiter.acquire()
                thread = self._client.get_partial_messageable(
                    post_id, type=discord.ChannelType.public_thread
                )
                try:
                    sent = await _post(thread, message, nonce=batch.nonce, view=view, forum=True)
                except DeliveryError as error:
                    if error.post_gone:
                        self._posts.pop(key, None)
                    raise
                return Posted(sent, post_id)
            if batch.uncertain:
                await self._limiter.acquire()
            post_id = await self._create_post(batch, message, view)
            self._posts[key] = post_id
            return Posted(post_id, post_id)

    async def _create_post(
        self, batch: Batch, message: OutgoingMessage, view: discord.ui.View | None
    ) -> int:
        with discord.http.handle_message_parameters(
            content=message.content,
            embeds=message.embeds,
            allowed_mentions=message.allowed_mentions,
            view=view,
            channel_payload={"name": batch.post_title, "type": PUBLIC_THREAD},
        ) as params:
            try:
                data = await self._client.http.start_thread_in_forum(batch.target_id, params=params)
            except discord.HTTPException as error:
                failure = _classify(error)
                # A 5xx may come after the post was made: look before making another.
                failure.maybe_delivered = error.status >= 500
                raise failure from error
            except (aiohttp.ClientError, OSError) as error:
                raise _lost(error) from error
        return int(data["id"])

    async def _find_post(self, batch: Batch) -> int | None:
        """The id of the bot's active post titled as this batch's first attempt was."""
        me = self._client.user
        await self._limiter.acquire()
        try:
            active = await self._client.http.get_active_threads(batch.guild_id)
        except discord.HTTPException as error:
            raise _classify(error) from error
        except (aiohttp.ClientError, OSError) as error:
            raise _lost(error) from error
        for thread in active.get("threads", []):
            mine = me is not None and int(thread.get("owner_id") or 0) == me.id
            parent = int(thread.get("parent_id") or 0)
            if mine and parent == batch.target_id and thread.get("name") == batch.post_title:
                return int(thread["id"])
        return None

    async def start_thread(
        self, channel_id: int, message_id: int, name: str, archive_minutes: int
    ) -> ThreadAttempt:
        """Start the discussion thread on an announcement (a thread already there counts)."""
        await self._limiter.acquire()
        try:
            async with asyncio.timeout(POST_TIMEOUT.total_seconds()):
                await self._client.http.start_thread_with_message(
                    channel_id,
                    message_id,
                    name=name,
                    auto_archive_duration=archive_minutes,  # type: ignore[arg-type]
                )
        except discord.HTTPException as error:
            if error.code == ALREADY_HAS_THREAD:
                return ThreadAttempt(ThreadOutcome.STARTED, "the message already has its thread")
            reason = f"HTTP {error.status} code {error.code}"
            if error.status >= 500 or error.status == 429:
                return ThreadAttempt(ThreadOutcome.RETRY, reason)
            if error.code == MISSING_PERMISSIONS:
                reason += " (Airdate lacks Create Public Threads there)"
            return ThreadAttempt(ThreadOutcome.REFUSED, reason)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return ThreadAttempt(ThreadOutcome.RETRY, f"connection: {type(error).__name__}")
        return ThreadAttempt(ThreadOutcome.STARTED)

    async def post(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> int:
        """Post one message outside the release outbox (`/settings test`, a digest with its
        `nonce`), at the bot's pace.

        Raise DeliveryError as `send` does; no answer within `POST_TIMEOUT` is one too.
        """
        await self._limiter.acquire()
        try:
            async with asyncio.timeout(POST_TIMEOUT.total_seconds()):
                channel = self._client.get_partial_messageable(channel_id)
                return await _post(channel, message, nonce=nonce)
        except TimeoutError as error:
            raise _lost(error) from error

    async def find_posted(self, channel_id: int, content: str) -> int | None:
        """Return the id of the bot's recent message in the channel with this content."""
        me = self._client.user
        expected = content_fingerprint(content)
        await self._limiter.acquire()
        try:
            channel = self._client.get_partial_messageable(channel_id)
            async for message in channel.history(limit=RECENT_MESSAGES):
                mine = me is not None and message.author.id == me.id
                if mine and content_fingerprint(message.content) == expected:
                    return message.id
        except discord.HTTPException as error:
            raise _classify(error) from error
        except (aiohttp.ClientError, OSError) as error:
            raise _lost(error) from error
        return None

    async def find_sent(self, batch: Batch) -> int | Posted | None:
        if batch.forum and batch.post_id is None:
            post_id = await self._find_post(batch) if batch.post_title else None
            mine = None if post_id is None else await self._find_in(post_id, batch)
            return None if post_id is None or mine is None else Posted(mine, post_id)
        channel = await self._messageable(batch)
        return await self._history_match(channel, batch)

    async def _find_in(self, post_id: int, batch: Batch) -> int | None:
        thread = self._client.get_partial_messageable(
            post_id, type=discord.ChannelType.public_thread
        )
        return await self._history_match(thread, batch)

    async def _history_match(self, channel: discord.abc.Messageable, batch: Batch) -> int | None:
        # The message as first composed: a late mark or an edit since must not hide it.
        expected = batch.fingerprint or self.fingerprint(batch)
        me = self._client.user
        await self._limiter.acquire()
        try:
            async for message in channel.history(limit=RECENT_MESSAGES):
                mine = me is not None and message.author.id == me.id
                if mine and content_fingerprint(message.content) == expected:
                    return message.id
        except discord.HTTPException as error:
            raise _classify(error) from error
        except (aiohttp.ClientError, OSError) as error:
            raise _lost(error) from error
        return None

    async def tell_guild(self, guild_id: int, text: str, channel_ids: Sequence[int]) -> bool:
        """Post a notice for moderators in the first channel that takes it, else the system one."""
        guild = self._client.get_guild(guild_id)
        candidates = list(channel_ids)
        if guild is not None and guild.system_channel is not None:
            candidates.append(guild.system_channel.id)
        for channel_id in dict.fromkeys(candidates):
            await self._limiter.acquire()
            try:
                await self._client.get_partial_messageable(channel_id).send(
                    text, allowed_mentions=discord.AllowedMentions.none()
                )
            except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
                log.info("could not tell guild %s in %s: %s", guild_id, channel_id, error)
                continue
            return True
        log.warning("guild %s could not be told: %s", guild_id, text)
        return False

    async def _messageable(self, batch: Batch) -> discord.abc.Messageable:
        if batch.target_kind is TargetKind.USER:
            return await self._dm_channel(batch.target_id)
        if self._guild_unavailable(batch.guild_id):
            raise DeliveryError("guild unavailable (Discord outage)", retryable=True)
        if batch.forum and batch.post_id is not None:
            return self._client.get_partial_messageable(
                batch.post_id, type=discord.ChannelType.public_thread
            )
        return self._client.get_partial_messageable(batch.target_id)

    async def _dm_channel(self, user_id: int) -> discord.abc.Messageable:
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            await self._limiter.acquire()
            try:
                channel = await self._client.create_dm(discord.Object(id=user_id))
            except discord.HTTPException as error:
                raise _classify(error) from error
            except (aiohttp.ClientError, OSError) as error:
                raise DeliveryError(
                    f"connection: {type(error).__name__}", retryable=True
                ) from error
            channel_id = self._dm_channels[user_id] = channel.id
        return self._client.get_partial_messageable(channel_id, type=discord.ChannelType.private)


async def _post(
    channel: discord.abc.Messageable,
    message: OutgoingMessage,
    *,
    nonce: str | None = None,
    view: discord.ui.View | None = None,
    forum: bool = False,
) -> int:
    """Send a composed message; map Discord's refusals and lost connections to DeliveryError.

    In a forum (`forum`), an unknown channel is the release's post gone, not the forum.
    """
    try:
        # discord.py's overloads refuse None for both; its code reads None as "none given"
        # (a random nonce, no components).
        sent = await channel.send(
            content=message.content,
            embeds=message.embeds,
            nonce=nonce,  # type: ignore[arg-type]
            allowed_mentions=message.allowed_mentions,
            view=view,  # type: ignore[arg-type]
        )
    except discord.HTTPException as error:
        if error.status == 400:
            log.error(
                "Discord refused a message (code %s): %d embeds of %s chars, content %d chars",
                error.code,
                len(message.embeds),
                [len(e) for e in message.embeds],
                len(message.content),
            )
        if forum and error.code == UNKNOWN_CHANNEL:
            # The post, not the forum, is gone: the next try starts a new post.
            raise DeliveryError(
                f"the forum post is gone (HTTP {error.status} code {error.code})",
                retryable=True,
                post_gone=True,
            ) from error
        raise _classify(error) from error
    except (aiohttp.ClientError, OSError) as error:
        raise _lost(error) from error
    return sent.id


def content_fingerprint(content: str) -> str:
    """Return a short hash of a message's content, to recognise the message later."""
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def _classify(error: discord.HTTPException) -> DeliveryError:
    """Map Discord's answer to what the engine should do about it."""
    retryable = error.status >= 500 or error.status == 429
    return DeliveryError(
        f"HTTP {error.status} code {error.code}", retryable=retryable, code=error.code
    )


def _lost(error: Exception) -> DeliveryError:
    """A dropped or refused connection: Discord may or may not have the message."""
    return DeliveryError(
        f"connection: {type(error).__name__}", retryable=True, maybe_delivered=True
    )
