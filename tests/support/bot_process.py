"""Run the real bot as its own process against a local Discord, for crash tests and benches.

python -m tests.support.bot_process --database X --api-base URL --gateway-url URL [--rate N] ...
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import timedelta
from pathlib import Path

from bot.config import Config, Secret
from bot.main import run
from bot.services.delivery import DeliveryPolicy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--gateway-url", required=True)
    parser.add_argument("--token", default="simulated-bot-token")
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    parser.add_argument("--claim-limit", type=int, default=1000)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s: %(message)s")
    config = Config(
        token=Secret(args.token),
        database_path=args.database,
        api_base=args.api_base,
        gateway_url=args.gateway_url,
        rate_limit_per_second=args.rate,
    )
    policy = DeliveryPolicy(
        lease=timedelta(seconds=args.lease_seconds),
        send_timeout=timedelta(seconds=5),
        claim_limit=args.claim_limit,
        rate_per_second=args.rate,
    )
    asyncio.run(run(config, policy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
