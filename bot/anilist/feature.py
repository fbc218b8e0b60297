"""Everything Airdate does with AniList, as one thing the bot starts and stops."""

from __future__ import annotations

from dataclasses import dataclass

from bot.anilist.autocomplete import AniListAutocomplete
from bot.anilist.client import AniListClient
from bot.anilist.follow import AniListFollower
from bot.anilist.sync import AniListSyncJob


@dataclass(frozen=True, slots=True)
class AniList:
    """The client with its one limiter, `/anilist follow` with its autocomplete, and the
    sync job (built by the composition root, started once the bot is ready)."""

    client: AniListClient
    follower: AniListFollower
    autocomplete: AniListAutocomplete
    sync_job: AniListSyncJob

    def start(self) -> None:
        """Start syncing followed shows (the first sync runs at once)."""
        self.sync_job.start()

    async def stop(self) -> None:
        await self.sync_job.stop()
        await self.client.close()
