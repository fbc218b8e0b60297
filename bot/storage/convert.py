"""Conversions between domain values and SQLite columns."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.models import require_aware


def to_epoch(moment: datetime) -> int:
    """Return `moment` as UTC integer seconds, for a `*_at` column."""
    return int(require_aware(moment).timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def maybe_epoch(moment: datetime | None) -> int | None:
    return None if moment is None else to_epoch(moment)


def maybe_datetime(seconds: int | None) -> datetime | None:
    return None if seconds is None else from_epoch(seconds)
