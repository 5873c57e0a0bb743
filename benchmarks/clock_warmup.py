"""How far off is each follower's view of the host's clock in a room's first 30 s?

A room of 11 on one hub (in its own process, on 127.0.0.1): a host and ten followers, each
the app's own `tui.live.LiveRoom` with a real headless libmpv player, all started at once
(so their first trips are taken while eleven players load). Every member sits behind its
own TCP proxy (`latency_proxy.py`) that makes member-to-member trips `--slow` ms one way
for the first `--slow-s` seconds and adds nothing afterwards: a room that gathers on a slow
network or a busy machine, then settles.

Everyone runs on one machine and one `time.monotonic()`, so the true offset between any
follower's clock and the host's is 0, and a follower's estimate (`ClockSync.offset_ms`) is
its error. Sampled every 100 ms from the moment the members are started, for `--seconds`.

Baseline in the same run: what the window's shortest round trip alone says (`ClockSync.best`,
the rule before the proven-range estimate), from the same samples. Main's engine as a whole
is measured by running this script in a checkout of main.

Run: `python benchmarks/clock_warmup.py` (under a minute; `--slow-s 0` for a start slowed by
the players' loading alone). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from follow_latency import HubProcess, media_file, parse_jitter, start_live
from harness import CpuHog, percentile, summary
from latency_proxy import ProxyProcess

from tui.live import LiveRoom

FOLLOWERS = 10
SAMPLE_S = 0.1
WINDOWS_S = ((0.0, 15.0), (15.0, 30.0), (20.0, 30.0))
CHECKPOINTS_S = (2, 5, 10, 15, 20, 30)
GOOD_MS = 5.0


def estimates(member: LiveRoom) -> tuple[float | None, float | None, int]:
    """(ours, the shortest trip's, pings sent) of one follower now."""
    session = member.session
    if session is None:
        return None, None, 0
    clock = session.clock
    best = clock.best
    pings = getattr(clock, "pings_sent", None)
    if pings is None:  # main's engine before `pings_sent`
        pings = clock._next_ping_id
    return clock.offset_ms, None if best is None else best.offset_ms, pings


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    media = media_file("pattern")
    hub = HubProcess()
    slow = parse_jitter(args.slow)
    proxies = None
    if slow is not None and args.slow_s > 0:
        port = int(hub.url.rsplit(":", 1)[1])
        proxies = ProxyProcess(port, 1 + FOLLOWERS, slow[0], slow[1], args.seed, args.slow_s)
    urls = iter(proxies.urls) if proxies is not None else None

    def url_for() -> str:
        return next(urls) if urls is not None else hub.url

    hog = CpuHog() if args.cpu_hog else None
    members: list[LiveRoom] = []
    trace: list[list[tuple[float, float | None, float | None, int]]] = [
        [] for _ in range(FOLLOWERS)
    ]
    one_way: dict[str, Any] = {}
    try:
        host = await start_live(url_for(), media, "bench-clock", "host", claim_host=True)
        members.append(host)
        started = time.monotonic()
        joining = [
            start_live(url_for(), media, "bench-clock", f"f{index}") for index in range(FOLLOWERS)
        ]
        sampler = asyncio.create_task(sample(members, trace, started, args.seconds))
        members.extend(await asyncio.gather(*joining))
        await sampler
    finally:
        for member in reversed(members):
            try:
                await member.stop()
            except Exception as error:  # a report, not a crash
                print(f"stopping {member}: {error}")
        hub.stop()
        if proxies is not None:
            one_way = proxies.finish()
        if hog is not None:
            hog.stop()
    return {"trace": trace, "one_way": one_way}


async def sample(
    members: list[LiveRoom],
    trace: list[list[tuple[float, float | None, float | None, int]]],
    started: float,
    seconds: float,
) -> None:
    while (elapsed := time.monotonic() - started) < seconds:
        followers = members[1:]
        for index, follower in enumerate(followers):
            ours, shortest, pings = estimates(follower)
            trace[index].append((elapsed, ours, shortest, pings))
        await asyncio.sleep(SAMPLE_S)


def errors_in(
    trace: list[tuple[float, float | None, float | None, int]],
    which: int,
    window: tuple[float, float],
) -> list[float]:
    low, high = window
    return [abs(row[which]) for row in trace if low <= row[0] < high and row[which] is not None]  # type: ignore[arg-type]


def settled_at(
    trace: list[tuple[float, float | None, float | None, int]], which: int
) -> float | None:
    """From when on the error stays within GOOD_MS (None: not by the end)."""
    since = None
    for row in trace:
        value = row[which]
        if value is not None and abs(value) <= GOOD_MS:
            since = row[0] if since is None else since
        else:
            since = None
    return None if since is None else round(since, 1)


def at(
    trace: list[tuple[float, float | None, float | None, int]], which: int, second: float
) -> float | None:
    rows = [row for row in trace if row[0] <= second]
    value = rows[-1][which] if rows else None
    return None if value is None else round(value, 1)


def report(run: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    trace = run["trace"]
    print(
        f"room of 11 (host + {FOLLOWERS} followers, real libmpv each, all started at once), hub "
        f"on 127.0.0.1; trips {args.slow} ms one way for the first {args.slow_s:g} s "
        f"(measured one-way p50/p99 {run['one_way'].get('p50_ms')}/{run['one_way'].get('p99_ms')})"
    )
    checkpoints = ", ".join(f"{s} s" for s in CHECKPOINTS_S)
    print(f"follower: error (estimated offset, true 0) ms at {checkpoints}; within 5 ms from")
    followers: dict[str, Any] = {}
    for index, rows in enumerate(trace):
        ours = [at(rows, 1, s) for s in CHECKPOINTS_S]
        shortest = [at(rows, 2, s) for s in CHECKPOINTS_S]
        pings = rows[-1][3] if rows else 0
        followers[f"f{index}"] = {
            "error_ms_at": dict(zip(map(str, CHECKPOINTS_S), ours, strict=True)),
            "shortest_trip_error_ms_at": dict(zip(map(str, CHECKPOINTS_S), shortest, strict=True)),
            "within_5ms_from_s": settled_at(rows, 1),
            "shortest_trip_within_5ms_from_s": settled_at(rows, 2),
            "pings": pings,
        }
        print(
            f"  f{index}: ours {ours} from {settled_at(rows, 1)} s; "
            f"shortest trip {shortest} from {settled_at(rows, 2)} s; {pings} pings"
        )
    figures: dict[str, Any] = {}
    for low, high in WINDOWS_S:
        label = f"{low:g}_{high:g}s"
        for which, prefix in ((1, ""), (2, "shortest_trip_")):
            values = [e for rows in trace for e in errors_in(rows, which, (low, high))]
            figures[f"{prefix}clock_error_p50_ms_{label}"] = _round(percentile(values, 50))
            figures[f"{prefix}clock_error_p95_ms_{label}"] = _round(percentile(values, 95))
            figures[f"{prefix}clock_error_max_ms_{label}"] = _round(max(values, default=None))
    settled = [f["within_5ms_from_s"] for f in followers.values()]
    figures["followers_within_5ms_by_end"] = sum(s is not None for s in settled)
    figures["within_5ms_from_s"] = summary([s for s in settled if s is not None], digits=1)
    figures["pings_per_follower"] = summary([f["pings"] for f in followers.values()], digits=1)
    for low, high in WINDOWS_S:
        label = f"{low:g}_{high:g}s"
        print(
            f"|error| {low:g}-{high:g} s, all followers' samples: ours p50 "
            f"{figures[f'clock_error_p50_ms_{label}']} / p95 "
            f"{figures[f'clock_error_p95_ms_{label}']}"
            f" / max {figures[f'clock_error_max_ms_{label}']} ms; shortest trip alone p50 "
            f"{figures[f'shortest_trip_clock_error_p50_ms_{label}']} / p95 "
            f"{figures[f'shortest_trip_clock_error_p95_ms_{label}']} / max "
            f"{figures[f'shortest_trip_clock_error_max_ms_{label}']} ms"
        )
    figures["cpu_hog"] = args.cpu_hog
    figures["slow"] = args.slow
    figures["slow_s"] = args.slow_s
    figures["one_way"] = run["one_way"]
    figures["details"] = followers
    return figures


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--slow",
        default="40-120",
        metavar="LOW-HIGH",
        help="one-way ms at start (member to member)",
    )
    parser.add_argument(
        "--slow-s", type=float, default=15.0, help="how long the start is slow (0: never)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to watch")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--cpu-hog", action="store_true", help="pin core 0 with a spinning process for the run"
    )
    args = parser.parse_args()
    run = asyncio.run(benchmark(args))
    print(json.dumps(report(run, args)))


if __name__ == "__main__":
    main()
