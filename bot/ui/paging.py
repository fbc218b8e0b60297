"""`/upcoming`'s pages: ten releases a page, with Previous/Next buttons past ten."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.models import Release
from bot.ui.messages import upcoming_embed

PAGE_SIZE = 10


class UpcomingPages(discord.ui.View):
    def __init__(
        self, releases: Sequence[Release], *, within_text: str, more: bool = False
    ) -> None:
        """`more`: the window holds releases beyond these, which the pages then say."""
        super().__init__(timeout=600)
        self._releases = list(releases)
        self._within_text = within_text
        self._more = more
        self._page = 0
        self._pages = max(1, -(-len(self._releases) // PAGE_SIZE))
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        start = self._page * PAGE_SIZE
        return upcoming_embed(
            self._releases[start : start + PAGE_SIZE],
            page=self._page,
            pages=self._pages,
            within_text=self._within_text,
            total=len(self._releases),
            more=self._more,
        )

    def view(self) -> UpcomingPages | None:
        """The buttons to send with the first page, or None when one page holds everything."""
        return self if self._pages > 1 else None

    def _sync_buttons(self) -> None:
        self.previous.disabled = self._page == 0
        self.next.disabled = self._page >= self._pages - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        self._page = max(0, min(page, self._pages - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[UpcomingPages]
    ) -> None:
        await self._show(interaction, self._page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[UpcomingPages]
    ) -> None:
        await self._show(interaction, self._page + 1)
