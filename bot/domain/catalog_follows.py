"""What `/anilist follow` did with each show it was asked for, as plain values.

The catalog service returns these; `bot.ui.anilist_replies` turns them into the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.catalog import CatalogMedia
from bot.domain.models import ReleaseTime


class FollowResult(StrEnum):
    """How following one show ended."""

    FOLLOWED = "followed"
    ALREADY_FOLLOWED = "already_followed"
    NOT_FOUND = "not_found"
    #: `isAdult`: never followed (AniList's 18+ flag).
    ADULT = "adult"
    #: A manga id or link: Airdate follows anime only.
    MANGA = "manga"
    #: AniList timed out, refused or answered nonsense: try again shortly.
    UNAVAILABLE = "unavailable"

    @property
    def failed(self) -> bool:
        """Whether the moderator has something to fix or retry (already followed is fine)."""
        return self not in (FollowResult.FOLLOWED, FollowResult.ALREADY_FOLLOWED)


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    """One show of a `/anilist follow`: what was typed for it and what came of it.

    `media` is known for followed, already followed and adult shows (an adult show's is
    used for nothing but its id); `next_time` is the show's next release as the catalog
    holds it (None: no date yet) and `next_episode` its episode number (None for a show's
    one dated release: a movie or an announced season).
    """

    result: FollowResult
    #: The id, link or text the moderator typed for this show.
    query: str
    media: CatalogMedia | None = None
    next_time: ReleaseTime | None = None
    next_episode: int | None = None
