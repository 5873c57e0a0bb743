"""The benchmarks still run end to end, print the JSON summary their issues ask for, and leave
the user's own folders alone (each run gets a private data folder from benchmarks/_bootstrap)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# benchmarks/ is scripts, not a package: load the shared module by its path, touching no sys.path.
_spec = importlib.util.spec_from_file_location("benchmarks_harness", BENCHMARKS / "harness.py")
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

REQUIRED = ("drift_p50_ms", "drift_p95_ms", "drift_max_ms", "converge_s")


class UserFolders:
    """A pretend user: HOME and XDG_DATA_HOME / XDG_CONFIG_HOME pointed at folders of their
    own, each holding a file of theirs, and a TMPDIR to see what a run leaves behind."""

    def __init__(self, root: Path) -> None:
        self.folders = [root / "home", root / "xdg-data", root / "xdg-config"]
        for folder in self.folders:
            (folder / "watchparty-tui").mkdir(parents=True)
            (folder / "watchparty-tui" / "theirs.txt").write_text("the user's own\n")
        self.tmp = root / "tmp"
        self.tmp.mkdir()
        self.before = self.listing()

    @property
    def env(self) -> dict[str, str]:
        home, data, config = self.folders
        return {
            **os.environ,
            "HOME": str(home),
            "XDG_DATA_HOME": str(data),
            "XDG_CONFIG_HOME": str(config),
            "TMPDIR": str(self.tmp),
        }

    def listing(self) -> dict[str, tuple[int, int]]:
        return {
            str(path): (path.stat().st_size, path.stat().st_mtime_ns)
            for folder in self.folders
            for path in [folder, *folder.rglob("*")]
        }

    def assert_untouched(self) -> None:
        after = self.listing()
        assert after == self.before, {
            "added": sorted(after.keys() - self.before.keys()),
            "changed": sorted(
                p for p in after.keys() & self.before.keys() if after[p] != self.before[p]
            ),
        }
        # The run's private folder went with it.
        assert not list(self.tmp.glob("watchparty-bench-*"))


def test_one_percentile_convention_linear_between_ranks() -> None:
    values = [float(v) for v in (7, 1, 3, 9, 5, 2, 8, 4, 6, 10)]
    percentile, summary = harness.percentile, harness.summary
    inclusive = statistics.quantiles(values, n=100, method="inclusive")
    for q in (5, 50, 95, 99):
        assert percentile(values, q) == pytest.approx(inclusive[q - 1])
    assert percentile(values, 50) == statistics.median(values) == 5.5
    assert percentile(values, 99) == pytest.approx(9.91)
    assert (percentile(values, 0), percentile(values, 100), percentile([], 50)) == (1, 10, None)
    # An event that never happened (infinite) pulls in every percentile that reaches it, and
    # the summary shows it as None (JSON has no infinity).
    assert percentile([1.0, 2.0, math.inf], 50) == 2.0
    assert summary([1.0, 2.0, math.inf], digits=1) == {
        "n": 3,
        "p50_ms": 2.0,
        "p95_ms": None,
        "p99_ms": None,
        "max_ms": None,
    }


def run_benchmark(name: str, user: UserFolders, *args: str, timeout: float) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        env=user.env,
    )
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert isinstance(summary, dict)
    return summary


@pytest.mark.slow
def test_quick_benchmark_prints_the_summary_last(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("sync_drift", user, "--quick", timeout=180)
    for prefix in ("", "naive_", "syncplay_"):
        for key in REQUIRED:
            assert prefix + key in summary
    assert summary["drift_p95_ms"] is not None
    assert summary["cpu_per_player_pct"] > 0
    for key in ("speed_drift_p95_ms", "speed_converge_s", "naive_speed_drift_p95_ms"):
        assert key in summary  # the speed phase's keys (converge_s is null if one never did)
    assert summary["speed_drift_p95_ms"] is not None
    # Each measure of the speed phase says its own noise (the host against itself); the
    # headline keys are the on-time measure's, the latest report's are kept beside them.
    assert summary["speed_measurement_noise_p95_ms"] is not None
    assert summary["speed_latest_report_measurement_noise_p95_ms"] is not None
    assert "speed_latest_report_converge_s" in summary
    user.assert_untouched()


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
def test_quick_room_data_benchmark_prints_the_summary_last(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("room_data", user, "--quick", timeout=300)
    for key in ROOM_DATA_REQUIRED:
        assert summary[key] is not None, key
    # Every change and every broadcast reached every subscriber, once.
    assert summary["change_lost"] == 0
    assert summary["change_duplicated"] == 0
    assert summary["baseline_lost"] == 0
    assert summary["baseline_duplicated"] == 0
    user.assert_untouched()


@pytest.mark.slow
def test_follow_latency_keeps_out_of_the_users_data_folder(tmp_path: Path) -> None:
    """The app's LiveRooms write their outbox and sign-in sessions and the hub its
    hub.sqlite3 into the data folder: the run's own, not the user's."""
    user = UserFolders(tmp_path)
    summary = run_benchmark("follow_latency", user, "--actions", "4", timeout=180)
    assert summary["apply_p50_ms"] is not None
    user.assert_untouched()


@pytest.mark.slow
def test_hub_fanout_keeps_out_of_the_users_data_folder(tmp_path: Path) -> None:
    """Its hub (default settings but the limits) opens hub.sqlite3 in the data folder."""
    user = UserFolders(tmp_path)
    tiny = ("--duration", "1", "--warmup", "0.5", "--scale-duration", "1")
    summary = run_benchmark(
        "hub_fanout", user, *tiny, "--sizes", "20", "--baseline-size", "20", timeout=180
    )
    assert summary["room200_p50_ms"] is not None
    user.assert_untouched()


@pytest.mark.slow
def test_cold_start_keeps_out_of_the_users_data_folder(tmp_path: Path) -> None:
    """`watchparty-tui demo` keeps its user id and renders its video into the data folder."""
    user = UserFolders(tmp_path)
    summary = run_benchmark("cold_start", user, "--runs", "1", timeout=120)
    assert summary["first_frame_median_ms"] > 0
    user.assert_untouched()


ROOM_SCALE_REQUIRED = (
    "max_room_no_cutoff",
    "msgs_per_s_at_50",
    "state_change_visible_p95_s",
    "member_position_error_p95_ms",
    "cutoffs_at_50",
    "naive_max_room_no_cutoff",
)


@pytest.mark.slow
def test_quick_room_scale_prints_the_summary_last(tmp_path: Path) -> None:
    """Its rooms run in processes of their own, each with a hub (hub.sqlite3) and members
    (outbox, sign-in) in a data folder: the run's own, not the user's."""
    user = UserFolders(tmp_path)
    summary = run_benchmark("room_scale", user, "--quick", timeout=240)
    for key in ROOM_SCALE_REQUIRED:
        assert key in summary, key
    assert summary["max_room_no_cutoff"] is not None
    assert summary["member_position_error_p95_ms"] is not None
    assert set(summary["rooms"]) >= {"ours5", "ours16", "naive16"}
    user.assert_untouched()


TERMINAL_VIDEO_REQUIRED = (
    "cpu_pct_80x24_15fps",
    "cpu_pct_160x48_25fps",
    "painted_ratio_min",
    "av_offset_p95_ms",
    "bytes_per_s_80x24_15fps",
    "tct_bytes_per_s_80x24_15fps",
    "kitty_cpu_pct_80x24_15fps",
    "kitty_bytes_per_s_80x24_15fps",
    "kitty_cpu_pct_160x48_25fps",
    "kitty_bytes_per_s_160x48_25fps",
)


@pytest.mark.slow
def test_quick_terminal_video_benchmark_prints_the_summary_last(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("terminal_video", user, "--quick", timeout=400)
    for key in TERMINAL_VIDEO_REQUIRED:
        assert summary[key] is not None, key
    assert summary["painted_ratio_min"] > 0.5, "the pane painted the frames it was given"
    assert summary["bytes_per_s_80x24_15fps"] > 0
    user.assert_untouched()


@pytest.mark.slow
def test_quick_hub_tls_compares_tls_with_plain_and_keeps_out_of_the_users_folders(
    tmp_path: Path,
) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("hub_tls", user, "--quick", timeout=180)
    for name in ("plain", "tls"):
        for part in ("join", "fan_out"):
            assert summary[f"{name}_{part}_p99_ms"] > 0
    assert summary["tls_vs_plain_fan_out_p50_ms"] is not None
    user.assert_untouched()  # the self-signed certificate was made in the run's own folder


def test_quick_room_queue_prints_the_summary_last(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("room_queue", user, "--quick", timeout=300)
    for key in (
        "item_change_all_playing_p95_ms",
        "started_midway",
        "naive_item_change_all_playing_p95_ms",
    ):
        assert key in summary, key
    assert summary["item_change_timeouts"] == 0
    assert summary["item_change_all_playing_p95_ms"] is not None
    user.assert_untouched()


@pytest.mark.slow
def test_chapter_skip_benchmark_measures_both_kinds_and_keeps_out(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("chapter_skip", user, "--rounds", "2", timeout=180)
    assert summary["chapter_aligned_p50_ms"] is not None, summary
    assert summary["seek_aligned_p50_ms"] is not None, summary
    assert summary["rounds"] == 2
    user.assert_untouched()


def test_quick_ytdl_load_compares_a_page_with_its_direct_url(tmp_path: Path) -> None:
    user = UserFolders(tmp_path)
    summary = run_benchmark("ytdl_load", user, "--quick", timeout=180)
    assert summary["loads"] == 3
    assert summary["page_load_p50_ms"] > 0 and summary["direct_load_p50_ms"] > 0
    user.assert_untouched()
