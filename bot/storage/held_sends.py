"""Sends held back while an earlier version of the same message is looked for.

A release moved while its message to a target may already be in Discord (the send's
answer was lost) owes that target the new version only if the old one is not there: a
small move counts the old one as told. Until the look for the old one is recorded, the
new one waits, or it could be posted beside the old one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime

from bot.domain.models import DeliveryKey
from bot.storage.convert import from_epoch, to_epoch
from bot.storage.database import Transaction

HELD_REASON = "waiting for a look for an earlier version"


async def waiting_for_a_look(tx: Transaction, delivery_ids: Collection[int]) -> dict[int, datetime]:
    """Of these rows, those with an earlier version to the same target that may be in
    Discord and is still to be looked for, with when that look is due at the latest."""
    if not delivery_ids:
        return {}
    rows = await tx.fetchall(
        """
        SELECT d.id, max(o.lease_expires_at) AS look_due_at
        FROM deliveries d
        JOIN deliveries o
          ON o.release_id = d.release_id AND o.kind = d.kind
         AND o.offset_seconds = d.offset_seconds AND o.target_id = d.target_id
         AND o.id != d.id
        WHERE d.id IN (SELECT value FROM json_each(?))
          AND o.status = 'sending' AND o.verify_only = 1
          AND (o.unconfirmed = 1 OR o.concluded = 0)
        GROUP BY d.id
        """,
        (json.dumps(sorted(delivery_ids)),),
    )
    return {row["id"]: from_epoch(row["look_due_at"]) for row in rows}


async def hold(tx: Transaction, until: dict[int, datetime]) -> None:
    """Keep these claimed rows' leases until `until` without counting the claim as an
    attempt: nothing was sent, so a later claim knows nothing may be in Discord."""
    await tx.executemany(
        "UPDATE deliveries SET lease_expires_at = ?, last_error = ?, concluded = 1, "
        "attempts = max(attempts - 1, 0) WHERE id = ? AND status = 'sending'",
        [(to_epoch(moment), HELD_REASON, i) for i, moment in until.items()],
    )


async def release(tx: Transaction, looked_for: Iterable[DeliveryKey], now: datetime) -> int:
    """Let rows held for these messages' looks be claimed now; return how many."""
    released = 0
    for key in set(looked_for):
        released += await tx.execute(
            """
            UPDATE deliveries SET lease_expires_at = ?
            WHERE release_id = ? AND kind = ? AND offset_seconds = ? AND target_id = ?
              AND status = 'sending' AND last_error = ? AND lease_expires_at > ?
            """,
            (
                to_epoch(now),
                key.release_id,
                key.kind.value,
                key.offset_seconds,
                key.target_id,
                HELD_REASON,
                to_epoch(now),
            ),
        )
    return released
