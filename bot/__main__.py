"""`python -m bot`: read .env once, check the settings, and run Airdate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from dotenv import load_dotenv

from bot.config import ConfigError, configure_logging, load_config
from bot.main import run


def main() -> int:
    load_dotenv()
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        print(f"airdate: {error}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
