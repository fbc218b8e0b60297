"""What messages a release owes, and which of the overdue ones are still worth sending.

Pure rules over domain values: the delivery engine stores what `owed_deliveries` returns
and asks `triage` what to do with rows that came due.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.models import (
    DeliveryKey,
    DeliveryKind,
    Precision,
    ReleaseStatus,
    ReleaseTime,
    TargetKind,
    require_aware,
)

#: An announcement more than this late is recorded as skipped instead of sent.
ANNOUNCEMENT_CATCH_UP = timedelta(hours=6)
#: An announcement sent later than this after its due time says it is late.
LATE_AFTER = timedelta(seconds=60)
#: A `day` release only gets reminders at least this far ahead.
DAY_PRECISION_MIN_OFFSET = timedelta(days=1)
NONCE_LENGTH = 25


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    key: DeliveryKey
    due_at: datetime


def owed_deliveries(
    *,
    release_id: int,
    time: ReleaseTime,
    revision: int,
    target_id: int,
    offsets: Iterable[timedelta],
    now: datetime,
    target_kind: TargetKind = TargetKind.CHANNEL,
) -> list[PlannedDelivery]:
    """Return the reminders and announcement a target is owed from `now` on.

    Only exact and day releases are scheduled. Offsets whose moment has passed are left
    out: a release added or moved late never sends a reminder at once.
    """
    require_aware(now)
    if not time.precision.is_scheduled or time.at is None:
        return []
    planned = []
    for offset in sorted(set(offsets), reverse=True):
        if time.precision is Precision.DAY and offset < DAY_PRECISION_MIN_OFFSET:
            continue
        due_at = time.at - offset
        if due_at > now:
            key = DeliveryKey(
                release_id,
                DeliveryKind.REMINDER,
                int(offset.total_seconds()),
                revision,
                target_id,
                target_kind,
            )
            planned.append(PlannedDelivery(key, due_at))
    if time.at > now:
        key = DeliveryKey(
            release_id, DeliveryKind.ANNOUNCEMENT, 0, revision, target_id, target_kind
        )
        planned.append(PlannedDelivery(key, time.at))
    return planned


class Verdict(StrEnum):
    SEND = "send"
    SEND_LATE = "send_late"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class DueRow:
    """A delivery that came due, with what the engine knows of its release now."""

    delivery_id: int
    key: DeliveryKey
    due_at: datetime
    release_time: ReleaseTime
    release_status: ReleaseStatus
    release_revision: int


def triage(rows: Sequence[DueRow], now: datetime) -> dict[int, Verdict]:
    """Decide, per delivery id, whether a due row is sent, sent marked late, or skipped.

    - Rows of a cancelled release, or of a revision the release has moved past, are skipped.
    - An announcement up to 6 h late is sent (marked late past 60 s); older ones are skipped.
    - Of the reminders due for one release and target, only the latest is sent, and only
      while the release is still ahead.
    - A date-change notice is sent.
    """
    require_aware(now)
    verdicts: dict[int, Verdict] = {}
    latest_reminder: dict[tuple[int, int], DueRow] = {}
    for row in rows:
        if row.release_status is ReleaseStatus.CANCELLED or (
            row.key.revision != row.release_revision
        ):
            verdicts[row.delivery_id] = Verdict.SKIP
        elif row.key.kind is DeliveryKind.ANNOUNCEMENT:
            lateness = now - row.due_at
            if lateness > ANNOUNCEMENT_CATCH_UP:
                verdicts[row.delivery_id] = Verdict.SKIP
            elif lateness > LATE_AFTER:
                verdicts[row.delivery_id] = Verdict.SEND_LATE
            else:
                verdicts[row.delivery_id] = Verdict.SEND
        elif row.key.kind is DeliveryKind.REMINDER:
            group = (row.key.release_id, row.key.target_id)
            best = latest_reminder.get(group)
            if best is None or row.due_at > best.due_at:
                if best is not None:
                    verdicts[best.delivery_id] = Verdict.SKIP
                latest_reminder[group] = row
            else:
                verdicts[row.delivery_id] = Verdict.SKIP
        else:
            verdicts[row.delivery_id] = Verdict.SEND
    for row in latest_reminder.values():
        starts_at = row.release_time.at
        still_ahead = starts_at is not None and starts_at > now
        verdicts[row.delivery_id] = Verdict.SEND if still_ahead else Verdict.SKIP
    return verdicts


def delivery_nonce(keys: Iterable[DeliveryKey]) -> str:
    """Derive the message nonce for the deliveries sent as one message.

    The nonce covers each row's full key, target included, so Discord's nonce check
    returns the first message only for a true resend of the same message.
    """
    parts = sorted(
        f"{k.release_id}:{k.kind.value}:{k.offset_seconds}:{k.revision}:{k.target_id}" for k in keys
    )
    if not parts:
        raise ValueError("a nonce needs at least one delivery key")
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:NONCE_LENGTH]
