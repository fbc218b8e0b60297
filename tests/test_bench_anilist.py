"""bench/anilist.py in a small size, so the benchmark cannot rot between `make bench` runs."""

from __future__ import annotations

from pathlib import Path

from bench import anilist


def test_the_anilist_benchmark_measures_a_sync_and_autocomplete() -> None:
    # Through the command `make bench` runs for each size (a fresh process, JSON back).
    result = anilist._measure_in_fresh_process(120, 30)
    unchanged, changed = result["runs"]
    for run in (unchanged, changed):
        assert run["complete"] and run["shows"] == 120
        allowed = anilist.bound(run["shows"], run["airings"]) + run["recheck_requests"]
        assert run["requests"] <= allowed
        assert run["recheck_requests"] <= run["rechecked"]
        assert run["most_in_a_minute"] <= anilist.BUDGET_PER_MINUTE
        assert run["retries_429"] == 0
        # At 30 a minute the requests are 2 s apart on the injected clock, not in real time.
        assert run["injected_seconds"] >= 2 * (run["requests"] - 1)
        assert run["real_seconds"] < run["injected_seconds"]
        assert run["bot_cpu_seconds"] > 0 and run["store_seconds"] > 0
    # The changed sync re-checks what vanished; the unchanged one has nothing to re-check.
    assert unchanged["rechecked"] == 0 < changed["rechecked"]
    assert result["deliveries"] > 0 and result["releases"] > 0
    completion = result["autocomplete"]
    assert completion["asked_anilist_while_measured"] == 0  # the cache is warm
    assert 0 < completion["answered"] < completion["queries"]  # misses answer nothing
    text = anilist.section([result], quick=True)
    assert text.startswith(anilist.SECTION_TITLE)
    assert "| 120 | unchanged | 120 |" in text and "| 120 | changed | 120 |" in text
    assert "python -m bench.anilist --quick" in text


def test_its_section_replaces_the_previous_one_in_results(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\n## Scale\n\nscale table\n", encoding="utf-8")
    anilist.write_section(f"{anilist.SECTION_TITLE}\n\nfirst\n", results)
    anilist.write_section(f"{anilist.SECTION_TITLE}\n\nsecond\n", results)
    text = results.read_text(encoding="utf-8")
    assert text == f"# Benchmarks\n\n## Scale\n\nscale table\n\n{anilist.SECTION_TITLE}\n\nsecond\n"
    # A section after it is kept.
    results.write_text(
        f"# B\n\n{anilist.SECTION_TITLE}\n\nold\n\n## Reconcile\n\nkept\n", encoding="utf-8"
    )
    anilist.write_section(f"{anilist.SECTION_TITLE}\n\nnew\n", results)
    assert results.read_text(encoding="utf-8") == (
        f"# B\n\n{anilist.SECTION_TITLE}\n\nnew\n\n## Reconcile\n\nkept\n"
    )
