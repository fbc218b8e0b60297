"""Link buttons to a show's streaming sites, placed before its "Remind me" button."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.domain.catalog import StreamingLink
from bot.domain.text import truncate, web_address
from bot.ui.remind import remind_button

#: Discord's limits for buttons: label, link button URL, per row, rows per message.
LABEL_LIMIT = 80
LINK_URL_LIMIT = 512
ROW_WIDTH = 5
MAX_ROWS = 5
#: Most streaming sites one show offers on a message (AniList lists up to a dozen).
MAX_STREAMING_LINKS = 5


@dataclass(frozen=True, slots=True)
class ShowButtons:
    """The buttons one show adds to a message: its streaming sites, then Remind me."""

    show_id: int
    #: The show's title as this guild reads it: names its buttons when a message has several.
    title: str
    streaming: tuple[StreamingLink, ...] = ()
    remind: bool = True


def usable_links(links: Iterable[StreamingLink]) -> list[StreamingLink]:
    """Return the links Discord will take, one per site, at most five, in their order."""
    usable: list[StreamingLink] = []
    sites: set[str] = set()
    for link in links:
        site = _one_line(link.site)
        url = web_address(link.url, LINK_URL_LIMIT)
        if not site or url is None or site.casefold() in sites:
            continue
        sites.add(site.casefold())
        usable.append(StreamingLink(site, url))
        if len(usable) == MAX_STREAMING_LINKS:
            break
    return usable


def streaming_buttons(
    links: Iterable[StreamingLink], *, title: str | None = None, row: int | None = None
) -> list[discord.ui.Button[Any]]:
    """Build one link button per usable site; with `title`, each label names the show too."""
    buttons: list[discord.ui.Button[Any]] = []
    for link in usable_links(links):
        label = link.site if title is None else f"{link.site} · {_one_line(title)}"
        buttons.append(
            discord.ui.Button(
                label=truncate(label, LABEL_LIMIT),
                style=discord.ButtonStyle.link,
                url=link.url,
                row=row,
            )
        )
    return buttons


def message_view(shows: Sequence[ShowButtons]) -> discord.ui.View | None:
    """The buttons of one message: each show's streaming sites on a row, then Remind me.

    Remind me buttons come first in the budget of five rows of five (they are what the
    message is for); streaming rows fill the rows left, one show a row, in message order.
    With several shows in the message, every label names its show.
    """
    shows = _merged(shows)
    reminded = [show for show in shows if show.remind][: MAX_ROWS * ROW_WIDTH]
    remind_rows = -(-len(reminded) // ROW_WIDTH)
    several = len(shows) > 1
    rows: list[list[discord.ui.Button[Any]]] = []
    for show in shows:
        if len(rows) == MAX_ROWS - remind_rows:
            break
        buttons = streaming_buttons(
            show.streaming, title=show.title if several else None, row=len(rows)
        )
        if buttons:
            rows.append(buttons)
    if not rows and not reminded:
        return None
    view = discord.ui.View(timeout=None)
    for buttons in rows:
        for button in buttons:
            view.add_item(button)
    for index, show in enumerate(reminded):
        label = "Remind me"
        if len(reminded) > 1:
            label = truncate(f"Remind me: {_one_line(show.title)}", LABEL_LIMIT)
        button = remind_button(show.show_id, label)
        button.row = len(rows) + index // ROW_WIDTH
        view.add_item(button)
    # A stopped view still renders its buttons, but discord.py won't store it per message.
    view.stop()
    return view


def _merged(shows: Sequence[ShowButtons]) -> list[ShowButtons]:
    """One entry a show, in order of first appearance: a show announced twice (two
    episodes at once) gets one row and one Remind me."""
    merged: dict[int, ShowButtons] = {}
    for show in shows:
        seen = merged.get(show.show_id)
        if seen is None:
            merged[show.show_id] = show
            continue
        merged[show.show_id] = ShowButtons(
            seen.show_id, seen.title, seen.streaming or show.streaming, seen.remind or show.remind
        )
    return list(merged.values())


def _one_line(text: str) -> str:
    return " ".join(text.split())
