"""What one owed message says, independent of how Discord renders it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import DeliveryKind, Release, ReleaseTime


@dataclass(frozen=True, slots=True)
class Notification:
    """One reminder, announcement or date-change notice about a release."""

    kind: DeliveryKind
    release: Release
    due_at: datetime
    offset: timedelta = timedelta(0)
    late: bool = False
    old_time: ReleaseTime | None = None
