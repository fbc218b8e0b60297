"""Reminders, announcements and notices of catalog (AniList) releases, as one guild sees them.

AniList's text is not trusted to fit or to be harmless: titles and synopses are cut to
Discord's limits and their mentions made inert, and an address that is not http(s) is
left out rather than sent (Discord refuses a whole message over one bad URL).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import discord

from bot.domain import dates, durations
from bot.domain.catalog import CatalogMedia, TitleLanguage
from bot.domain.models import DeliveryKind, Precision, Release, ReleaseTime
from bot.domain.notifications import Notification
from bot.domain.text import LABEL_MAX, truncate, web_address
from bot.ui.messages import (
    ANNOUNCEMENT_COLOUR,
    BOLD_TITLE_LIMIT,
    EMBED_TITLE_LIMIT,
    NOTICE_COLOUR,
    REMINDER_COLOUR,
    SYNOPSIS_LIMIT,
    OutgoingMessage,
    assemble,
    bold_title,
    notification_embed,
    notification_line,
    safe_inline,
)
from bot.ui.streaming import ShowButtons

#: How much of a show's title a line of `content` keeps: with " — " and its label, within
#: what `bold_title` keeps.
CONTENT_TITLE_LIMIT = BOLD_TITLE_LIMIT - LABEL_MAX - 3


@dataclass(frozen=True, slots=True)
class CatalogCard:
    """What a catalog release's messages show one guild beyond the release itself."""

    media: CatalogMedia
    #: The airing's episode; None for a show's one release from its start date.
    episode: int | None = None
    language: TitleLanguage = TitleLanguage.ROMAJI
    #: The guild's `/settings delay after`: it is told this long after the broadcast.
    delay: timedelta = timedelta(0)

    @property
    def title(self) -> str:
        """The show's title in the guild's language, on one line."""
        return show_title(self.media, self.language)


def show_title(media: CatalogMedia, language: TitleLanguage) -> str:
    """The title a guild reads for `media`, on one line (AniList's may hold line breaks).

    A title of nothing but spaces or control characters counts as missing.
    """
    titles = media.titles
    for title in (titles.pick(language), titles.romaji, titles.english, titles.native):
        words = "".join(_printable(c) for c in title or "").split()
        if words:
            return " ".join(words)
    return f"AniList {media.anilist_id}"


def episode_label(episode: int, episodes: int | None) -> str:
    """'Episode 5 of 12', 'Episode 1 of 12 (premiere)', 'Episode 12 of 12 (finale)'.

    'Episode N' alone while the count is unknown, or when AniList's count is behind.
    """
    counted = episodes is not None and 0 < episode <= episodes
    text = f"Episode {episode} of {episodes}" if counted else f"Episode {episode}"
    marks = []
    if episode == 1:
        marks.append("premiere")
    if counted and episode == episodes:
        marks.append("finale")
    return f"{text} ({' and '.join(marks)})" if marks else text


def both_times(broadcast: ReleaseTime, delay: timedelta) -> str:
    """'Broadcast <t:…:F> · here <t:…:F>' for a delayed guild, else the time as usual."""
    if not _delayed(broadcast, delay):
        # A date without its time names the same day, delay or not.
        return dates.display_when(broadcast)
    here = here_time(broadcast, delay)
    return f"Broadcast {dates.display_when(broadcast)} · here {dates.display_when(here)}"


def here_time(broadcast: ReleaseTime, delay: timedelta) -> ReleaseTime:
    """When the guild is told: AniList's airing time plus its delay."""
    if broadcast.at is None or not delay:
        return broadcast
    return replace(broadcast, at=broadcast.at + delay)


def catalog_line(notification: Notification, card: CatalogCard) -> str:
    """The line of `content` a catalog notification adds, with its live countdown."""
    release = notification.release
    time = here_time(release.time, card.delay)
    relative = dates.display_relative(time) or dates.display_when(time)
    tail = f" {both_times(release.time, card.delay)}." if _delayed(release.time, card.delay) else ""
    if notification.kind is DeliveryKind.REMINDER:
        if card.episode is not None and card.episode > 1:
            line = f"{bold_title(card.title)} — Episode {card.episode} airs {relative}."
        else:
            # Episode 1 is the show's premiere: its title says enough.
            shown = card.title if card.episode == 1 else _display_title(release, card)
            line = f"{bold_title(shown)} premieres {relative}."
        return f"\N{ALARM CLOCK} {line}{tail}"
    if notification.kind is DeliveryKind.ANNOUNCEMENT:
        line = f"\N{PARTY POPPER} {bold_title(_display_title(release, card))} is out! "
        line += f"Released {relative}.{tail}"
        if notification.late:
            line += " (Posted late: Airdate was offline when it came out.)"
        return line
    old = notification.old_time
    was = _here_when(old, card.delay) if old is not None else "an earlier date"
    now = _here_when(release.time, card.delay)
    title = bold_title(_display_title(release, card))
    return f"\N{CALENDAR} {title} has moved: was {was}, now {now}."


def catalog_embed(notification: Notification, card: CatalogCard) -> discord.Embed:
    """The release card of a catalog release: cover, synopsis, episode, AniList link."""
    colour, author = {
        DeliveryKind.ANNOUNCEMENT: (ANNOUNCEMENT_COLOUR, "Out now"),
        DeliveryKind.REMINDER: (
            REMINDER_COLOUR,
            f"Reminder: {durations.describe_offset(notification.offset)}",
        ),
        DeliveryKind.NOTICE: (NOTICE_COLOUR, "Date changed"),
    }[notification.kind]
    media = card.media
    synopsis = (media.synopsis or "").strip()
    embed = discord.Embed(
        title=_embed_title(notification.release, card),
        # Escaped, AniList's text reads as written: no pings, no masked links, no markup.
        description=truncate(safe_inline(synopsis), SYNOPSIS_LIMIT) or None,
        colour=colour,
        url=web_address(media.site_url),
    )
    embed.set_author(name=author)
    if notification.kind is DeliveryKind.NOTICE and notification.old_time is not None:
        was = both_times(notification.old_time, card.delay)
        embed.add_field(name="Was", value=was, inline=True)
    embed.add_field(
        name="When", value=both_times(notification.release.time, card.delay), inline=False
    )
    if notification.late:
        due = dates.unix_seconds(notification.due_at)
        embed.add_field(
            name="Posted late", value=f"Due <t:{due}:F>; Airdate was offline.", inline=False
        )
    cover = web_address(media.cover_url)
    if cover is not None:
        embed.set_image(url=cover)
    return embed


def compose_catalog(
    notifications: Sequence[Notification],
    cards: Mapping[int, CatalogCard],
    ping_role_ids: Sequence[int] = (),
    *,
    remind_buttons: bool = False,
) -> OutgoingMessage:
    """Build one message for notifications due together, catalog releases among them.

    `cards` maps a catalog release's id to its card; a release without one is shown as
    `bot.ui.messages.compose` shows it. Announcements of catalog shows carry link buttons
    to their streaming sites (in DMs too); reminders and notices do not.
    """
    if not 1 <= len(notifications) <= 10:
        raise ValueError("a message carries one to ten notifications")
    lines: list[str] = []
    embeds: list[discord.Embed] = []
    buttons: list[ShowButtons] = []
    for n in notifications:
        card = cards.get(n.release.id)
        show_id = n.release.show.id
        if card is None:
            lines.append(notification_line(n))
            embeds.append(notification_embed(n))
            title = n.release.show.title
        else:
            lines.append(catalog_line(n, card))
            embeds.append(catalog_embed(n, card))
            title = card.title
        if n.kind is DeliveryKind.NOTICE:
            continue
        announced = card is not None and n.kind is DeliveryKind.ANNOUNCEMENT
        streaming = card.media.streaming if announced and card is not None else ()
        if remind_buttons or streaming:
            buttons.append(ShowButtons(show_id, title, streaming, remind=remind_buttons))
    return assemble(lines, embeds, ping_role_ids, buttons)


def _delayed(broadcast: ReleaseTime, delay: timedelta) -> bool:
    """Whether the guild hears of an exact time later than it is broadcast."""
    return bool(delay) and broadcast.at is not None and broadcast.precision is Precision.EXACT


def _here_when(broadcast: ReleaseTime, delay: timedelta) -> str:
    """The time as this guild is told it: the exact moment plus its delay, or the date."""
    shown = here_time(broadcast, delay) if _delayed(broadcast, delay) else broadcast
    return dates.display_when(shown)


def _display_title(release: Release, card: CatalogCard) -> str:
    """'Title — Episode 5 of 12', or 'Title — Label' for a show's one dated release.

    A long title is cut so that the label survives `bold_title`'s cut.
    """
    label = _label(release, card)
    if not label:
        return card.title
    return f"{truncate(card.title, CONTENT_TITLE_LIMIT)} — {truncate(label, LABEL_MAX)}"


def _label(release: Release, card: CatalogCard) -> str | None:
    return episode_label(card.episode, card.media.episodes) if card.episode else release.label


def _embed_title(release: Release, card: CatalogCard) -> str:
    """The display title cut to the embed's 256 characters, the episode kept whole."""
    label = _label(release, card)
    title = discord.utils.escape_mentions(card.title)
    if not label:
        return truncate(title, EMBED_TITLE_LIMIT)
    suffix = truncate(f" — {label}", EMBED_TITLE_LIMIT // 2)
    return truncate(title, EMBED_TITLE_LIMIT - len(suffix)) + suffix


def _printable(char: str) -> str:
    if char.isspace():
        return " "
    return "" if unicodedata.category(char) == "Cc" else char


def outgoing_message(
    notifications: Sequence[Notification],
    ping_role_ids: Sequence[int] = (),
    *,
    remind_buttons: bool = False,
) -> OutgoingMessage:
    """The message for notifications due together for one target, each catalog release
    shown with its AniList card (the engine's notifications carry it as `catalog`).

    The engine times a catalog release when its guild is told; the card is built from
    the broadcast and the guild's delay, so the release is shown at its broadcast time.
    """
    cards: dict[int, CatalogCard] = {}
    shown: list[Notification] = []
    for n in notifications:
        view = n.catalog
        if view is None:
            shown.append(n)
            continue
        cards[n.release.id] = CatalogCard(view.media, view.episode, view.title_language, view.delay)
        shown.append(replace(n, release=replace(n.release, time=view.broadcast)))
    return compose_catalog(shown, cards, ping_role_ids, remind_buttons=remind_buttons)
