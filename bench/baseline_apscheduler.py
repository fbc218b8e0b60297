"""The usual design, for comparison: one APScheduler 3 date job per pending reminder.

    python -m bench.baseline_apscheduler memory OUTBOX_DB      # MemoryJobStore
    python -m bench.baseline_apscheduler sqlalchemy JOBS_DB    # SQLAlchemyJobStore on SQLite

`memory` reads the same pending rows Airdate's outbox holds and adds one date job each,
in due order (the cheapest order for the memory store's sorted list), then starts the
scheduler: start-up is until every job is in. `sqlalchemy` starts a scheduler over a
job table that `fill_jobs_table` filled with bulk SQL. Each prints JSON on its last line.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._scale_probe import rss_mb


def remind(delivery_id: int) -> None:
    """What each baseline job would run (never reached: every job is in the future)."""


async def _memory(path: Path) -> dict[str, Any]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    started = time.perf_counter()
    scheduler = AsyncIOScheduler(timezone="UTC")
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT id, due_at FROM deliveries WHERE status = 'pending' ORDER BY due_at"
        )
        count = 0
        for delivery_id, due_at in rows:
            scheduler.add_job(
                remind,
                "date",
                run_date=datetime.fromtimestamp(due_at, UTC),
                args=(delivery_id,),
                id=str(delivery_id),
                misfire_grace_time=None,
            )
            count += 1
    scheduler.start()
    await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    result = {"jobs": count, "ready": elapsed, "rss_mb": rss_mb()}
    scheduler.shutdown(wait=False)
    return result


async def _sqlalchemy(path: Path) -> dict[str, Any]:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    started = time.perf_counter()
    scheduler = AsyncIOScheduler(
        timezone="UTC", jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}
    )
    scheduler.start()
    await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    with sqlite3.connect(path) as connection:
        count = connection.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0]
    result = {"jobs": count, "ready": elapsed, "rss_mb": rss_mb()}
    scheduler.shutdown(wait=False)
    return result


def fill_jobs_table(outbox: Path, jobs_db: Path) -> float:
    """Write one pickled APScheduler job per pending outbox row; return the seconds taken."""
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    started = time.perf_counter()
    store = SQLAlchemyJobStore(url=f"sqlite:///{jobs_db}")
    scheduler = BackgroundScheduler(timezone="UTC")
    store.start(scheduler, "default")  # creates the table as the store would
    store.engine.dispose()
    first = datetime.now(UTC)
    template = Job(
        scheduler,
        id="0",
        func=remind,
        trigger=DateTrigger(first),
        executor="default",
        args=(0,),
        kwargs={},
        name="remind",
        misfire_grace_time=None,
        coalesce=False,
        max_instances=1,
        next_run_time=first,
    ).__getstate__()
    with sqlite3.connect(outbox) as source, sqlite3.connect(jobs_db) as target:
        rows = source.execute("SELECT id, due_at FROM deliveries WHERE status = 'pending'")

        def states() -> Any:
            for delivery_id, due_at in rows:
                run_date = datetime.fromtimestamp(due_at, UTC)
                state = dict(template)
                state.update(
                    id=str(delivery_id),
                    args=(delivery_id,),
                    trigger=DateTrigger(run_date),
                    next_run_time=run_date,
                )
                yield str(delivery_id), float(due_at), pickle.dumps(state, pickle.HIGHEST_PROTOCOL)

        target.executemany(
            "INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (?, ?, ?)",
            states(),
        )
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    mode, path = argv[0], Path(argv[1])
    if mode == "memory":
        result = asyncio.run(_memory(path))
    elif mode == "sqlalchemy":
        result = asyncio.run(_sqlalchemy(path))
    else:
        raise SystemExit(f"unknown baseline {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
