"""Replies and embeds for follows and subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands

from bot.domain import references
from bot.domain.models import Follow, GuildSettings, Show, Subscription, Via
from bot.domain.text import truncate
from bot.services.audiences import FollowResult, Unsubscribed
from bot.services.references import ALL_SHOWS
from bot.ui.messages import ANNOUNCEMENT_COLOUR, bold_title

DM_PAUSED_NOTICE = (
    "Airdate could not DM you (your DMs are closed to this server's members), so your DM "
    "subscriptions are paused. Open your DMs, then run `/subscribe` again to resume."
)


def show_choices(
    shows: Sequence[Show], typed: str, *, include_all: bool
) -> list[app_commands.Choice[str]]:
    choices = []
    if include_all and ALL_SHOWS.startswith(typed.strip().casefold()):
        choices.append(app_commands.Choice(name="All shows", value=ALL_SHOWS))
    choices += [
        app_commands.Choice(name=truncate(show.title, 100), value=references.picked_value(show.id))
        for show in shows
    ]
    return choices[:25]


def _what(show: Show | None) -> str:
    return "every show" if show is None else bold_title(show.title)


def followed(result: FollowResult) -> str:
    lines = [f"<#{result.channel_id}> now follows {_what(result.show)}."]
    lines.append(
        f"It pings <@&{result.role_id}>; members can take that role with `/subscribe`."
        if result.role_id is not None and result.show is not None
        else f"It pings <@&{result.role_id}>."
        if result.role_id is not None
        else "It pings nobody."
    )
    if not result.episodes:
        lines.append("Only premieres, finales and movies are posted, not every episode.")
    if result.reenabled:
        lines.append("It had been disabled; it is enabled again.")
    return "\n".join(lines)


def unfollowed(show: Show | None, channel_id: int) -> str:
    return (
        f"<#{channel_id}> no longer follows {_what(show)}; what that follow alone was owed "
        "will not be posted."
    )


def follows_embed(guild: GuildSettings, follows: Sequence[Follow]) -> discord.Embed:
    embed = discord.Embed(title="What each channel follows", colour=ANNOUNCEMENT_COLOUR)
    lines = []
    if guild.channel_id is not None:
        state = (
            f" — **disabled**: {guild.channel_disabled_reason}"
            if guild.channel_disabled_reason
            else ""
        )
        ping = f", pings <@&{guild.role_id}>" if guild.role_id else ""
        lines.append(f"<#{guild.channel_id}> — every show (announcement channel){ping}{state}")
    for follow in follows:
        what = "every show" if follow.show_id is None else bold_title(follow.show_title or "?")
        ping = f", pings <@&{follow.role_id}>" if follow.role_id else ""
        scope = "" if follow.episodes else ", premieres/finales/movies only"
        state = f" — **disabled**: {follow.disabled_reason}" if not follow.enabled else ""
        lines.append(f"<#{follow.channel_id}> — {what}{ping}{scope}{state}")
    if not lines:
        lines.append("Nothing yet. Set `/settings channel`, or `/follow` a show into a channel.")
    if any("disabled" in line for line in lines):
        lines.append("\nRun `/follow` (or `/settings channel`) again once fixed to re-enable.")
    embed.description = truncate("\n".join(lines), 4096)
    return embed


def unsubscribed(result: Unsubscribed) -> str:
    parts = []
    if Via.ROLE in result.ways:
        parts.append("the role was taken back" if result.role_id else "no role to take back")
    if Via.DM in result.ways:
        parts.append("no more DMs")
    return f"Unsubscribed from {bold_title(result.show.title)}: {', '.join(parts)}."


def subscriptions_embed(found: Sequence[Subscription], dms_paused: bool) -> discord.Embed:
    embed = discord.Embed(title="Your subscriptions here", colour=ANNOUNCEMENT_COLOUR)
    if not found:
        embed.description = "None yet. `/subscribe show` to hear about a show's releases."
        return embed
    lines = [
        f"{bold_title(s.show_title)} — "
        + (
            "by role ping"
            if s.via is Via.ROLE
            else "by DM" + (" (**paused**)" if dms_paused else "")
        )
        for s in found
    ]
    if dms_paused:
        lines.append(f"\n{DM_PAUSED_NOTICE}")
    embed.description = truncate("\n".join(lines), 4096)
    return embed
