"""`make bench`'s calendar section runs, in its quick mode, and reports what it measured."""

from __future__ import annotations

import re

from bench import calendar


def test_the_quick_calendar_benchmark_reports_every_measure() -> None:
    section = calendar.run(quick=True)
    assert section.startswith("## Calendar feed: a guild seeing 200 upcoming releases")
    assert "The feed holds 200 events" in section
    for build in ("warm", "re-checked", "cold: restarted", "cold: first publication"):
        [row] = [line for line in section.splitlines() if line.startswith(f"| {build}")]
        assert re.search(r"\| [0-9.]+ (ms|µs) \| \*\*[0-9.]+ (ms|µs)\*\* \|", row), row
    # Both ways of writing the VEVENTs were timed (and gave the same bytes).
    for way in ("a whole icalendar `Event` each", "line by line"):
        [row] = [line for line in section.splitlines() if line.startswith(f"| {way}")]
        assert re.search(r"\| [0-9.]+ (ms|µs) \| [0-9.]+ (ms|µs) \| [0-9]+ µs \|$", row), row
    rates = re.findall(r"^\| (1|8) \| ([0-9,]+) \|$", section, re.MULTILINE)
    assert [clients for clients, _ in rates] == ["1", "8"]
    assert all(int(rate.replace(",", "")) > 0 for _, rate in rates)
