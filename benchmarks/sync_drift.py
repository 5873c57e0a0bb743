"""How tightly do followers track the host? Real libmpv players, one process, one run.

A host and three followers per system (ours, the web client's naive jump, Syncplay's
thresholds), all headless, connected through an in-memory channel that delays every
message by a per-member one-way latency of 20, 40 or 60 ms plus 0-20 ms of random
jitter (so 20-80 ms), in order per direction as over a websocket. Each of our followers
also runs on its own clock, skewed by up to +-1000 s from the host's, to show that
ping/pong removes the offset. Script: play, 60 s of playback, a forward seek, a backward
seek, a pause, a scheduled resume, a seek while paused and an immediate resume.

Measurement: every player's position comes from its `time-pos` observer, stamped with
`time.monotonic()` on mpv's event thread, and extrapolated to a common instant; the
source is a 100 fps test pattern, so positions are exact to 10 ms frames and the stamp
places each frame in time. The host and all followers are read at the same instant, 50
times a second. The noise of this method is measured on the host and printed.

Run: `.venv/bin/python benchmarks/sync_drift.py` (about 2 minutes; `--quick` for a short
smoke run). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from baselines import NaiveFollower, SyncplayFollower
from channel import Link, LinkProfile

from player.base import PlayerState
from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.sources import render_demo_file
from room.sync import (
    Anchor,
    ClockSync,
    Decision,
    Follower,
    HostAnchorPublisher,
    PlaybackSample,
    SyncPing,
    SyncPong,
    SyncSettings,
    answer_ping,
)
from room.sync.driver import DecisionDriver

FPS = 100
FRAME_MS = 40.0  # the target: one frame at 25 fps
SAMPLE_HZ = 50
STEADY_AFTER_S = 3.0
STALL_RECOVERY_S = 1.5
CONVERGED_MS = FRAME_MS
CONVERGED_HOLD_S = 1.0
GROUPS = ("ours", "naive", "syncplay")


def now_ms() -> float:
    return time.monotonic() * 1000


def sample_of(state: PlayerState, skew_ms: float = 0.0) -> PlaybackSample:
    return PlaybackSample(
        position_s=state.position or 0.0,
        observed_at_ms=state.position_at * 1000 + skew_ms,
        paused=state.paused,
        speed=state.speed,
        seeking=state.seeking,
        buffering=state.buffering,
        eof=state.eof,
        restarts=state.restarts,
    )


def new_player() -> MpvPlayer:
    return MpvPlayer(settings=PlayerSettings(vo="null", ao="null"))


class OurFollower:
    """Wires `room.sync.Follower` to a real player, as the app's channel layer will."""

    def __init__(self, player: MpvPlayer, link: Link, skew_ms: float, host: Host) -> None:
        self.player, self.link, self.skew_ms, self.host = player, link, skew_ms, host
        self.name = f"ours-{id(self) % 1000}"
        self.clock = ClockSync(self.name, "host")
        self.engine = Follower(SyncSettings(), self.clock)
        self.driver = DecisionDriver(player, self.local_ms)
        self._ping_task: asyncio.Task[None] | None = None
        self.decisions: list[Decision] = []
        player.add_listener(self._on_state)

    def local_ms(self) -> float:
        return now_ms() + self.skew_ms

    def start(self) -> None:
        self._ping_task = asyncio.get_running_loop().create_task(self._ping_loop())

    def stop(self) -> None:
        self.driver.cancel()
        if self._ping_task is not None:
            self._ping_task.cancel()

    async def _ping_loop(self) -> None:
        while True:
            if self.clock.ping_due(self.local_ms()):
                ping = self.clock.make_ping(self.local_ms())
                self.link.send_up(lambda ping=ping: self.host.on_ping(ping, self))
            await asyncio.sleep(0.05)

    def on_pong(self, pong: SyncPong) -> None:
        self.clock.on_pong(pong, self.local_ms())

    def on_anchor(self, anchor: Anchor, host_action: bool) -> None:
        self._apply(self.engine.on_anchor(anchor, self.local_ms(), host_action=host_action))

    def _on_state(self, state: PlayerState) -> None:
        if not state.loaded or state.position is None:
            return
        reaction = self.engine.on_player_state(sample_of(state, self.skew_ms), self.local_ms())
        self._apply(reaction.decision)

    def _apply(self, decision: Decision) -> None:
        if not decision.is_noop:
            self.decisions.append(decision)
            self.driver.apply(decision)


@dataclass
class Member:
    group: str
    index: int
    player: MpvPlayer
    link: Link
    driver: OurFollower | NaiveFollower | SyncplayFollower


class Host:
    """The host's player plus what each system sends from it."""

    def __init__(self, player: MpvPlayer) -> None:
        self.player = player
        self.publisher = HostAnchorPublisher(SyncSettings(), first_seq=int(time.time() * 1000))
        self.members: list[Member] = []
        self._previous: PlayerState | None = None
        self.anchors_sent = 0
        player.add_listener(self._on_state)

    def on_ping(self, ping: SyncPing, follower: OurFollower) -> None:
        received = now_ms()
        pong = answer_ping(ping, received_at=received, sent_at=now_ms())
        follower.link.send(lambda: follower.on_pong(pong))

    def send_anchor(self, anchor: Anchor, event: str) -> None:
        self.anchors_sent += 1
        for member in self.members:
            if isinstance(member.driver, OurFollower):
                deliver = partial(member.driver.on_anchor, anchor, event != "sync_anchor")
                member.link.send(deliver)

    def _on_state(self, state: PlayerState) -> None:
        if not state.loaded or state.position is None:
            return
        update = self.publisher.on_player_state(sample_of(state), now_ms())
        if update is not None:
            self.send_anchor(update.anchor, update.event)
        self._web_events(state)

    def _web_events(self, state: PlayerState) -> None:
        """What the web client and Syncplay send: plain positions on the host's changes."""
        previous, self._previous = self._previous, state
        if previous is None or state.seeking:
            return
        seeked = state.restarts > previous.restarts
        toggled = state.paused != previous.paused
        if not (seeked or toggled):
            return
        event = "seek" if seeked else ("pause" if state.paused else "play")
        self.broadcast_position(event, seeked)

    def broadcast_position(self, event: str, seeked: bool) -> None:
        state = self.player.state
        position = state.position_now(time.monotonic()) or 0.0
        playing = not state.paused
        for member in self.members:
            driver = member.driver
            if isinstance(driver, NaiveFollower) and event != "state":
                member.link.send(partial(driver.on_event, event, position, playing))
            elif isinstance(driver, SyncplayFollower):
                member.link.send(partial(driver.on_state, position, playing, seeked))

    async def syncplay_heartbeat(self) -> None:
        """Syncplay's server sends state every second; its clients measure the round trip."""
        while True:
            await asyncio.sleep(1.0)
            self.broadcast_position("state", False)
            for member in self.members:
                if isinstance(member.driver, SyncplayFollower):
                    self._measure_round_trip(member.driver, member.link)

    @staticmethod
    def _measure_round_trip(driver: SyncplayFollower, link: Link) -> None:
        sent = time.monotonic()
        link.send(lambda: link.send_up(lambda: driver.on_rtt(time.monotonic() - sent)))


@dataclass
class Recorder:
    """Drift of every member against the host at the same instant, 50 times a second."""

    host: Host
    members: list[Member]
    actions: list[tuple[float, str]] = field(default_factory=list)
    rows: list[tuple[float, str, int, float, bool, bool]] = field(default_factory=list)
    host_stamps: list[tuple[float, float]] = field(default_factory=list)

    def mark(self, kind: str) -> None:
        self.actions.append((time.monotonic(), kind))

    def on_host_state(self, state: PlayerState) -> None:
        if not (state.paused or state.seeking) and state.position is not None:
            self.host_stamps.append((state.position_at, state.position))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1 / SAMPLE_HZ)
            instant = time.monotonic()
            host_state = self.host.player.state
            host_position = host_state.position_now(instant)
            if host_position is None or host_state.seeking:
                continue
            for member in self.members:
                state = member.player.state
                position = state.position_now(instant)
                if position is None:
                    continue
                self.rows.append(
                    (
                        instant,
                        member.group,
                        member.index,
                        (position - host_position) * 1000,
                        not host_state.paused,
                        not state.paused and not state.seeking,
                    )
                )


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def host_stalls(stamps: list[tuple[float, float]], min_stall_s: float = 0.02) -> list[float]:
    """Instants where the host's own playback froze (the machine starved it): the wall clock
    moved on at least `min_stall_s` more than the position between two observations."""
    return [
        stamp
        for (prev_stamp, prev_position), (stamp, position) in itertools.pairwise(stamps)
        if min_stall_s < (stamp - prev_stamp) - (position - prev_position) < 1.0
    ]


def analyse(recorder: Recorder, followers_per_group: int) -> dict[str, dict[str, float | None]]:
    actions = recorder.actions
    results: dict[str, dict[str, float | None]] = {}
    stalls = host_stalls(recorder.host_stamps)

    def after_stall(t: float) -> bool:
        return any(0 <= t - stall < STALL_RECOVERY_S for stall in stalls)

    def last_action_before(t: float) -> float:
        return max((a for a, _ in actions if a <= t), default=-1e9)

    for group in GROUPS:
        rows = [r for r in recorder.rows if r[1] == group]
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


def time_to_converge(
    window: list[tuple[float, str, int, float, bool, bool]], t_action: float, t_next: float
) -> float | None:
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


async def scenario(quick: bool, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    followers_per_group = 3
    with tempfile.TemporaryDirectory() as tmp:
        media = render_demo_file(
            Path(tmp) / "bench.mkv", duration_s=300, fps=FPS, size="160x90", keyframe_every_s=1
        )
        host = Host(new_player())
        # Base latencies spread over the range, plus up to 20 ms of jitter: 20-80 ms one way.
        profiles = [LinkProfile(20.0 + 40.0 * i / 2, 20.0) for i in range(followers_per_group)]
        members: list[Member] = []
        for group in GROUPS:
            for index, profile in enumerate(profiles):
                player = new_player()
                link = Link(profile, random.Random(rng.random()))
                driver: OurFollower | NaiveFollower | SyncplayFollower
                if group == "ours":
                    driver = OurFollower(player, link, rng.uniform(-1e6, 1e6), host)
                elif group == "naive":
                    driver = NaiveFollower(player)
                else:
                    driver = SyncplayFollower(player)
                members.append(Member(group, index, player, link, driver))
        host.members = members
        players = [host.player] + [m.player for m in members]
        await asyncio.gather(*(p.load(str(media)) for p in players))
        recorder = Recorder(host, members)
        host.player.add_listener(recorder.on_host_state)
        for member in members:
            if isinstance(member.driver, OurFollower | SyncplayFollower):
                member.driver.start()
        tasks = [
            asyncio.create_task(recorder.run()),
            asyncio.create_task(host.syncplay_heartbeat()),
        ]
        usage_before = resource.getrusage(resource.RUSAGE_SELF)
        wall_before = time.monotonic()

        play_s = 8 if quick else 60
        short_s = 4 if quick else 10
        await asyncio.sleep(2.0)  # members learn the host's clock
        recorder.mark("play")
        host.player.play()  # like space in the host's mpv window: no warning
        await asyncio.sleep(play_s)
        recorder.mark("seek")
        host.player.seek(150.0)
        await asyncio.sleep(short_s)
        recorder.mark("seek")
        host.player.seek(40.0)
        await asyncio.sleep(short_s)
        recorder.mark("pause")
        host.player.pause()
        await asyncio.sleep(3.0)
        recorder.mark("scheduled resume")
        planned = host.publisher.plan_play(sample_of(host.player.state), now_ms(), 250.0)
        host.send_anchor(planned.anchor, planned.event)
        asyncio.get_running_loop().call_at(planned.anchor.at / 1000, host.player.play)
        await asyncio.sleep(short_s)
        recorder.mark("pause")
        host.player.pause()
        await asyncio.sleep(2.0)
        recorder.mark("seek paused")
        host.player.seek(220.0)
        await asyncio.sleep(2.5)
        recorder.mark("resume")
        host.player.play()
        await asyncio.sleep(short_s)
        recorder.mark("end")

        wall = time.monotonic() - wall_before
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
        for task in tasks:
            task.cancel()
        for member in members:
            if isinstance(member.driver, OurFollower | SyncplayFollower):
                member.driver.stop()
        for player in players:
            player.close()

    results = analyse(recorder, followers_per_group)
    delays = [d for m in members for d in m.link.delays_ms]
    ours_drivers = [m.driver for m in members if isinstance(m.driver, OurFollower)]
    return {
        "results": results,
        "cpu_per_player_pct": 100 * cpu_s / wall / len(players),
        "players": len(players),
        "wall_s": wall,
        "measurement_noise_p95_ms": measurement_noise_ms(recorder.host_stamps),
        "one_way_latency_ms": [min(delays), max(delays)] if delays else None,
        "profiles_ms": [round(p.base_ms, 1) for p in profiles],
        "clock_error_ms": [
            round(abs((d.clock.offset_ms or 0) - d.skew_ms * -1), 2) for d in ours_drivers
        ],
        "anchors_sent": host.anchors_sent,
        "ours_decisions": sum(len(d.decisions) for d in ours_drivers),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "never" if value is None else f"{value:.{digits}f}"


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
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (~40 s)")
    parser.add_argument("--seed", type=int, default=4, help="latency and clock-skew seed")
    args = parser.parse_args(argv)
    run = asyncio.run(scenario(args.quick, args.seed))
    print(json.dumps(report(run)))


if __name__ == "__main__":
    main()
