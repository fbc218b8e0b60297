"""The weekly digest's message, and how `/settings` speaks of the digest.

A digest lists a week of releases grouped by day, in as many embeds as it takes (at most
10, each within Discord's limits and all within the 6,000 characters a message's embeds
may hold together), ending with "…and N more" when even that is not enough. Nothing in
it pings: user-typed titles are made inert and the message allows no mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.domain import dates
from bot.domain.digest import DigestDay, DigestSetting, Weekday, count_releases, release_mark
from bot.domain.models import Precision, Release
from bot.domain.when import MONTHS
from bot.services.digests import DigestPlan
from bot.ui.messages import (
    ANNOUNCEMENT_COLOUR,
    EMBED_DESCRIPTION_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    OutgoingMessage,
    bold_title,
)

MAX_EMBEDS = 10
#: How much of a title one line of the digest keeps.
TITLE_LIMIT = 150
EMPTY = "Nothing scheduled this week."
_MARKS = {"premiere": "\N{SPARKLES} premiere", "finale": "\N{CHEQUERED FLAG} finale"}


def digest_content(start: datetime) -> str:
    """The message's one line of content: it names only the digest's moment, the same for
    every attempt at it, so a look for a post an earlier attempt made recognises it."""
    return (
        f"\N{SPIRAL CALENDAR PAD} **This week's releases**, from <t:{dates.unix_seconds(start)}:F>"
    )


def day_heading(day: DigestDay) -> str:
    d = day.day
    # Named here, not by strftime: the process's locale must not change what is posted.
    return f"**{Weekday(d.weekday()).label} {d.day} {MONTHS[d.month - 1]}**"


def release_line(release: Release) -> str:
    """One release: its time as a timestamp (each reader's own zone), title and mark."""
    at = release.time.at
    assert at is not None
    title = bold_title(release.display_title, TITLE_LIMIT)
    mark = release_mark(release)
    marked = f" · {_MARKS[mark]}" if mark is not None else ""
    if release.time.precision is Precision.DAY:
        return f"All day · {title}{marked}"
    unix = dates.unix_seconds(at)
    return f"<t:{unix}:t> · {title}{marked} · <t:{unix}:R>"


def more_line(count: int) -> str:
    return f"…and {count} more"


#: Room kept for the "…and N more" line (and its newline) in the last embed.
_MORE_ROOM = len(more_line(10**6)) + 1


def digest_message(days: Sequence[DigestDay], start: datetime, zone: str) -> OutgoingMessage:
    """Build the digest of the week from `start`, its days in the guild's `zone`."""
    title = f"Releases this week ({zone})"
    total = count_releases(days)
    if not total:
        embed = discord.Embed(title=title, description=EMPTY, colour=ANNOUNCEMENT_COLOUR)
        return _message(start, [embed])
    descriptions: list[list[str]] = [[]]
    sizes = [0]
    used = len(title)
    shown = 0
    full = False
    for day in days:
        heading_in: int | None = None
        for release in day.releases:
            line = release_line(release)
            heading = day_heading(day) if heading_in != len(descriptions) - 1 else None
            need = len(line) + 1 + (0 if heading is None else len(heading) + 1)
            if sizes[-1] + need > EMBED_DESCRIPTION_LIMIT - _MORE_ROOM:
                if len(descriptions) == MAX_EMBEDS:
                    full = True
                    break
                descriptions.append([])
                sizes.append(0)
                heading = day_heading(day)
                need = len(line) + len(heading) + 2
            if used + need > EMBEDS_TOTAL_LIMIT - _MORE_ROOM:
                full = True
                break
            if heading is not None:
                descriptions[-1].append(heading)
                heading_in = len(descriptions) - 1
            descriptions[-1].append(line)
            sizes[-1] += need
            used += need
            shown += 1
        if full:
            break
    if not descriptions[-1]:
        descriptions.pop()
    if shown < total:
        descriptions[-1].append(more_line(total - shown))
    embeds = [
        discord.Embed(
            title=title if index == 0 else None,
            description="\n".join(lines),
            colour=ANNOUNCEMENT_COLOUR,
        )
        for index, lines in enumerate(descriptions)
    ]
    return _message(start, embeds)


def _message(start: datetime, embeds: list[discord.Embed]) -> OutgoingMessage:
    return OutgoingMessage(
        content=digest_content(start),
        embeds=embeds,
        allowed_mentions=discord.AllowedMentions.none(),
    )


def next_digest_text(at: datetime) -> str:
    unix = dates.unix_seconds(at)
    return f"<t:{unix}:F> (<t:{unix}:R>)"


def digest_setting_line(
    setting: DigestSetting | None,
    next_at: datetime | None,
    zone: str,
    failure: str | None = None,
) -> str:
    """How `/settings view` describes the digest (and why the last one failed, if it did)."""
    if setting is None:
        return "Off: `/settings digest channel` turns it on"
    when = f"{setting.weekday.label}s at {setting.at:%H:%M} ({zone})"
    line = f"<#{setting.channel_id}>, {when}"
    if next_at is not None:
        line += f"; next {next_digest_text(next_at)}"
    if failure is not None:
        line += (
            f"\nThe last one could not be posted ({failure}): check that Airdate can view, "
            "send messages and embed links there."
        )
    return line


def digest_changed(setting: DigestSetting | None, next_at: datetime | None, zone: str) -> str:
    """The reply to `/settings digest`."""
    if setting is None:
        return "The weekly digest is off. `/settings digest channel` turns it on again."
    when = f"every {setting.weekday.label} at {setting.at:%H:%M} ({zone})"
    text = (
        f"The weekly digest goes to <#{setting.channel_id}> {when}, listing the releases of "
        "the 7 days from then."
    )
    if next_at is not None:
        text += f" The next one will be posted {next_digest_text(next_at)}."
    return text


def add_digest_field(embed: discord.Embed, plan: DigestPlan) -> discord.Embed:
    """Add the digest's line to the `/settings view` embed."""
    line = digest_setting_line(plan.setting, plan.next_at, plan.zone, plan.failure)
    embed.add_field(name="Weekly digest", value=line, inline=False)
    return embed
