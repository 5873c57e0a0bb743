"""The benchmarks still run end to end and print the JSON summary their issues ask for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "sync_drift.py"
REQUIRED = ("drift_p50_ms", "drift_p95_ms", "drift_max_ms", "converge_s")


@pytest.mark.slow
def test_quick_benchmark_prints_the_summary_last() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    for prefix in ("", "naive_", "syncplay_"):
        for key in REQUIRED:
            assert prefix + key in summary
    assert summary["drift_p95_ms"] is not None
    assert summary["cpu_per_player_pct"] > 0


ROOM_DATA_SCRIPT = SCRIPT.with_name("room_data.py")
ROOM_DATA_REQUIRED = (
    "change_p50_ms",
    "change_p99_ms",
    "change_probe_p99_ms",
    "baseline_rest_broadcast_p99_ms",
    "baseline_ws_broadcast_p99_ms",
    "history_page_ms",
    "history_page_p95_ms",
    "baseline_offset_deepest_p50_ms",
    "feed_rss_growth_mb",
    "baseline_unbounded_rss_growth_mb",
)


@pytest.mark.slow
def test_quick_room_data_benchmark_prints_the_summary_last() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOM_DATA_SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    for key in ROOM_DATA_REQUIRED:
        assert summary[key] is not None, key
    # Every change and every broadcast reached every subscriber, once.
    assert summary["change_lost"] == 0
    assert summary["change_duplicated"] == 0
    assert summary["baseline_lost"] == 0
    assert summary["baseline_duplicated"] == 0
