"""Pure text for command replies."""

from __future__ import annotations

import discord

from bot.domain import dates, durations
from bot.domain.models import GuildSettings, Release
from bot.domain.text import truncate
from bot.services.releases import ScheduleResult
from bot.ui.messages import release_embed


def _name(release: Release) -> str:
    return f"**{discord.utils.escape_markdown(truncate(release.display_title, 200))}**"


def release_card(release: Release) -> discord.Embed:
    return release_embed(release)


def scheduled(result: ScheduleResult, verb: str) -> str:
    """Say what was stored and what the bot will post, or why it will post nothing."""
    release = result.release
    lines = [f"{verb} {_name(release)}: {dates.display_when(release.time)}."]
    if not release.time.precision.is_scheduled:
        lines.append(
            "Reminders start once it has a day or an exact time: change it with `/release edit`."
        )
    elif result.settings.channel_id is None:
        lines.append(
            "Nothing will be posted yet: choose a channel with `/settings channel`, and its "
            "reminders and announcement will be scheduled."
        )
    else:
        parts = []
        if result.reminders_planned:
            count = result.reminders_planned
            parts.append(f"{count} reminder{'s' if count != 1 else ''}")
        if result.announcement_planned:
            parts.append("the announcement")
        where = f"<#{result.settings.channel_id}>"
        if parts:
            lines.append(f"Airdate will post {' and '.join(parts)} in {where}.")
        else:
            lines.append(f"Its time has come, so nothing more will be posted in {where}.")
    if result.moved:
        lines.append("Anyone already told about it gets a notice of the new date.")
    return "\n".join(lines)


def removed(release: Release) -> str:
    return f"Cancelled {_name(release)}. Nothing more will be posted about it."


def settings_changed(what: str, settings: GuildSettings) -> str:
    if what == "channel":
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
    return f"Dates you type will be read in **{settings.timezone}** unless you give a zone."
