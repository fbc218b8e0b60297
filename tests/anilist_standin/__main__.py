"""`python -m tests.anilist_standin [--port N] [--mode degraded|honest|off]`: serve the samples.

Point the bot at it with ANILIST_API_URL=http://127.0.0.1:<port>/ . Oshi no Ko season 2
(https://anilist.co/anime/166531) has its next episode `--next-episode-in` seconds from
start (default one day).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import timedelta
from typing import cast

from tests.anilist_standin.data import sample_catalogue
from tests.anilist_standin.server import AniListStandin, Mode, wall_clock


async def serve(port: int, mode: Mode, next_episode_in: timedelta) -> None:
    standin = AniListStandin(
        sample_catalogue(wall_clock(), next_episode_in=next_episode_in), mode=mode
    )
    await standin.start(port=port)
    print(f"AniList stand-in ({mode}) at {standin.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.anilist_standin")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mode", choices=["degraded", "honest", "off"], default="degraded")
    parser.add_argument("--next-episode-in", type=float, default=86_400.0, metavar="SECONDS")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(args.port, cast(Mode, args.mode), timedelta(seconds=args.next_episode_in))
        )


if __name__ == "__main__":
    main()
