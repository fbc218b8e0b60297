"""Pure builders for everything the bot posts: content lines, embeds, and their limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from bot.domain import dates, durations
from bot.domain.catalog import TitleLanguage
from bot.domain.models import (
    DeliveryKind,
    GuildSettings,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    Show,
)
from bot.domain.notifications import Notification
from bot.domain.text import truncate
from bot.ui.streaming import ShowButtons

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
EMBEDS_TOTAL_LIMIT = 6000
#: Room kept in an embed's description for the text the bot adds to the synopsis.
SYNOPSIS_LIMIT = 1500
#: Discord allows 25 buttons a message (5 rows of 5).
MAX_BUTTONS = 25
#: How much of a title a bold mention of it keeps in replies and lists.
BOLD_TITLE_LIMIT = 200

ANNOUNCEMENT_COLOUR = discord.Colour(0x5865F2)
REMINDER_COLOUR = discord.Colour(0xFEE75C)
NOTICE_COLOUR = discord.Colour(0xED4245)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    content: str
    embeds: list[discord.Embed]
    allowed_mentions: discord.AllowedMentions
    #: Shows whose "Remind me" button the message carries.
    remind_show_ids: tuple[int, ...] = ()
    #: Every button the message carries, show by show (`bot.ui.streaming.message_view`).
    buttons: tuple[ShowButtons, ...] = ()


def safe_inline(text: str) -> str:
    """Make user text inert in message content: no pings, no stray markdown."""
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def bold_title(title: str, limit: int = BOLD_TITLE_LIMIT) -> str:
    """Return a user-typed title in bold: cut to `limit` characters, then made inert.

    Cutting first means a cut never splits an escape (a lone backslash before the closing
    `**` would unbold the rest of the line); the escapes may make the text longer.
    """
    return f"**{safe_inline(truncate(title, limit))}**"


def _when_line(time: ReleaseTime) -> str:
    relative = dates.display_relative(time)
    absolute = dates.display_when(time)
    return absolute if relative is None else f"{absolute} ({relative})"


def release_embed(
    release: Release, *, colour: discord.Colour = ANNOUNCEMENT_COLOUR
) -> discord.Embed:
    """The release card: show and label, synopsis, time, cover and link."""
    embed = discord.Embed(
        title=truncate(release.display_title, EMBED_TITLE_LIMIT),
        description=truncate(release.show.description, SYNOPSIS_LIMIT)
        if release.show.description
        else None,
        colour=colour,
        url=release.show.link,
    )
    embed.add_field(name="When", value=_when_line(release.time), inline=False)
    if release.show.image_url:
        embed.set_image(url=release.show.image_url)
    return embed


def notification_line(notification: Notification) -> str:
    """The one line of `content` a notification adds (live countdown included)."""
    release = notification.release
    title = bold_title(release.display_title, 300)
    relative = dates.display_relative(release.time) or dates.display_when(release.time)
    if notification.kind is DeliveryKind.ANNOUNCEMENT:
        line = f"\N{PARTY POPPER} {title} is out! Released {relative}."
        if notification.late:
            line += " (Posted late: Airdate was offline when it came out.)"
        return line
    if notification.kind is DeliveryKind.REMINDER:
        return f"\N{ALARM CLOCK} {title} premieres {relative}."
    old = notification.old_time
    was = dates.display_when(old) if old is not None else "an earlier date"
    return f"\N{CALENDAR} {title} has moved: was {was}, now {dates.display_when(release.time)}."


def notification_embed(notification: Notification) -> discord.Embed:
    """The embed of one notification.

    Catalog seam: `notification.catalog` is the release's `CatalogView` in the target's
    guild (cover, synopsis, episode of count, premiere/finale, AniList link, streaming
    links, broadcast time and the guild's delay); `notification.release` is already
    titled in the guild's language and timed when the guild is told. The catalog
    builders take over here for it; until then it is shown like any release.
    """
    release = notification.release
    if notification.kind is DeliveryKind.ANNOUNCEMENT:
        embed = release_embed(release)
        embed.set_author(name="Out now")
        if notification.late:
            due = dates.unix_seconds(notification.due_at)
            embed.add_field(
                name="Posted late", value=f"Due <t:{due}:F>; Airdate was offline.", inline=False
            )
        return embed
    if notification.kind is DeliveryKind.REMINDER:
        embed = release_embed(release, colour=REMINDER_COLOUR)
        embed.set_author(name=f"Reminder: {durations.describe_offset(notification.offset)}")
        return embed
    embed = release_embed(release, colour=NOTICE_COLOUR)
    embed.set_author(name="Date changed")
    if notification.old_time is not None:
        embed.insert_field_at(
            0, name="Was", value=dates.display_when(notification.old_time), inline=True
        )
    return embed


def compose(
    notifications: Sequence[Notification],
    ping_role_ids: Sequence[int] = (),
    *,
    remind_buttons: bool = False,
) -> OutgoingMessage:
    """Build one message for notifications due together for one target (at most 10)."""
    lines = [notification_line(n) for n in notifications]
    embeds = [notification_embed(n) for n in notifications]
    buttons: list[ShowButtons] = []
    if remind_buttons:
        buttons = [
            ShowButtons(n.release.show.id, n.release.show.title)
            for n in notifications
            if n.kind is not DeliveryKind.NOTICE
        ]
    return assemble(lines, embeds, ping_role_ids, buttons)


def assemble(
    lines: Sequence[str],
    embeds: list[discord.Embed],
    ping_role_ids: Sequence[int] = (),
    buttons: Sequence[ShowButtons] = (),
) -> OutgoingMessage:
    """Put one to ten notifications' lines and embeds into one message, pings first.

    The ping line names exactly the roles that opted in, and the message allows exactly
    those mentions: nothing typed by a user can ping anyone.
    """
    if not 1 <= len(lines) <= 10 or len(embeds) != len(lines):
        raise ValueError("a message carries one to ten notifications")
    content = list(lines)
    mentions = discord.AllowedMentions.none()
    if ping_role_ids:
        content.insert(0, " ".join(f"<@&{role_id}>" for role_id in ping_role_ids))
        mentions.roles = [discord.Object(id=role_id) for role_id in ping_role_ids]
    shows: list[int] = []
    for show in buttons:
        if show.remind and show.show_id not in shows:
            shows.append(show.show_id)
    return OutgoingMessage(
        content=truncate("\n".join(content), CONTENT_LIMIT),
        embeds=fit_embeds(embeds),
        allowed_mentions=mentions,
        remind_show_ids=tuple(shows[:MAX_BUTTONS]),
        buttons=tuple(buttons),
    )


def fit_embeds(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Shorten descriptions until all embeds together fit Discord's 6,000 characters."""
    while sum(len(embed) for embed in embeds) > EMBEDS_TOTAL_LIMIT:
        longest = max(embeds, key=lambda e: len(e.description or ""))
        excess = sum(len(embed) for embed in embeds) - EMBEDS_TOTAL_LIMIT
        current = longest.description or ""
        if not current:
            longest.title = truncate(longest.title or "", max(1, len(longest.title or "") - excess))
            continue
        longest.description = truncate(current, max(0, len(current) - excess)) or None
    return embeds


def settings_embed(settings: GuildSettings, *, events_line: str | None = None) -> discord.Embed:
    embed = discord.Embed(title="Airdate settings", colour=ANNOUNCEMENT_COLOUR)
    embed.add_field(
        name="Announcement channel",
        value=f"<#{settings.channel_id}>"
        if settings.channel_id
        else "Not set: `/settings channel`",
        inline=False,
    )
    embed.add_field(
        name="Ping role",
        value=f"<@&{settings.role_id}>" if settings.role_id else "Nobody is pinged",
        inline=False,
    )
    embed.add_field(
        name="Reminders before each release",
        value=durations.format_offsets(settings.offsets),
        inline=False,
    )
    embed.add_field(name="Time zone for typed dates", value=settings.timezone, inline=False)
    embed.add_field(
        name="AniList titles",
        value=TITLE_LANGUAGE_NAMES[settings.title_language],
        inline=False,
    )
    embed.add_field(
        name="Delay after AniList's airing time",
        value=durations.format_duration(settings.delay_after)
        if settings.delay_after
        else "None: told at the broadcast time",
        inline=False,
    )
    if events_line is not None:
        embed.add_field(name="Discord scheduled events", value=events_line, inline=False)
    return embed


#: How `/settings` names each title language.
TITLE_LANGUAGE_NAMES = {
    TitleLanguage.ROMAJI: "Romaji",
    TitleLanguage.ENGLISH: "English",
    TitleLanguage.NATIVE: "Native",
}


def upcoming_embed(
    releases: Sequence[Release],
    *,
    page: int,
    pages: int,
    within_text: str,
    total: int | None = None,
    more: bool = False,
) -> discord.Embed:
    """One page of `/upcoming`; the footer counts all pages' releases (`total`).

    `more`: the window holds releases beyond the `total` shown, and the footer says so.
    """
    embed = discord.Embed(title=f"Upcoming releases ({within_text})", colour=ANNOUNCEMENT_COLOUR)
    if not releases:
        embed.description = (
            "Nothing scheduled in that window. Moderators add releases with `/release add`."
        )
        return embed
    lines = [f"{bold_title(r.display_title)}\n{_when_line(r.time)}" for r in releases]
    embed.description = truncate("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
    total = len(releases) if total is None else total
    if more:
        embed.set_footer(
            text=f"Page {page + 1} of {pages} · the soonest {total} releases. There are more "
            "in this window: look less far ahead to see them."
        )
    elif pages > 1:
        embed.set_footer(text=f"Page {page + 1} of {pages} · {total} releases")
    return embed


def help_embed(settings: GuildSettings | None) -> discord.Embed:
    embed = discord.Embed(
        title="Airdate",
        description=(
            "Airdate tells this server when anime comes out: countdown reminders before each "
            "release, an announcement when it airs, and a notice if the date moves. Times show "
            "in your own time zone."
        ),
        colour=ANNOUNCEMENT_COLOUR,
    )
    embed.add_field(
        name="For everyone",
        value=(
            "`/countdown release` — a release's card with a live countdown\n"
            "`/upcoming [within]` — what is coming up, soonest first\n"
            "`/subscribe show [via]` — take the show's ping role, or get DMs\n"
            "`/unsubscribe show` · `/subscriptions` — stop one · list yours\n"
            "`/calendar [show] [mine]` — the releases as a calendar file, and the live feed\n"
            "`/help` — this message"
        ),
        inline=False,
    )
    embed.add_field(
        name="For moderators (Manage Server)",
        value=(
            "`/anilist follow query` — follow anime from AniList; its dates stay in sync\n"
            "`/release add|edit|remove` — manage releases\n"
            "`/follow` · `/unfollow` · `/follows` — which channels hear about which shows\n"
            "`/settings channel|role|reminders|timezone|view|test` — where and when to post\n"
            "`/settings titles|delay` — AniList titles' language, streaming delay\n"
            "`/settings threads enabled` — a discussion thread on each announcement\n"
            "`/settings digest [channel]` — a weekly post of the week's releases\n"
            "`/settings events enabled` — premieres and finales in the Events tab\n"
            "`/settings calendar [regenerate]` — the live calendar feed and schedule page"
        ),
        inline=False,
    )
    if settings is None:
        return embed
    setup = [
        f"Announcements go to <#{settings.channel_id}>"
        if settings.channel_id
        else "No announcement channel yet: a moderator runs `/settings channel`",
        f"Pings <@&{settings.role_id}>" if settings.role_id else "Pings nobody",
        f"Reminders: {durations.format_offsets(settings.offsets)} before",
    ]
    embed.add_field(name="Set up here", value="\n".join(setup), inline=False)
    return embed


def sample_announcement(now: datetime) -> Notification:
    """A made-up announcement for `/settings test`, one hour from now."""
    show = Show(
        id=0,
        guild_id=None,
        title="Airdate test",
        description="This is what an announcement looks like. Nothing is really coming out.",
    )
    time = ReleaseTime(now.replace(microsecond=0) + timedelta(hours=1), Precision.EXACT, "UTC")
    release = Release(0, show, "Sample", time, ReleaseStatus.SCHEDULED, 1)
    return Notification(DeliveryKind.ANNOUNCEMENT, release, due_at=now)
