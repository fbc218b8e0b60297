"""The weekly digest as the bot holds it: its setting's service and its outbox."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.digest_delivery import DigestOutbox
from bot.services.digests import DigestService


@dataclass(frozen=True, slots=True)
class Digests:
    settings: DigestService
    outbox: DigestOutbox

    def start(self) -> None:
        self.outbox.start()

    async def stop(self) -> None:
        await self.outbox.stop()
