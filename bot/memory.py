"""How the process collects garbage: tuned for a bot that makes many short-lived objects.

A reconcile of a guild with 10,000 releases makes some 150,000 small acyclic objects
(releases, keys, owed messages) that die with it. Python's default collector runs a
young-generation pass every 700 allocations and, every hundred of those, walks the whole
heap: thousands of passes that find nothing to free, about a tenth of the command's CPU,
and the full walks land as spikes in its slowest runs (bench/RESULTS.md). What start-up
built lives as long as the process and is frozen out of every later walk.
"""

from __future__ import annotations

import gc

#: Allocations (net of frees) between young-generation passes (Python's default: 700).
YOUNG_THRESHOLD = 50_000
#: Young passes per middle pass, middle passes per full walk (Python's: 10 and 10).
OLDER_THRESHOLDS = (20, 20)


def tune_garbage_collection() -> None:
    """Freeze what exists now out of later collections and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
