"""`make bench`: run every benchmark and write bench/RESULTS.md.

python -m bench            # everything (about 15 minutes)
python -m bench --quick    # 10x smaller, a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import anilist, calendar, fanout, reconcile

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    import sqlite3

    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({cpu}){memory}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()}"
    )


def sections() -> list[tuple[str, Callable[[bool], str]]]:
    found: list[tuple[str, Callable[[bool], str]]] = [
        ("fan-out", fanout.run),
        ("reconcile", reconcile.run),
        ("anilist", anilist.run),
        ("calendar", calendar.run),
    ]
    try:
        from bench import scale
    except ImportError:
        return found
    return [("scale", scale.run), *found]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    args = parser.parse_args()
    command = "make bench" + (" (python -m bench --quick)" if args.quick else "")
    parts = [
        "# Airdate benchmarks\n",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n",
        f"Machine: {machine()}.\n",
        "Each number comes from one run on a noisy shared machine; ratios compare "
        "measurements taken side by side in the same run.\n",
    ]
    for name, run in sections():
        started = time.monotonic()
        print(f"running {name} ...", flush=True)
        parts.append(run(args.quick))
        print(f"  {name} took {time.monotonic() - started:.0f} s", flush=True)
    RESULTS.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
