"""Turning the benchmark's samples into figures: steady-state drift, convergence, start and
stop alignment, host stalls, measurement noise; and the printed report."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from harness import fmt, percentile

FRAME_MS = 40.0  # the target: one frame at 25 fps
STEADY_AFTER_S = 3.0
STALL_RECOVERY_S = 1.5
CONVERGED_MS = FRAME_MS
CONVERGED_HOLD_S = 1.0
GROUPS = ("ours", "naive", "syncplay")

Row = tuple[float, str, int, float, bool, bool]
"""(instant, group, member index, drift ms, host playing, member playing)"""


def host_stalls(stamps: list[tuple[float, float]], min_stall_s: float = 0.02) -> list[float]:
    """Instants where the host's own playback froze (the machine starved it): the wall clock
    moved on at least `min_stall_s` more than the position between two observations."""
    return [
        stamp
        for (prev_stamp, prev_position), (stamp, position) in itertools.pairwise(stamps)
        if min_stall_s < (stamp - prev_stamp) - (position - prev_position) < 1.0
    ]


def analyse(
    rows_all: list[Row],
    actions: list[tuple[float, str]],
    host_stamps: list[tuple[float, float]],
    followers_per_group: int,
) -> dict[str, dict[str, float | None]]:
    results: dict[str, dict[str, float | None]] = {}
    stalls = host_stalls(host_stamps)

    def after_stall(t: float) -> bool:
        return any(0 <= t - stall < STALL_RECOVERY_S for stall in stalls)

    def last_action_before(t: float) -> float:
        return max((a for a, _ in actions if a <= t), default=-1e9)

    for group in GROUPS:
        rows = [r for r in rows_all if r[1] == group]
        steady_rows = [
            r for r in rows if r[4] and r[5] and r[0] - last_action_before(r[0]) >= STEADY_AFTER_S
        ]
        steady = [abs(r[3]) for r in steady_rows]
        calm = [abs(r[3]) for r in steady_rows if not after_stall(r[0])]
        converge: list[float | None] = []
        starts: list[float] = []
        stops: list[float] = []
        for i, (t_action, kind) in enumerate(actions):
            t_next = actions[i + 1][0] if i + 1 < len(actions) else float("inf")
            for index in range(followers_per_group):
                window = [r for r in rows if r[2] == index and t_action <= r[0] < t_next]
                if kind in ("play", "seek", "resume", "scheduled resume"):
                    converge.append(time_to_converge(window, t_action, t_next))
                if kind in ("play", "resume", "scheduled resume"):
                    first = next((r for r in window if r[5] and r[4]), None)
                    if first is not None:
                        starts.append(abs(first[3]))
                if kind in ("pause", "seek paused"):
                    settled = [r for r in window if r[0] >= t_action + 1.5 and not r[4]]
                    if settled:
                        stops.append(abs(settled[0][3]))
        done = [c for c in converge if c is not None]
        results[group] = {
            "drift_p50_ms": percentile(steady, 50),
            "drift_p95_ms": percentile(steady, 95),
            "drift_p99_ms": percentile(steady, 99),
            "drift_max_ms": max(steady) if steady else None,
            "drift_max_ms_outside_host_stalls": max(calm) if calm else None,
            "host_stalls": float(len(stalls)),
            "converge_s": None if len(done) < len(converge) or not done else max(done),
            "converge_p50_s": statistics.median(done) if done else None,
            "converge_failures": float(len(converge) - len(done)),
            "start_offset_max_ms": max(starts) if starts else None,
            "stop_offset_max_ms": max(stops) if stops else None,
            "steady_samples": float(len(steady)),
        }
    return results


def time_to_converge(window: list[Row], t_action: float, t_next: float) -> float | None:
    """Seconds from the host's action until the follower is playing within one frame of the
    host and stays there for a second (or until the next action)."""
    for i, row in enumerate(window):
        if not (row[4] and row[5] and abs(row[3]) <= CONVERGED_MS):
            continue
        hold_until = min(row[0] + CONVERGED_HOLD_S, t_next)
        rest = [r for r in window[i:] if r[0] <= hold_until]
        if all(r[5] and abs(r[3]) <= CONVERGED_MS for r in rest) and (
            hold_until < t_next or window[-1][0] >= hold_until - 0.05
        ):
            return row[0] - t_action
    return None


SPEED_SETTLED_S = 2.0
"""Speed-phase drift counts from this long after each change (the goal: within a frame
within 2 s of a change, and staying there)."""


def analyse_speed(
    rows_all: list[Row],
    actions: list[tuple[float, str]],
    host_stamps: list[tuple[float, float, float]],
    followers_per_group: int,
) -> dict[str, object]:
    """The speed phase: per group, |drift| from `SPEED_SETTLED_S` after each change of
    speed to the next (p50/p95/p99/max, and p95 per rate), and time to converge after each
    change (within a frame and holding it for a second)."""
    changes = [(t, float(kind.split()[1])) for t, kind in actions if kind.startswith("speed ")]
    ends = [t for t, _ in actions[1:]] + [float("inf")]
    windows = [(t, rate, next(e for e in ends if e > t)) for t, rate in changes]
    out: dict[str, object] = {}
    for group in GROUPS:
        rows = [r for r in rows_all if r[1] == group and r[4] and r[5]]
        settled: list[float] = []
        by_rate: dict[str, float | None] = {}
        converge: list[float | None] = []
        for t_change, rate, t_next in windows:
            window = [r for r in rows if t_change <= r[0] < t_next]
            drifts = [abs(r[3]) for r in window if r[0] >= t_change + SPEED_SETTLED_S]
            settled.extend(drifts)
            by_rate[f"{rate:g}"] = percentile(drifts, 95)
            for index in range(followers_per_group):
                mine = [r for r in window if r[2] == index]
                converge.append(time_to_converge(mine, t_change, t_next))
        done = [c for c in converge if c is not None]
        out[group] = {
            "drift_p50_ms": percentile(settled, 50),
            "drift_p95_ms": percentile(settled, 95),
            "drift_p99_ms": percentile(settled, 99),
            "drift_max_ms": max(settled) if settled else None,
            "drift_p95_ms_by_rate": by_rate,
            "converge_s": None if len(done) < len(converge) or not done else max(done),
            "converge_p50_s": statistics.median(done) if done else None,
            "converge_failures": float(len(converge) - len(done)),
        }
    out["measurement_noise_p95_ms"] = rate_noise_ms(host_stamps)
    return out


def rate_noise_ms(stamps: list[tuple[float, float, float]]) -> float | None:
    """`measurement_noise_ms` for stamps at any rate: the scatter of (stamp, position) around
    the line of each run at one speed, in ms of media time."""
    residuals: list[float] = []
    run: list[tuple[float, float]] = []
    run_rate = 1.0

    def flush() -> None:
        if len(run) > 50:
            offsets = [stamp * run_rate - position for stamp, position in run]
            centre = statistics.median(offsets)
            residuals.extend(abs(o - centre) * 1000 for o in offsets)
        run.clear()

    for stamp, position, rate in stamps:
        if run and (
            rate != run_rate or abs((stamp - run[-1][0]) * rate - (position - run[-1][1])) > 0.05
        ):
            flush()
        run_rate = rate
        run.append((stamp, position))
    flush()
    return percentile(residuals, 95)


def measurement_noise_ms(stamps: list[tuple[float, float]]) -> float | None:
    """Scatter of the host's own (stamp, position) pairs around a straight line, in runs of
    steady playback: how precisely one observation places playback in time."""
    residuals: list[float] = []
    run: list[tuple[float, float]] = []

    def flush() -> None:
        if len(run) > 50:
            offsets = [stamp - position for stamp, position in run]
            centre = statistics.median(offsets)
            residuals.extend(abs(o - centre) * 1000 for o in offsets)
        run.clear()

    for stamp, position in stamps:
        if run and (abs((stamp - run[-1][0]) - (position - run[-1][1])) > 0.05):
            flush()
        run.append((stamp, position))
    flush()
    return percentile(residuals, 95)


def report(run: dict[str, object]) -> dict[str, object]:
    results = run["results"]
    assert isinstance(results, dict)
    print(f"{'':10}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  (steady-state |drift|, ms)")
    for group in GROUPS:
        r = results[group]
        print(
            f"{group:10}{fmt(r['drift_p50_ms']):>8}{fmt(r['drift_p95_ms']):>8}"
            f"{fmt(r['drift_p99_ms']):>8}{fmt(r['drift_max_ms']):>8}"
        )
    print(f"{'':10}{'conv max':>10}{'conv p50':>10}{'start':>8}{'stop':>8}  (s, s, ms, ms)")
    for group in GROUPS:
        r = results[group]
        print(
            f"{group:10}{fmt(r['converge_s'], 2):>10}{fmt(r['converge_p50_s'], 2):>10}"
            f"{fmt(r['start_offset_max_ms']):>8}{fmt(r['stop_offset_max_ms']):>8}"
        )
    stalls = results["ours"]["host_stalls"]
    print(
        f"steady-state max outside the {STALL_RECOVERY_S} s after each of the host's "
        f"{stalls:.0f} playback stalls: "
        + ", ".join(f"{g} {fmt(results[g]['drift_max_ms_outside_host_stalls'])}" for g in GROUPS)
        + " ms"
    )
    print(
        f"CPU per player {run['cpu_per_player_pct']:.1f}% of a core ({run['players']} players); "
        f"measurement noise p95 {fmt(run['measurement_noise_p95_ms'], 2)} ms; "  # type: ignore[arg-type]
        f"latency {run['one_way_latency_ms']} ms; clock error {run['clock_error_ms']} ms"
    )
    speed = run.get("speed")
    if isinstance(speed, dict):
        print(
            f"speed phase 1x -> 1.5x -> 0.75x -> 1x, |drift| from {SPEED_SETTLED_S:g} s after "
            f"each change (ms; measurement noise p95 {fmt(speed['measurement_noise_p95_ms'])}):"
        )
        print_speed_table(speed)
    summary: dict[str, object] = {}
    for group in GROUPS:
        prefix = "" if group == "ours" else f"{group}_"
        for key, value in results[group].items():
            summary[prefix + key] = None if value is None else round(value, 3)
    for key in ("cpu_per_player_pct", "measurement_noise_p95_ms", "wall_s"):
        value = run[key]
        summary[key] = round(value, 3) if isinstance(value, float) else value
    for key in ("players", "one_way_latency_ms", "clock_error_ms", "anchors_sent"):
        summary[key] = run[key]
    if "speed_leads_ms" in run:
        summary["speed_leads_ms"] = run["speed_leads_ms"]
    on_time = run.get("speed_on_time")
    if isinstance(on_time, dict):
        noise = fmt(on_time["measurement_noise_p95_ms"])
        print(f"the same on each player's on-time reports (OnTimeLine; noise p95 {noise}):")
        print_speed_table(on_time)
    # The speed phase's keys (`speed_drift_p95_ms`, `speed_converge_s`, ...) are the on-time
    # measure's, the latest report's are `speed_latest_report_*`: off 1x on film, the host's
    # latest reports scatter 28 ms p95 about its own line (mpv's early readings), most of a
    # frame, and two players' latest reports are now and then a frame apart however close
    # their frames are; the on-time line scatters 2.6 ms (benchmarks/README.md, issue 16).
    # On the pattern media the two agree. Without an on-time measure, the latest report's.
    headline = on_time if isinstance(on_time, dict) else speed
    if isinstance(headline, dict):
        summary.update(speed_summary(headline))
    if isinstance(speed, dict) and headline is not speed:
        summary.update(speed_summary(speed, infix="latest_report_"))
    return summary


def print_speed_table(phase: dict[str, Any]) -> None:
    """One table of a speed phase's figures, a row per group (latest or on-time reports)."""
    print(f"{'':10}{'p50':>8}{'p95':>8}{'max':>8}{'conv max':>10}  p95 by rate")
    for group in GROUPS:
        r = phase[group]
        by_rate = ", ".join(f"{k}x {fmt(v)}" for k, v in r["drift_p95_ms_by_rate"].items())
        print(
            f"{group:10}{fmt(r['drift_p50_ms']):>8}{fmt(r['drift_p95_ms']):>8}"
            f"{fmt(r['drift_max_ms']):>8}{fmt(r['converge_s'], 2):>10}  {by_rate}"
        )


def speed_summary(speed: dict[str, object], infix: str = "") -> dict[str, object]:
    """The speed phase's last-line keys: `speed_drift_p95_ms`, `speed_converge_s`,
    `naive_speed_drift_p95_ms` and the rest, rounded; with `infix` (`latest_report_`)
    after `speed_`, the same of another measure."""

    def rounded(value: object) -> object:
        return round(value, 3) if isinstance(value, float) else value

    summary: dict[str, object] = {}
    for group in GROUPS:
        r = speed[group]
        assert isinstance(r, dict)
        prefix = "" if group == "ours" else f"{group}_"
        for key in ("drift_p50_ms", "drift_p95_ms", "drift_max_ms", "converge_s"):
            summary[f"{prefix}speed_{infix}{key}"] = rounded(r[key])
        summary[f"{prefix}speed_{infix}drift_p95_ms_by_rate"] = {
            k: rounded(v) for k, v in r["drift_p95_ms_by_rate"].items()
        }
        summary[f"{prefix}speed_{infix}converge_failures"] = r["converge_failures"]
    summary[f"speed_{infix}measurement_noise_p95_ms"] = rounded(speed["measurement_noise_p95_ms"])
    return summary
