"""The nonce a send carries: the same for a true resend, different for anything else."""

from __future__ import annotations

import pytest

from bot.domain.models import DeliveryKey, DeliveryKind
from bot.domain.planning import NONCE_LENGTH, delivery_nonce

RELEASE = 7
CHANNEL = 111
OTHER_CHANNEL = 222
HOUR_SECONDS = 3_600

REMINDER = DeliveryKind.REMINDER
ANNOUNCEMENT = DeliveryKind.ANNOUNCEMENT
NOTICE = DeliveryKind.NOTICE

KEY = DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 1, CHANNEL)
OTHER_KEY = DeliveryKey(RELEASE + 1, REMINDER, HOUR_SECONDS, 1, CHANNEL)


def test_nonce_is_short_and_deterministic() -> None:
    nonce = delivery_nonce([KEY, OTHER_KEY])
    assert 0 < len(nonce) <= 25
    assert len(nonce) == NONCE_LENGTH
    assert nonce == delivery_nonce([KEY, OTHER_KEY])
    assert nonce == delivery_nonce([OTHER_KEY, KEY])


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 1, OTHER_CHANNEL), id="target"),
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 0, 2, CHANNEL), id="revision"),
        pytest.param(DeliveryKey(RELEASE, REMINDER, 0, 1, CHANNEL), id="kind"),
        pytest.param(DeliveryKey(RELEASE, NOTICE, 0, 1, CHANNEL), id="kind-notice"),
        pytest.param(DeliveryKey(RELEASE, ANNOUNCEMENT, 60, 1, CHANNEL), id="offset"),
        pytest.param(DeliveryKey(RELEASE + 1, ANNOUNCEMENT, 0, 1, CHANNEL), id="release"),
    ],
)
def test_nonce_differs_when_any_part_of_the_key_differs(changed: DeliveryKey) -> None:
    assert delivery_nonce([changed]) != delivery_nonce([KEY])


def test_nonce_of_a_batch_differs_from_its_parts() -> None:
    batch = delivery_nonce([KEY, OTHER_KEY])
    assert batch not in {delivery_nonce([KEY]), delivery_nonce([OTHER_KEY])}


def test_nonce_needs_a_key() -> None:
    with pytest.raises(ValueError):
        delivery_nonce([])
