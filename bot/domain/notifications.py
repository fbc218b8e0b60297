"""What one owed message says, independent of how Discord renders it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.catalog_view import CatalogView
from bot.domain.models import DeliveryKind, Release, ReleaseTime
from bot.domain.owed import ANNOUNCEMENT_CATCH_UP


@dataclass(frozen=True, slots=True)
class Notification:
    """One reminder, announcement or date-change notice about a release."""

    kind: DeliveryKind
    release: Release
    due_at: datetime
    offset: timedelta = timedelta(0)
    late: bool = False
    old_time: ReleaseTime | None = None
    #: A catalog release as the target's guild sees it (cover, synopsis, episode, streaming
    #: links, the broadcast time); `release` is then already titled in the guild's language
    #: and timed when the guild is told. None for a guild's own release.
    catalog: CatalogView | None = None

    @property
    def retry_deadline(self) -> datetime:
        """After this, retrying is pointless: a reminder once its release starts, anything
        else once it is past catching up (6 h after it was due)."""
        at = self.release.time.at
        if self.kind is DeliveryKind.REMINDER and at is not None:
            return at
        return self.due_at + ANNOUNCEMENT_CATCH_UP
