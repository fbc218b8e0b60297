"""Pure text for command replies."""

from __future__ import annotations

import discord

from bot.domain import dates, durations
from bot.domain.models import GuildSettings, Release
from bot.services.delivery import DeliveryError
from bot.services.releases import ScheduleResult
from bot.ui.messages import bold_title, release_embed
from bot.ui.permissions import NEEDED_IN_CHANNEL

#: Channels a reply names before it counts the rest.
MAX_CHANNELS_NAMED = 3
#: Discord's error codes for a channel Airdate may not post in, or that is gone.
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
UNKNOWN_CHANNEL = 10003


def release_card(release: Release) -> discord.Embed:
    return release_embed(release)


def scheduled(result: ScheduleResult, verb: str) -> str:
    """Say what was stored and what the bot will post, or why it will post nothing."""
    release = result.release
    lines = [f"{verb} {bold_title(release.display_title)}: {dates.display_when(release.time)}."]
    if not release.time.precision.is_scheduled:
        lines.append(
            "Reminders start once it has a day or an exact time: change it with `/release edit`."
        )
    else:
        parts = []
        if result.reminders_planned:
            count = result.reminders_planned
            parts.append(f"{count} reminder{'s' if count != 1 else ''}")
        if result.announcement_planned:
            parts.append("the announcement")
        if parts:
            lines.append(f"Airdate will post {' and '.join(parts)} {_where(result)}.")
        elif not result.heard:
            lines.append(
                "Nothing will be posted yet: choose a channel with `/settings channel` (or "
                "`/follow` the show into one), and its reminders and announcement will be "
                "scheduled."
            )
        else:
            lines.append("Its time has come, so nothing more will be posted.")
    if result.notices_planned:
        lines.append("Anyone already told about it gets a notice of the new date.")
    return "\n".join(lines)


def _where(result: ScheduleResult) -> str:
    """Where the messages go: 'in <#1> and <#2>', '… and 4 more channels', 'by DM to 3 members'."""
    named = [f"<#{channel_id}>" for channel_id in result.channel_ids[:MAX_CHANNELS_NAMED]]
    hidden = len(result.channel_ids) - len(named)
    if hidden:
        named.append(f"{hidden} more channel{'s' if hidden != 1 else ''}")
    places = [f"in {_and(named)}"] if named else []
    if result.dm_count:
        count = result.dm_count
        places.append(f"by DM to {count} member{'s' if count != 1 else ''}")
    return " and ".join(places)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def removed(release: Release) -> str:
    return f"Cancelled {bold_title(release.display_title)}. Nothing more will be posted about it."


def settings_changed(what: str, settings: GuildSettings, *, follows: int = 0) -> str:
    """Say what a `/settings` change does; `follows` counts the guild's enabled follows."""
    if what == "channel":
        if settings.channel_id is None and follows:
            return (
                "Announcement channel cleared. Channels that `/follow` shows still get their "
                "posts (`/follows` lists them); a show no channel follows is not posted."
            )
        if settings.channel_id is None:
            return "Announcement channel cleared: Airdate will post nothing until you set one."
        return f"Airdate will post reminders and announcements in <#{settings.channel_id}>."
    if what == "role":
        if settings.role_id is None:
            return "Ping role cleared: announcements will ping nobody."
        return f"Announcements and reminders will ping <@&{settings.role_id}>."
    if what == "reminders":
        if not settings.offsets:
            return "Reminders turned off: only the announcement will be posted."
        return (
            f"Reminders will go out {durations.format_offsets(settings.offsets)} before each "
            "release. Pending reminders were rescheduled."
        )
    if what == "titles":
        return (
            f"AniList shows will be titled in **{settings.title_language.value}** here (else "
            "romaji, else English, else native)."
        )
    if what == "delay":
        if not settings.delay_after:
            return "No delay: AniList episodes are announced here at their broadcast time."
        return (
            f"AniList episodes will be announced here "
            f"{durations.format_duration(settings.delay_after)} after their broadcast; "
            "their reminders and announcements were rescheduled."
        )
    return f"Dates you type will be read in **{settings.timezone}** unless you give a zone."


def sample_refused(channel_id: int, error: DeliveryError) -> str:
    """Say why `/settings test` could not post, and what to do about it."""
    where = f"<#{channel_id}>"
    needed = " and ".join(", ".join(NEEDED_IN_CHANNEL.values()).rsplit(", ", 1))
    if error.code == MISSING_PERMISSIONS:
        return (
            f"Discord refused the sample in {where}: Airdate lacks a permission there. It "
            f"needs {needed}; give the Airdate role those in that channel, then run this again."
        )
    if error.code == MISSING_ACCESS:
        return (
            f"Airdate can't see {where}: it lacks View Channel there. Give the Airdate role "
            f"{needed} in that channel, then run this again."
        )
    if error.code == UNKNOWN_CHANNEL:
        return f"{where} no longer exists. Choose another with `/settings channel`."
    return (
        f"Discord did not take the sample in {where} just now ({error.reason}). "
        "Try again in a minute."
    )
