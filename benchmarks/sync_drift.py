"""How tightly do followers track the host? Real libmpv players, one process, one run.

A host and three followers per system (ours, the web client's naive jump, Syncplay's
thresholds), all headless, connected through an in-memory channel that delays every
message by a per-member one-way latency of 20, 40 or 60 ms plus 0-20 ms of random
jitter (so 20-80 ms), in order per direction as over a websocket. Each of our followers
also runs on its own clock, skewed by up to +-1000 s from the host's, to show that
ping/pong removes the offset. Script: play, 60 s of playback, a forward seek, a backward
seek, a pause, a scheduled resume, a seek while paused and an immediate resume.

Then the host changes speed while playing, 1x -> 1.5x -> 0.75x -> 1x, as its `]`/`[` keys
do (a `speed` anchor scheduled one start lead ahead, measured from the followers' pings as
the app does, and everyone's player, the host's too, takes the speed at that instant); the naive
client takes the rate and jumps to the position sent (the web client has no speed sync;
that is the obvious addition), Syncplay's rules do not sync speed at all. Figures of this
phase come from 2 s after each change (the goal: within a frame within 2 s) until the next.

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
import json
import random
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from analysis import GROUPS, Row, analyse, analyse_speed, measurement_noise_ms, report
from baselines import NaiveFollower, SyncplayFollower
from channel import Link, LinkProfile
from harness import CpuHog, CpuMeter, film_media

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
from room.sync.lead import StartLead
from tui.live import sample_of as app_sample_of

FPS = 100
SAMPLE_HZ = 50
SPEEDS = (1.5, 0.75, 1.0)
"""The host's speed changes while playing, in order, from 1x."""


def now_ms() -> float:
    return time.monotonic() * 1000


def sample_of(state: PlayerState, skew_ms: float = 0.0) -> PlaybackSample:
    """The app's own conversion (tui.live), on a follower clock skewed by ``skew_ms``."""
    sample = app_sample_of(state)
    return replace(sample, observed_at_ms=sample.observed_at_ms + skew_ms)


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
                self.link.send_up(partial(self.host.on_ping, ping, self))
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
        self.lead = StartLead(SyncSettings())
        """The followers' reported latencies (from their pings), as the app's host keeps."""
        self.members: list[Member] = []
        self._previous: PlayerState | None = None
        self.anchors_sent = 0
        self.speed_leads_ms: list[float] = []
        player.add_listener(self._on_state)

    def on_ping(self, ping: SyncPing, follower: OurFollower) -> None:
        received = now_ms()
        if ping.one_way_ms is not None:
            self.lead.note(ping.from_user, ping.one_way_ms, received)
        pong = answer_ping(ping, received_at=received, sent_at=now_ms())
        follower.link.send(lambda: follower.on_pong(pong))

    def send_anchor(self, anchor: Anchor, event: str) -> None:
        self.anchors_sent += 1
        for member in self.members:
            if isinstance(member.driver, OurFollower):
                deliver = partial(member.driver.on_anchor, anchor, event != "sync_anchor")
                member.link.send(deliver)

    def change_speed(self, rate: float) -> None:
        """What the host's `]`/`[` do in the app (`LocalPlayback.set_speed`): announce the
        change one start lead ahead, and set our own speed at that instant."""
        now = now_ms()
        sample = sample_of(self.player.state)
        lead_ms = 0.0 if sample.paused else self.lead.lead_ms(now)
        update = self.publisher.plan_speed(sample, rate, now, lead_ms)
        self.send_anchor(update.anchor, update.event)
        self.speed_leads_ms.append(lead_ms)
        asyncio.get_running_loop().call_at(
            update.anchor.at / 1000, partial(self.player.set_speed, rate)
        )
        position = self.player.state.position_now(time.monotonic()) or 0.0
        for member in self.members:
            if isinstance(member.driver, NaiveFollower):
                member.link.send(partial(member.driver.on_speed, position, rate))

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


class OnTimeLine:
    """A player's position read on its on-time reports, as the engine reads them off 1x
    (`room.sync.reports`): there mpv reports every other frame of film up to 35 ms early,
    which the latest report alone carries into the drift (host and follower alike: up to
    ~30 ms of the p95 at 1.5x is that). At each instant: every report of the last
    `WINDOW_S` at the current speed, extrapolated to it, the second lowest (one may have
    been stamped late by a busy CPU); the latest report alone when fewer than four."""

    WINDOW_S = 0.25

    def __init__(self, player: MpvPlayer) -> None:
        self.player = player
        self.reports: deque[tuple[float, float, float]] = deque(maxlen=16)
        player.add_listener(self._on_state)

    def _on_state(self, state: PlayerState) -> None:
        if state.position is None or state.paused or state.seeking:
            self.reports.clear()
        else:
            self.reports.append((state.position_at, state.position, state.speed))

    def position_now(self, state: PlayerState, instant: float) -> float | None:
        if state.paused or state.seeking:
            return state.position_now(instant)
        candidates = sorted(
            position + (instant - at) * speed
            for at, position, speed in self.reports
            if speed == state.speed and 0 <= instant - at <= self.WINDOW_S
        )
        if len(candidates) < 4:
            return state.position_now(instant)
        return candidates[1]


@dataclass
class Recorder:
    """Drift of every member against the host at the same instant, 50 times a second."""

    host: Host
    members: list[Member]
    actions: list[tuple[float, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    on_time_rows: list[Row] = field(default_factory=list)
    """The same drift on every player's on-time reports (`OnTimeLine`)."""
    lines: dict[int, OnTimeLine] = field(default_factory=dict)
    host_stamps: list[tuple[float, float]] = field(default_factory=list)
    speed_stamps: list[tuple[float, float, float]] = field(default_factory=list)
    """The host's (stamp, position, speed) in the speed phase."""
    speed_on_time_stamps: list[tuple[float, float, float]] = field(default_factory=list)
    """The host's on-time line in the speed phase, (instant, position, speed) at each
    sample: its scatter is the on-time measure's own noise, as `speed_stamps`' is the
    latest-report measure's."""
    speed_phase_at: float | None = None

    def __post_init__(self) -> None:
        for player in [self.host.player] + [m.player for m in self.members]:
            self.lines[id(player)] = OnTimeLine(player)

    def mark(self, kind: str) -> None:
        self.actions.append((time.monotonic(), kind))

    def on_host_state(self, state: PlayerState) -> None:
        if not (state.paused or state.seeking) and state.position is not None:
            if self.speed_phase_at is None:
                self.host_stamps.append((state.position_at, state.position))
            else:
                self.speed_stamps.append((state.position_at, state.position, state.speed))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1 / SAMPLE_HZ)
            instant = time.monotonic()
            host_state = self.host.player.state
            host_position = host_state.position_now(instant)
            if host_position is None or host_state.seeking:
                continue
            host_on_time = self.lines[id(self.host.player)].position_now(host_state, instant)
            in_speed_phase = self.speed_phase_at is not None and not host_state.paused
            if in_speed_phase and host_on_time is not None:
                self.speed_on_time_stamps.append((instant, host_on_time, host_state.speed))
            for member in self.members:
                state = member.player.state
                position = state.position_now(instant)
                if position is None:
                    continue
                who = (instant, member.group, member.index)
                playing = (not host_state.paused, not state.paused and not state.seeking)
                on_time = self.lines[id(member.player)].position_now(state, instant)
                if on_time is not None and host_on_time is not None:
                    self.on_time_rows.append((*who, (on_time - host_on_time) * 1000, *playing))
                self.rows.append((*who, (position - host_position) * 1000, *playing))


async def scenario(
    quick: bool, seed: int, *, media_kind: str = "pattern", cpu_hog: bool = False
) -> dict[str, object]:
    rng = random.Random(seed)
    followers_per_group = 3
    hog = CpuHog() if cpu_hog else None
    with tempfile.TemporaryDirectory() as tmp:
        if media_kind == "film":
            media = film_media(300)
        else:
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
        cpu = CpuMeter()
        wall_before = time.monotonic()

        play_s = 8 if quick else 60
        short_s = 4 if quick else 10
        speed_s = 5 if quick else 12
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
        start_s = (planned.anchor.at + host.publisher.start_bias_ms) / 1000  # as the app does
        asyncio.get_running_loop().call_at(start_s, host.player.play)
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
        recorder.mark("speed phase")
        recorder.speed_phase_at = time.monotonic()
        await asyncio.sleep(3.0)  # back to steady playback after the resume
        for rate in SPEEDS:
            recorder.mark(f"speed {rate:g}")
            host.change_speed(rate)
            await asyncio.sleep(speed_s)
        recorder.mark("end")

        wall = time.monotonic() - wall_before
        cpu_pct = cpu.pct_of_a_core()
        for task in tasks:
            task.cancel()
        for member in members:
            if isinstance(member.driver, OurFollower | SyncplayFollower):
                member.driver.stop()
        for player in players:
            player.close()
        if hog is not None:
            hog.stop()

    phase_at = recorder.speed_phase_at or float("inf")
    before = [a for a in recorder.actions if a[0] < phase_at] + [(phase_at, "end")]
    rows = [r for r in recorder.rows if r[0] < phase_at]
    results = analyse(rows, before, recorder.host_stamps, followers_per_group)
    speed_actions = [a for a in recorder.actions if a[0] >= phase_at]
    speed = analyse_speed(
        [r for r in recorder.rows if r[0] >= phase_at],
        speed_actions,
        recorder.speed_stamps,
        followers_per_group,
    )
    speed_on_time = analyse_speed(
        [r for r in recorder.on_time_rows if r[0] >= phase_at],
        speed_actions,
        recorder.speed_on_time_stamps,
        followers_per_group,
    )
    delays = [d for m in members for d in m.link.delays_ms]
    ours_drivers = [m.driver for m in members if isinstance(m.driver, OurFollower)]
    return {
        "results": results,
        "speed": speed,
        "speed_on_time": speed_on_time,
        "cpu_per_player_pct": cpu_pct / len(players),
        "players": len(players),
        "wall_s": wall,
        "measurement_noise_p95_ms": measurement_noise_ms(recorder.host_stamps),
        "one_way_latency_ms": [min(delays), max(delays)] if delays else None,
        "profiles_ms": [round(p.base_ms, 1) for p in profiles],
        "clock_error_ms": [
            round(abs((d.clock.offset_ms or 0) - d.skew_ms * -1), 2) for d in ours_drivers
        ],
        "anchors_sent": host.anchors_sent,
        "media": media_kind,
        "cpu_hog": cpu_hog,
        "ours_decisions": sum(len(d.decisions) for d in ours_drivers),
        "speed_leads_ms": [round(lead, 1) for lead in host.speed_leads_ms],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (~40 s)")
    parser.add_argument("--seed", type=int, default=4, help="latency and clock-skew seed")
    parser.add_argument(
        "--cpu-hog", action="store_true", help="pin core 0 with a spinning process for the run"
    )
    parser.add_argument(
        "--media",
        choices=("pattern", "film"),
        default="pattern",
        help="pattern: 160x90 MPEG-4 at 100 fps, a keyframe a second; film: 1280x720 H.264 "
        "at 25 fps, a keyframe every 10 s (positions then exact to 40 ms, not 10)",
    )
    args = parser.parse_args(argv)
    run = asyncio.run(scenario(args.quick, args.seed, media_kind=args.media, cpu_hog=args.cpu_hog))
    print(json.dumps(report(run)))


if __name__ == "__main__":
    main()
