"""How owed messages go out: when an announcement counts as late, and message nonces."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import timedelta

from bot.domain.models import DeliveryKey

#: An announcement sent later than this after its due time says it is late.
LATE_AFTER = timedelta(seconds=60)
NONCE_LENGTH = 25


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
