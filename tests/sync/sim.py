"""A deterministic stand-in for a player and a room, to drive the pure sync engine.

Time is one true clock `t` (ms). The host's clock is `t`; a follower's clock is `t + skew`.
The simulated player obeys decisions with a seek latency, an unpause latency and a delay
before a speed change takes effect, which are the imperfections a real player has.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from room.sync import (
    Anchor,
    ClockSync,
    Decision,
    Follower,
    PlaybackSample,
    SyncPing,
    SyncPong,
    SyncSettings,
    answer_ping,
)


@dataclass
class SimPlayer:
    position: float = 0.0
    paused: bool = True
    speed: float = 1.0
    restarts: int = 0
    seek_latency_ms: float = 30.0
    unpause_latency_ms: float = 0.0
    speed_lag_ms: float = 0.0
    now: float = 0.0
    seeking: bool = False
    _seek_target: float = 0.0
    _seek_lands_at: float | None = None
    _resume_at: float | None = None
    _pending_speed: tuple[float, float] | None = None
    speeds_applied: list[float] = field(default_factory=list)
    seeks_applied: list[float] = field(default_factory=list)

    def _next_event(self) -> float | None:
        times = [self._seek_lands_at, self._resume_at]
        if self._pending_speed is not None:
            times.append(self._pending_speed[1])
        future = [t for t in times if t is not None]
        return min(future) if future else None

    def _integrate(self, until: float) -> None:
        if not (self.paused or self.seeking):
            self.position += (until - self.now) / 1000 * self.speed
        self.now = until

    def advance(self, t: float) -> None:
        while (event := self._next_event()) is not None and event <= t:
            self._integrate(max(self.now, event))
            if self._seek_lands_at is not None and event == self._seek_lands_at:
                self.seeking = False
                self.position = self._seek_target
                self.restarts += 1
                self._seek_lands_at = None
            elif self._resume_at is not None and event == self._resume_at:
                if self.seeking:
                    self._resume_at = self._seek_lands_at  # resume once the seek lands
                else:
                    self.paused = False
                    self._resume_at = None
            elif self._pending_speed is not None and event == self._pending_speed[1]:
                self.speed = self._pending_speed[0]
                self._pending_speed = None
        self._integrate(max(self.now, t))

    def apply(self, decision: Decision, t: float, local_offset_ms: float = 0.0) -> None:
        self.advance(t)
        if decision.pause:
            self._resume_at = None  # the driver contract: pause cancels a scheduled resume
            self.paused = True
        elif decision.pause is False:
            self._resume_at = t + self.unpause_latency_ms
        if decision.seek_to_s is not None:
            self.seeking = True
            self._seek_target = decision.seek_to_s
            self._seek_lands_at = t + self.seek_latency_ms
            self.seeks_applied.append(decision.seek_to_s)
        if decision.speed is not None:
            self.speeds_applied.append(decision.speed)
            at = t  # speed_at_ms is on the follower's clock, like resume_at_ms
            if decision.speed_at_ms is not None:
                at = max(t, decision.speed_at_ms - local_offset_ms)
            self._pending_speed = (decision.speed, at + self.speed_lag_ms)
        if decision.resume_at_ms is not None:
            # resume_at is on the follower's clock; convert back to true time.
            self._resume_at = decision.resume_at_ms - local_offset_ms + self.unpause_latency_ms

    def sample(self, local_now_ms: float) -> PlaybackSample:
        return PlaybackSample(
            position_s=self.position,
            observed_at_ms=local_now_ms,
            paused=self.paused,
            speed=self.speed,
            seeking=self.seeking,
            restarts=self.restarts,
        )


@dataclass
class HostLine:
    """The host's real playback: a line that can be paused, resumed and moved."""

    position_at_anchor: float = 0.0
    anchor_time: float = 0.0
    playing: bool = False
    rate: float = 1.0

    def position(self, t: float) -> float:
        if not self.playing:
            return self.position_at_anchor
        return self.position_at_anchor + (t - self.anchor_time) / 1000 * self.rate

    def set(self, t: float, *, position: float | None = None, playing: bool | None = None) -> None:
        self.position_at_anchor = self.position(t) if position is None else position
        self.anchor_time = t
        if playing is not None:
            self.playing = playing


class Network:
    """Messages delivered after latency + jitter, in delivery-time order (may reorder)."""

    def __init__(self, rng: random.Random, latency_ms: float, jitter_ms: float) -> None:
        self._rng = rng
        self._latency_ms = latency_ms
        self._jitter_ms = jitter_ms
        self._queue: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()

    def send(self, t: float, deliver: Callable[[float], None]) -> None:
        delay = self._latency_ms + self._rng.uniform(0, self._jitter_ms)
        heapq.heappush(self._queue, (t + delay, next(self._order), deliver))

    def deliver_due(self, t: float) -> None:
        while self._queue and self._queue[0][0] <= t:
            at, _, deliver = heapq.heappop(self._queue)
            deliver(at)


@dataclass
class Room:
    """One host line and one follower on a simulated network, stepped every `step_ms`."""

    settings: SyncSettings
    skew_ms: float
    latency_ms: float
    jitter_ms: float
    seed: int = 0
    step_ms: float = 20.0
    player: SimPlayer = field(default_factory=SimPlayer)
    host: HostLine = field(default_factory=HostLine)
    seq: int = 0
    t: float = 0.0
    intents: list[object] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    _host_rate_change: tuple[float, float] | None = None
    """A change of rate the host scheduled: (when, rate)."""
    _host_reanchor_at: float | None = None

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.network = Network(rng, self.latency_ms, self.jitter_ms)
        self.clock = ClockSync("follower", "host")
        self.follower = Follower(self.settings, self.clock)

    def local(self, t: float) -> float:
        return t + self.skew_ms

    def true_drift_ms(self) -> float:
        return (self.player.position - self.host.position(self.t)) * 1000

    def publish(
        self,
        *,
        position: float | None = None,
        playing: bool | None = None,
        rate: float | None = None,
    ) -> None:
        self.host.set(self.t, position=position, playing=playing)
        if rate is not None:
            self.host.rate = rate
        anchor = Anchor(
            is_playing=self.host.playing,
            current_time=self.host.position(self.t),
            at=self.t,
            seq=self.seq,
            rate=self.host.rate,
        )
        self.seq += 1
        self.network.send(self.t, lambda at: self._on_anchor(anchor, at))

    def schedule_rate(
        self,
        rate: float,
        lead_ms: float,
        host_lag_ms: float = 0.0,
        reanchor_after_ms: float | None = None,
    ) -> None:
        """As our host's `]`/`[` do while playing (`HostAnchorPublisher.plan_speed`): a
        `speed` anchor on the host's frame `lead_ms` from now at the new rate; the host's
        line changes rate at that instant, or `host_lag_ms` after it (its player, like the
        follower's, takes a moment to change speed), and the host re-anchors where it is
        `reanchor_after_ms` after taking the speed (once its reports settled)."""
        at = self.t + lead_ms
        self._host_rate_change = (at + host_lag_ms, rate)
        if reanchor_after_ms is not None:
            self._host_reanchor_at = at + host_lag_ms + reanchor_after_ms
        anchor = Anchor(
            is_playing=self.host.playing,
            current_time=self.host.position(at),
            at=at,
            seq=self.seq,
            rate=rate,
        )
        self.seq += 1
        self.network.send(self.t, lambda delivered: self._on_anchor(anchor, delivered))

    def _host_changes_rate(self) -> None:
        change = self._host_rate_change
        if change is not None and change[0] <= self.t:
            self.host.set(change[0])
            self.host.rate = change[1]
            self._host_rate_change = None
        if self._host_reanchor_at is not None and self._host_reanchor_at <= self.t:
            self._host_reanchor_at = None
            self.publish()

    def _on_anchor(self, anchor: Anchor, at: float) -> None:
        self.player.advance(at)
        decision = self.follower.on_anchor(anchor, self.local(at))
        self._apply(decision, at)

    def _apply(self, decision: Decision, at: float) -> None:
        if not decision.is_noop:
            self.decisions.append(decision)
        self.player.apply(decision, at, local_offset_ms=self.skew_ms)

    def _ping(self) -> None:
        ping = self.clock.make_ping(self.local(self.t))

        def at_host(at: float) -> None:
            pong = answer_ping(ping, received_at=at, sent_at=at)
            self.network.send(at, lambda back: self._on_pong(pong, back))

        self.network.send(self.t, at_host)

    def _on_pong(self, pong: SyncPong, at: float) -> None:
        self.clock.on_pong(pong, self.local(at))

    def run(self, duration_ms: float, each_step: Callable[[Room], None] | None = None) -> None:
        end = self.t + duration_ms
        while self.t < end:
            self.t += self.step_ms
            self._host_changes_rate()
            self.network.deliver_due(self.t)
            if self.clock.ping_due(self.local(self.t)):
                self._ping()
            self.player.advance(self.t)
            reaction = self.follower.on_player_state(
                self.player.sample(self.local(self.t)), self.local(self.t)
            )
            self.intents.extend(reaction.intents)
            self._apply(reaction.decision, self.t)
            if each_step is not None:
                each_step(self)


__all__ = ["HostLine", "Network", "Room", "SimPlayer", "SyncPing"]
