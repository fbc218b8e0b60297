"""`python -m bot`: read .env once, check the settings, run Airdate or say in one line why not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from dotenv import find_dotenv, load_dotenv

from bot.config import StartupError, configure_logging, load_config
from bot.main import run


def main() -> int:
    # The .env beside where `make run` starts, not beside this file.
    load_dotenv(find_dotenv(usecwd=True))
    try:
        config = load_config(os.environ)
        configure_logging(config.log_level)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(config))
    except StartupError as error:
        # One line, whatever a path or a library's message held.
        print("airdate: " + " ".join(str(error).split()), file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
