"""The "Remind me" button as posted; `cogs.subscriptions` answers its clicks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.domain.text import truncate

CUSTOM_ID_PREFIX = "airdate:remind:"
#: Which custom ids are Remind me buttons, and of which show: matched on every click, so a
#: button keeps working on messages posted before a restart.
CUSTOM_ID_TEMPLATE = r"airdate:remind:(?P<show_id>[0-9]{1,20})"


def remind_button(show_id: int, label: str = "Remind me") -> discord.ui.Button[Any]:
    """Build the button that subscribes whoever clicks it to the show."""
    return discord.ui.Button(
        label=label,
        style=discord.ButtonStyle.primary,
        emoji="\N{BELL}",
        custom_id=f"{CUSTOM_ID_PREFIX}{show_id}",
    )


def remind_view(show_ids: Sequence[int], titles: Sequence[str] = ()) -> discord.ui.View | None:
    """A view of Remind me buttons that is not kept in memory: a DynamicItem answers clicks."""
    if not show_ids:
        return None
    view = discord.ui.View(timeout=None)
    for index, show_id in enumerate(show_ids):
        label = "Remind me"
        if len(show_ids) > 1 and index < len(titles):
            label = truncate(f"Remind me: {titles[index]}", 80)
        view.add_item(remind_button(show_id, label))
    # A stopped view still renders its buttons, but discord.py won't store it per message.
    view.stop()
    return view
