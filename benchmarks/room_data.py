"""The room's data path on the embedded hub: write -> postgres_changes latency, history pages in a
large room, and the app's memory while comments keep arriving.

The hub runs in its own process (`serve_forever`, what `watchparty-tui serve` runs, on a fresh
database file; its tenant-wide limits lifted, see harness.HUB_LIMITS).
Everything talks to it over 127.0.0.1 with the app's own clients (supabase-py's postgrest-py
through `room.tables.RoomTables`, realtime-py). Stamps are `time.monotonic()` in every process.

1. **Changes.** 50 realtime-py subscribers, a socket each, in worker processes, join `room:bench`
   as the app's `RoomLink` does (broadcast, presence; UPDATE rooms, * room_members, INSERT
   comments, filter room_id=eq.bench). A writer inserts comments with the app's
   `RoomTables.insert_comment` (`upsert(on_conflict="id", ignore_duplicates=True)`); latency =
   the subscriber's callback time minus the time just before the REST request. Baselines, taking
   turns with the inserts message by message: the same comment as a plain broadcast over REST
   (`broadcast_room_event`, what the app's announce_comment calls) and over a websocket
   (`send_broadcast`): the hub's fan-out without the database. A lean probe (one raw websocket in
   its own process) shows the hub's part without realtime-py's own per-frame cost, which is also
   timed. Lost and duplicated deliveries are counted.
2. **History.** 100 000 comments in the room, plus 25 000 in 25 other rooms interleaved with them,
   written through REST 1000 rows a request. postgrest-py times the app's newest page and its
   cursor pages (`seq=lt.N`, order seq desc, limit 51, as `RoomTables.comments_before`) at
   several depths, and the naive OFFSET page (`order=seq.desc&offset=K&limit=50`) at the same
   depths: 200 times each, taking turns.
3. **The app's memory.** The real Textual app (`WatchPartyApp` with `LiveRoom`: hub link,
   `RoomSession`, headless libmpv on a generated 30 s video), headless, in its own process.
   Another client writes 10 000 comments as another member's app does (the insert, then the
   `new_comment` announcement), in chunks that wait for the app's feed to show the last one, so
   the app keeps up. At 0, 1k, 2k, 5k and 10k comments, once the feed has shown that comment and
   the screen has drawn it, the app runs gc.collect() and reports its VmRSS. Then 40 calm
   comments, 100 ms apart, time insert -> in the feed. The baseline is the same app with
   `room.state.COMMENT_WINDOW` unbounded in its process (2000 comments: each costs more than the
   last).

Run: `python benchmarks/room_data.py` (about 3 minutes on 2 cores; `--quick` about a minute).
The figures are printed first; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from harness import HUB_LIMITS, peak_rss_mb
from room_data_phases import (
    measure_changes,
    measure_feed,
    measure_history,
    print_changes,
    print_feed,
    print_history,
)
from room_data_processes import HubProcess, now

from player.sources import render_demo_file
from room.state import COMMENT_WINDOW

CHANGE_P99_GOAL_MS = 20.0
HISTORY_PAGE_GOAL_MS = 50.0


async def measure_unverified(folder: Path, args: argparse.Namespace, run: dict[str, Any]) -> None:
    """The cost of verification: phases 1 and 2 on the same hub with its identity checks
    switched off in its process (a fresh database)."""
    bare = HubProcess(folder / "unverified.sqlite3", unverified=True)
    args.hub_pid = bare.pid
    try:
        print("on the hub without verification (tokens, rules, payload checks)")
        run["unverified_changes"] = await measure_changes(bare.url, args)
        print_changes(run["unverified_changes"], args)
        run["unverified_history"] = await measure_history(bare.url, args)
        print_history(run["unverified_history"], args)
    finally:
        bare.stop()


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="room-data-") as folder_name:
        folder = Path(folder_name)
        media = await asyncio.to_thread(
            render_demo_file, folder / "demo-160x90-30s.mkv", duration_s=30.0, size="160x90"
        )
        run: dict[str, Any] = {}
        if args.unverified_baseline and args.unverified_first:
            await measure_unverified(folder, args, run)
        hub = HubProcess(folder / "hub.sqlite3")
        args.hub_pid = hub.pid
        try:
            print(f"hub {hub.url} in its own process, database {folder / 'hub.sqlite3'}")
            run["changes"] = await measure_changes(hub.url, args)
            print_changes(run["changes"], args)
            run["history"] = await measure_history(hub.url, args)
            print_history(run["history"], args)
            print(
                f"3. the app (WatchPartyApp + LiveRoom, headless libmpv) while comments arrive, "
                f"in chunks of {args.chunk} at up to {args.feed_rate:g}/s",
                flush=True,
            )
            run["feed"] = await measure_feed(hub.url, media, folder, args, unbounded=False)
            print_feed(run["feed"], f"as shipped (COMMENT_WINDOW {COMMENT_WINDOW})")
            run["unbounded"] = await measure_feed(hub.url, media, folder, args, unbounded=True)
            print_feed(run["unbounded"], "baseline: no window (COMMENT_WINDOW unbounded)")
            run["hub_peak_rss_mb"] = round(peak_rss_mb(hub.pid), 1)
        finally:
            run["hub_log"] = hub.stop()[1]
        if args.unverified_baseline and not args.unverified_first:
            await measure_unverified(folder, args, run)
    return run


def summary(run: dict[str, Any], args: argparse.Namespace, run_s: float) -> dict[str, Any]:
    changes, history, feed, unbounded = (
        run["changes"],
        run["history"],
        run["feed"],
        run["unbounded"],
    )
    change, rest, ws = changes["change"], changes["rest_broadcast"], changes["ws_broadcast"]
    queries, deepest = history["queries"], history["depths"][-1]
    feed_per_1k = unbounded_per_1k = None
    if feed["rss_growth_mb"] is not None:
        feed_per_1k = round(
            feed["rss_growth_mb"] / (feed["comments"] - feed["growth_from"]) * 1000, 2
        )
    if unbounded["rss_growth_mb"] is not None:
        span = unbounded["comments"] - unbounded["growth_from"]
        unbounded_per_1k = round(unbounded["rss_growth_mb"] / span * 1000, 2)
    verification: dict[str, Any] = {}
    if "unverified_changes" in run:
        bare_change = run["unverified_changes"]["change"]["every_subscriber"]
        bare_pages = run["unverified_history"]["cursor_pages"]
        verification = {
            "unverified_change_p50_ms": bare_change["p50_ms"],
            "unverified_change_p95_ms": bare_change["p95_ms"],
            "unverified_change_p99_ms": bare_change["p99_ms"],
            "unverified_history_page_ms": bare_pages["p50_ms"],
            "unverified_history_page_p95_ms": bare_pages["p95_ms"],
        }
    return {
        **verification,
        # 1. write -> postgres_changes, every delivery to the realtime-py subscribers
        "change_p50_ms": change["every_subscriber"]["p50_ms"],
        "change_p95_ms": change["every_subscriber"]["p95_ms"],
        "change_p99_ms": change["every_subscriber"]["p99_ms"],
        "change_max_ms": change["every_subscriber"]["max_ms"],
        "change_first_subscriber_p99_ms": change["first_subscriber"]["p99_ms"],
        "change_last_subscriber_p99_ms": change["last_subscriber"]["p99_ms"],
        "change_probe_p50_ms": change["probe"]["p50_ms"],
        "change_probe_p99_ms": change["probe"]["p99_ms"],
        "change_insert_returned_p50_ms": change["call_returned"]["p50_ms"],
        "change_insert_returned_p99_ms": change["call_returned"]["p99_ms"],
        "change_lost": change["lost"] + change["probe_lost"],
        "change_duplicated": change["duplicated"] + change["probe_duplicated"],
        "unexpected_receipts": changes["unexpected_receipts"],
        "baseline_rest_broadcast_p50_ms": rest["every_subscriber"]["p50_ms"],
        "baseline_rest_broadcast_p99_ms": rest["every_subscriber"]["p99_ms"],
        "baseline_rest_broadcast_probe_p99_ms": rest["probe"]["p99_ms"],
        "baseline_ws_broadcast_p50_ms": ws["every_subscriber"]["p50_ms"],
        "baseline_ws_broadcast_p99_ms": ws["every_subscriber"]["p99_ms"],
        "baseline_ws_broadcast_probe_p99_ms": ws["probe"]["p99_ms"],
        "baseline_lost": rest["lost"] + ws["lost"] + rest["probe_lost"] + ws["probe_lost"],
        "baseline_duplicated": sum(k["duplicated"] + k["probe_duplicated"] for k in (rest, ws)),
        "realtime_py_us_per_frame": changes["realtime_py_us_per_frame"],
        "subscribers": args.subscribers,
        "subscriber_processes": args.worker_processes,
        "rounds": args.rounds,
        # 2. history pages
        "history_page_ms": history["cursor_pages"]["p50_ms"],
        "history_page_p95_ms": history["cursor_pages"]["p95_ms"],
        "history_page_p99_ms": history["cursor_pages"]["p99_ms"],
        "history_newest_page_p50_ms": queries["newest page"]["p50_ms"],
        "history_deepest_cursor_p50_ms": queries[f"cursor, {deepest} back"]["p50_ms"],
        "baseline_offset_deepest_p50_ms": queries[f"baseline: offset, {deepest} back"]["p50_ms"],
        "baseline_offset_deepest_p95_ms": queries[f"baseline: offset, {deepest} back"]["p95_ms"],
        "history_comments": history["comments_in_room"],
        "history_depths": history["depths"],
        "history_pages_p50_ms": {name: q["p50_ms"] for name, q in queries.items()},
        # 3. the app's memory
        "feed_rss_growth_mb": feed["rss_growth_mb"],
        "feed_rss_growth_mb_per_1k": feed_per_1k,
        "feed_rss_mb": feed["rss_mb"],
        "feed_python_blocks": feed["python_blocks"],
        "feed_cpu_ms_per_comment": feed["cpu_ms_per_comment"],
        "feed_burst_comments_per_s": feed["burst_comments_per_s"],
        "feed_calm_insert_to_feed_p50_ms": feed["calm_insert_to_feed"]["p50_ms"],
        "feed_calm_insert_to_feed_p95_ms": feed["calm_insert_to_feed"]["p95_ms"],
        "feed_calm_not_shown": feed["calm_not_shown"],
        "feed_comments": feed["comments"],
        "baseline_unbounded_rss_growth_mb": unbounded["rss_growth_mb"],
        "baseline_unbounded_rss_growth_mb_per_1k": unbounded_per_1k,
        "baseline_unbounded_rss_mb": unbounded["rss_mb"],
        "baseline_unbounded_python_blocks": unbounded["python_blocks"],
        "baseline_unbounded_cpu_ms_per_comment": unbounded["cpu_ms_per_comment"],
        "baseline_unbounded_burst_comments_per_s": unbounded["burst_comments_per_s"],
        "baseline_unbounded_calm_insert_to_feed_p50_ms": unbounded["calm_insert_to_feed"]["p50_ms"],
        "baseline_unbounded_calm_insert_to_feed_p95_ms": unbounded["calm_insert_to_feed"]["p95_ms"],
        "baseline_unbounded_comments": unbounded["comments"],
        # goals (issue 6) and the machine
        "goal_change_p99_20ms_met": (change["every_subscriber"]["p99_ms"] or 1e9)
        <= CHANGE_P99_GOAL_MS,
        "goal_change_p99_20ms_met_by_the_probe": (change["probe"]["p99_ms"] or 1e9)
        <= CHANGE_P99_GOAL_MS,
        "goal_history_page_50ms_met": (history["cursor_pages"]["p50_ms"] or 1e9)
        < HISTORY_PAGE_GOAL_MS,
        "hub_limits_raised": HUB_LIMITS,
        "hub_peak_rss_mb": run["hub_peak_rss_mb"],
        "hub_log_lines": len(run["hub_log"]),
        "other_load_pct_of_a_core": {
            "changes": changes["other_load_pct_of_a_core"],
            "history": history["other_load_pct_of_a_core"],
            "feed": feed["other_load_pct_of_a_core"],
            "feed_unbounded": unbounded["other_load_pct_of_a_core"],
        },
        "sender_loop_lag_p99_ms": changes["writer_loop_lag"]["p99_ms"],
        "load_avg_1_5_min": [round(v, 2) for v in os.getloadavg()[:2]],
        "run_s": round(run_s, 1),
        "quick": args.quick,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (the smoke test)")
    parser.add_argument(
        "--no-unverified-baseline",
        dest="unverified_baseline",
        action="store_false",
        help="skip phases 1-2 on the hub without verification (the cost of verification)",
    )
    parser.add_argument(
        "--unverified-first",
        action="store_true",
        help="run those before the hub as shipped (a second run shows the order's effect)",
    )
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--worker-processes", type=int, default=2, help="for the subscribers")
    parser.add_argument("--rounds", type=int, default=300, help="measured rounds of 3 messages")
    parser.add_argument("--warmup-rounds", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=30.0, help="after each message")
    parser.add_argument("--history", type=int, default=100_000, help="comments in the room")
    parser.add_argument("--page-repeats", type=int, default=200)
    parser.add_argument("--feed-comments", type=int, default=10_000)
    parser.add_argument(
        "--baseline-comments", type=int, default=2_000, help="for the unbounded window"
    )
    parser.add_argument("--feed-rate", type=float, default=250.0, help="comments/s at most")
    parser.add_argument("--chunk", type=int, default=250, help="comments between waits")
    parser.add_argument("--calm-comments", type=int, default=40)
    parser.add_argument("--calm-gap-s", type=float, default=0.1)
    parser.add_argument(
        "--no-notifications", action="store_true", help="diagnosis: the app shows no toasts"
    )
    parser.add_argument(
        "--count-objects",
        action="store_true",
        help="diagnosis: the app prints which kinds of objects grew between samples",
    )
    args = parser.parse_args()
    args.app_flags = [
        flag
        for flag, wanted in (
            ("--no-notifications", args.no_notifications),
            ("--count-objects", args.count_objects),
        )
        if wanted
    ]
    args.depths = [1_000, 10_000, 50_000, 99_000]
    args.checkpoints = [1_000, 2_000, 5_000, 10_000]
    if args.quick:
        args.subscribers, args.worker_processes, args.rounds, args.warmup_rounds = 10, 1, 40, 5
        args.history, args.page_repeats, args.depths = 10_000, 30, [1_000, 9_000]
        args.feed_comments, args.baseline_comments = 1_000, 500
        args.checkpoints, args.chunk, args.calm_comments = [100, 200, 500, 1_000], 100, 10
    started = now()
    run = asyncio.run(benchmark(args))
    for text in run["hub_log"][-10:]:
        print(f"hub log: {text[:200]}")
    print(json.dumps(summary(run, args, now() - started)))


if __name__ == "__main__":
    main()
