"""Scale benchmarks (issue #4): start-up, memory, dispatch lateness and command latency with
a million pending deliveries and a large catalog, side by side with one APScheduler job per
reminder.

`run()` builds its data (deterministic, no downloads) in a temporary directory, runs each
measurement in a fresh process (`bench._scale_probe`, `bench.baseline_apscheduler`) and
returns the markdown sections for bench/RESULTS.md. `python -m bench.scale [--quick]`
prints them; `python -m bench.scale --catalog [--quick]` builds only the catalog and
prints only the autocomplete and `/upcoming` section (about a minute).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.baseline_apscheduler import fill_jobs_table

COMMAND = "`make bench`"
STARTUP_RUNS = 3
TARGETS = {
    "ready_s": 2.0,
    "rss_growth_mb": 20.0,
    "lateness_p99_ms": 100.0,
    "autocomplete_p99_ms": 20.0,
    "upcoming_p99_ms": 50.0,
    "ratio": 10.0,
}


def _probe(module: str, *args: object) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"{module} {args} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _copy(source: Path, target: Path) -> Path:
    """A private copy for a probe that writes (no stale WAL left next to it)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import apscheduler

    return (
        f"{cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"APScheduler {apscheduler.__version__}"
    )


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(float(run[key]) for run in runs))


def _fmt_n(n: int) -> str:
    return f"{n:,}"


def _ok(value: float, target: float, *, above: bool = False) -> str:
    met = value >= target if above else value < target
    return "met" if met else "**missed**"


def _catalog_section(
    catalog: dict[str, Any], shows: int, releases: int, queries: int, notes: list[str]
) -> list[str]:
    """The autocomplete and /upcoming section, from the catalog probe's result."""
    out: list[str] = []
    out.append(
        f"### Autocomplete and `/upcoming` with {_fmt_n(shows)} shows and "
        f"{_fmt_n(releases)} releases\n"
    )
    out.append(
        'One guild; titles of 1-4 generated words, releases "Episode N" (a few Special or '
        "Movie) over the next 2 years, ~8 % past, 3 % TBA, 3 % cancelled. The real bot "
        'against the simulator: `sim.autocomplete(..., "countdown", {"release": q}, '
        f'focused="release")` for {queries} queries typed as users would (title prefixes '
        'of 1-12 characters, substrings, title word + "ep N", 1-2 letters, misses), and '
        "`/upcoming within:` 1d to 730d. *Round trip* is measured in the test process "
        "(simulator, gateway, discord.py, the command, the REST reply); *service* is "
        "`bot.releases.suggest` / `bot.releases.upcoming` alone (database time).\n"
    )
    out.append(
        "| measure | n | round trip p50 | round trip p99 | service p50 | service p99 "
        "| target (p99) |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---|")
    ac, acs = catalog["autocomplete"], catalog["autocomplete_service"]
    up, ups = catalog["upcoming"], catalog["upcoming_service"]
    out.append(
        f"| autocomplete (all) | {ac['n']} | {ac['p50_ms']:.1f} ms | {ac['p99_ms']:.1f} ms "
        f"| {acs['p50_ms']:.1f} ms | {acs['p99_ms']:.1f} ms "
        f"| < 20 ms: {_ok(ac['p99_ms'], TARGETS['autocomplete_p99_ms'])} |"
    )
    for kind, stats in catalog["autocomplete_by_kind"].items():
        service = catalog["autocomplete_service_by_kind"][kind]
        out.append(
            f"| · {kind} | {stats['n']} | {stats['p50_ms']:.1f} ms | {stats['p99_ms']:.1f} ms "
            f"| {service['p50_ms']:.1f} ms | {service['p99_ms']:.1f} ms | |"
        )
    out.append(
        f"| `/upcoming` | {up['n']} | {up['p50_ms']:.1f} ms | {up['p99_ms']:.1f} ms "
        f"| {ups['p50_ms']:.1f} ms | {ups['p99_ms']:.1f} ms "
        f"| < 50 ms: {_ok(up['p99_ms'], TARGETS['upcoming_p99_ms'])} |"
    )
    if catalog["errors"]:
        notes.append(f"Command errors during the catalog run: {catalog['errors']}")
    out.append("")
    return out


def run_catalog(quick: bool = False) -> str:
    """Only the autocomplete and /upcoming section: build the catalog, run its probe."""
    scale = 10 if quick else 1
    shows, releases = 100_000 // scale, 1_000_000 // scale
    queries = 60 if quick else 300
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airdate-catalog-") as tmp:
        root = Path(tmp)
        catalog_db = root / "catalog.db"
        build_s, titles = data.build_catalog(catalog_db, shows, releases)
        titles_path = root / "titles.json"
        titles_path.write_text(json.dumps(titles))
        catalog = _probe("bench._scale_probe", "catalog", catalog_db, titles_path, queries)
    out = [f"(catalog built in {build_s:.1f} s)\n"]
    out += _catalog_section(catalog, shows, releases, queries, notes)
    out += [f"- {note}" for note in notes]
    return "\n".join(out)


def run(quick: bool = False) -> str:
    scale = 10 if quick else 1
    sizes = [0, 100_000 // scale, 1_000_000 // scale]
    burst = 10_000 // scale
    shows, releases = 100_000 // scale, 1_000_000 // scale
    queries = 60 if quick else 300
    started = time.perf_counter()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airdate-scale-") as tmp:
        root = Path(tmp)
        outboxes: dict[int, Path] = {}
        build_s: dict[str, float] = {}
        for size in sizes:
            outboxes[size] = root / f"outbox-{size}.db"
            build_s[f"outbox {size}"] = data.build_outbox(
                outboxes[size],
                size,
                burst=burst if size == sizes[-1] else 0,
                sending=100 // scale if size else 0,
            )
        catalog_db = root / "catalog.db"
        build_s["catalog"], titles = data.build_catalog(catalog_db, shows, releases)
        titles_path = root / "titles.json"
        titles_path.write_text(json.dumps(titles))
        jobs_dbs: dict[int, Path] = {}
        for size in sizes[1:]:
            jobs_dbs[size] = root / f"jobs-{size}.db"
            build_s[f"jobs {size}"] = fill_jobs_table(outboxes[size], jobs_dbs[size])

        startup: dict[int, list[dict[str, Any]]] = {}
        for size in sizes:
            startup[size] = [
                _probe("bench._scale_probe", "startup", _copy(outboxes[size], root / "run.db"))
                for _ in range(STARTUP_RUNS)
            ]
        memory_store = {
            size: _probe("bench.baseline_apscheduler", "memory", outboxes[size]) for size in sizes
        }
        sql_store = {
            size: _probe("bench.baseline_apscheduler", "sqlalchemy", _copy(path, root / "j.db"))
            for size, path in jobs_dbs.items()
        }
        dispatch = _probe(
            "bench._scale_probe", "dispatch", _copy(outboxes[sizes[-1]], root / "run.db")
        )
        catalog = _probe("bench._scale_probe", "catalog", catalog_db, titles_path, queries)
    total_s = time.perf_counter() - started

    big = sizes[-1]
    base_rss = _median(startup[0], "rss_mb")
    base_ap_rss = memory_store[0]["rss_mb"]
    out: list[str] = []
    out.append("## Scale: a million pending deliveries\n")
    out.append(
        f"Machine: {_machine()}. Command: {COMMAND} (this section alone: "
        f"`python -m bench.scale{' --quick' if quick else ''}`, {total_s:.0f} s including "
        f"building the data: {', '.join(f'{k} {v:.1f} s' for k, v in build_s.items())})."
        + (" **Quick mode: sizes are 10x smaller than the issue's.**" if quick else "")
        + "\n"
    )
    out.append("### Start-up to ready and resident memory\n")
    out.append(
        "The real `AirdateBot` against the local Discord simulator, each run in a fresh "
        f"process on a private copy of the database (median of {STARTUP_RUNS}; page cache "
        "warm). *Engine armed* is from opening the database to the dispatcher's timer "
        "armed: migrations, cogs and command sync, the first pass (which recovers the "
        "rows whose lease expired) and the first `next_wake_at`. *Gateway ready* adds "
        "discord.py's READY handshake, which waits `guild_ready_timeout` after the last "
        "guild streams in (Airdate sets 0.25 s; discord.py's default is 2 s). RSS is VmRSS "
        "at ready (simulator in the same process); growth is minus the same probe at 0 "
        "pending.\n"
    )
    out.append(
        "| pending | open + migrate | login + setup_hook | first pass (lease recovery) "
        "| first next_wake_at | engine armed | gateway ready | RSS | RSS growth |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        runs = startup[size]
        rss = _median(runs, "rss_mb")
        out.append(
            f"| {_fmt_n(size)} | {_median(runs, 'open_migrate') * 1000:.0f} ms "
            f"| {_median(runs, 'login_setup_hook') * 1000:.0f} ms "
            f"| {_median(runs, 'first_run_due') * 1000:.1f} ms "
            f"({runs[0]['recovering_rows']} rows) "
            f"| {_median(runs, 'first_next_wake_at') * 1000:.1f} ms "
            f"| **{_median(runs, 'armed') * 1000:.0f} ms** "
            f"| {_median(runs, 'gateway_ready'):.2f} s "
            f"| {rss:.1f} MB | {rss - base_rss:+.1f} MB |"
        )
    out.append("")
    out.append("Baseline, same run: APScheduler 3, one date job per pending row.\n")
    out.append("| pending | job store | start-up to all jobs in | RSS | RSS growth |")
    out.append("|---:|---|---:|---:|---:|")
    for size in sizes:
        m = memory_store[size]
        out.append(
            f"| {_fmt_n(size)} | memory | {m['ready']:.2f} s | {m['rss_mb']:.1f} MB "
            f"| {m['rss_mb'] - base_ap_rss:+.1f} MB |"
        )
    for size, s in sql_store.items():
        out.append(
            f"| {_fmt_n(size)} | SQLAlchemy on SQLite (filled by bulk SQL in "
            f"{build_s[f'jobs {size}']:.1f} s) | {s['ready'] * 1000:.0f} ms "
            f"| {s['rss_mb']:.1f} MB | {s['rss_mb'] - base_ap_rss:+.1f} MB |"
        )
    out.append("")
    out.append("Airdate against the memory-store baseline (same run):\n")
    out.append(
        "| pending | start-up: baseline / Airdate engine armed | start-up: baseline / "
        "Airdate gateway ready | memory growth: baseline / Airdate |"
    )
    out.append("|---:|---:|---:|---:|")
    ratios: dict[int, tuple[float, float, float]] = {}
    for size in sizes[1:]:
        armed = _median(startup[size], "armed")
        ready = _median(startup[size], "gateway_ready")
        growth = max(_median(startup[size], "rss_mb") - base_rss, 0.1)
        ap_growth = memory_store[size]["rss_mb"] - base_ap_rss
        ratios[size] = (
            memory_store[size]["ready"] / armed,
            memory_store[size]["ready"] / ready,
            ap_growth / growth,
        )
        out.append(
            f"| {_fmt_n(size)} | {ratios[size][0]:.0f}x | {ratios[size][1]:.1f}x "
            f"| {ratios[size][2]:.0f}x{' (Airdate growth under 0.1 MB)' if growth <= 0.1 else ''} |"
        )
    out.append("")

    out.append(f"### Dispatch lateness: {_fmt_n(burst)} due in one second among {_fmt_n(big)}\n")
    out.append(
        "The real `DeliveryService` and `Dispatcher` (APScheduler date job armed for the "
        "earliest row) on the real clock, with a sender that notes `time.time()` when "
        "handed a batch and returns a fake message id at once, so this measures the "
        "scheduler, not Discord. The burst rows are moved to a whole second "
        f"{dispatch['engine_started_before_due_s']:.1f} s after the engine starts; each goes "
        "to its own channel, so rows = messages "
        f"({dispatch['burst_rows']:,} rows, {dispatch['burst_messages']:,} messages). "
        f"Policy: claim_limit {dispatch['claim_limit']}, {dispatch['workers']} workers, "
        "rate limit out of the way. Lateness = handed to the sender minus due.\n"
    )
    out.append("| p50 | p99 | max | first | all handed after due | target p99 |")
    out.append("|---:|---:|---:|---:|---:|---|")
    out.append(
        f"| {dispatch['p50_ms']:.0f} ms | {dispatch['p99_ms']:.0f} ms "
        f"| {dispatch['max_ms']:.0f} ms | {dispatch['min_ms']:.0f} ms "
        f"| {dispatch['drain_s']:.2f} s | < 100 ms: "
        f"{_ok(dispatch['p99_ms'], TARGETS['lateness_p99_ms'])} |"
    )
    if dispatch.get("stop_error"):
        notes.append(f"Stopping the engine after the dispatch run raised: {dispatch['stop_error']}")
    out.append("")

    out += _catalog_section(catalog, shows, releases, queries, notes)
    ac, up = catalog["autocomplete"], catalog["upcoming"]

    armed_big = _median(startup[big], "armed")
    ready_big = _median(startup[big], "gateway_ready")
    growth_big = _median(startup[big], "rss_mb") - base_rss
    out.append(f"### Targets at {_fmt_n(big)} pending\n")
    out.append("| target | measured | |")
    out.append("|---|---:|---|")
    out.append(
        f"| ready < 2 s | engine armed {armed_big * 1000:.0f} ms; gateway ready "
        f"{ready_big:.2f} s | {_ok(armed_big, TARGETS['ready_s'])} (engine); gateway: "
        f"{_ok(ready_big, TARGETS['ready_s'])} |"
    )
    out.append(
        f"| RSS growth < 20 MB | {growth_big:+.1f} MB "
        f"| {_ok(growth_big, TARGETS['rss_growth_mb'])} |"
    )
    out.append(
        f"| dispatch lateness p99 < 100 ms | {dispatch['p99_ms']:.0f} ms "
        f"| {_ok(dispatch['p99_ms'], TARGETS['lateness_p99_ms'])} |"
    )
    out.append(
        f"| autocomplete p99 < 20 ms | {ac['p99_ms']:.1f} ms "
        f"| {_ok(ac['p99_ms'], TARGETS['autocomplete_p99_ms'])} |"
    )
    out.append(
        f"| `/upcoming` p99 < 50 ms | {up['p99_ms']:.1f} ms "
        f"| {_ok(up['p99_ms'], TARGETS['upcoming_p99_ms'])} |"
    )
    start_ratio, _, memory_ratio = ratios[big]
    out.append(
        f"| >= 10x faster start than memory store | {start_ratio:.0f}x (engine armed) "
        f"| {_ok(start_ratio, TARGETS['ratio'], above=True)} |"
    )
    out.append(
        f"| >= 10x less memory than memory store | {memory_ratio:.0f}x "
        f"| {_ok(memory_ratio, TARGETS['ratio'], above=True)} |"
    )
    out.append("")
    out.append(
        "Why the misses miss (when they do):\n\n"
        "- *Gateway ready* is discord.py waiting `guild_ready_timeout` after the last "
        "GUILD_CREATE; it does not depend on the database. Its default of 2 s alone missed "
        "the target, so Airdate sets 0.25 s: READY's own guild list is all that delivery "
        "waits for, and sends need no channel cache.\n"
        "- *Dispatch lateness*: the engine claims up to 3 s ahead "
        "(`DeliveryPolicy.lookahead`) and the fair queue holds each message until its due "
        "moment, counted from when its claim began (counted from when it ended, each was "
        "late by its claim's own 35-200 ms). What remains is handing 10,000 messages to "
        "the sender one after another on one event loop, 5-9 us each now that one sweep "
        "bounds every send by cancelling only what overran (no timer, no asyncio.Timeout "
        "per send); the machine's noise moves that p99 between about 55 and 90 ms.\n"
        "- *Autocomplete*: common words are answered by the first 200 releases in display "
        "order; otherwise the labels are grouped by which typed words they hold and each "
        "group's other words go to the title trigram index at once (words of 1-2 letters "
        "through its vocabulary), so a combination costs what it matches; those releases "
        "are fetched through a covering index, or the display order is walked testing "
        "show and label from another. What is left of the tail is mostly the noisy "
        "machine: a query is a handful of index reads of ~1 ms each.\n"
    )
    if notes:
        out.append("Notes from this run:\n")
        out += [f"- {note}" for note in notes]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    if "--catalog" in sys.argv[1:]:
        print(run_catalog(quick="--quick" in sys.argv[1:]))
    else:
        print(run(quick="--quick" in sys.argv[1:]))
