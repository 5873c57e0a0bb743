"""Estimate the host's clock by NTP-style ping/pong over the room channel.

Works over a plain broadcast channel: the host answers pings with its own clock readings,
no server clock is involved. Every sample proves a range: whatever the two legs of its trip
took, the host's offset is within half the round trip of the sample's offset (queueing only
ever adds to a leg). The estimate is the middle of what the window's samples prove together
(their ranges' intersection), and it moves only when that is worth it (`ClockSync.on_pong`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field

OUTLIER_FROM_SAMPLES = 4
"""From this many round trips on, the longest is taken for an outlier (`one_way_ms`)."""
KEPT_UNANSWERED = 4
"""The latest pings are kept for their answer however old: a ping on a heartbeat is answered
on the host's next heartbeat, a minute or more later in a big room (older ones go after
``ping_timeout_ms``)."""
PRECISE_MS = 10.0
"""An estimate known to within this (a quarter of a frame at 25 fps) ends the warm-up."""
FREQUENCY_TOLERANCE = 15e-6
"""How fast two clocks may run apart (15 ppm: NTP's PHI, RFC 5905 section 7.2), so how fast
an old sample's range widens with its age."""


class SyncPing(BaseModel):
    """Follower -> host. `sent_at` is the follower's clock (ms)."""

    model_config = ConfigDict(frozen=True)

    from_user: str
    to_user: str
    ping_id: int = Field(ge=0)
    sent_at: float
    one_way_ms: float | None = Field(default=None, ge=0, le=60_000)
    """How long the host's messages may take to reach this follower (ms, from its round
    trips, `ClockSync.one_way_ms`): the host schedules its starts from the slowest
    member's (``room.sync.lead``). None: no sample yet."""


class SyncPong(BaseModel):
    """Host -> follower: the ping's `sent_at` plus the host clock when it got and answered it."""

    model_config = ConfigDict(frozen=True)

    from_user: str
    to_user: str
    ping_id: int = Field(ge=0)
    ping_sent_at: float
    received_at: float
    sent_at: float


def answer_ping(ping: SyncPing, received_at: float, sent_at: float) -> SyncPong:
    """Host side: the pong for `ping`, with the host's clock at receipt and at reply."""
    return SyncPong(
        from_user=ping.to_user,
        to_user=ping.from_user,
        ping_id=ping.ping_id,
        ping_sent_at=ping.sent_at,
        received_at=received_at,
        sent_at=sent_at,
    )


@dataclass(frozen=True, slots=True)
class ClockSample:
    offset_ms: float
    """host clock - local clock"""
    rtt_ms: float
    taken_at_ms: float
    measures_link: bool = True
    """False for an offset-only ping's answer (see ``ClockSync.make_ping``)."""

    def bounds(self, now_ms: float) -> tuple[float, float]:
        """The range the host's offset is proven to be in, widened for the sample's age."""
        spread = self.rtt_ms / 2 + FREQUENCY_TOLERANCE * max(0.0, now_ms - self.taken_at_ms)
        return self.offset_ms - spread, self.offset_ms + spread


@dataclass(frozen=True, slots=True)
class ClockEstimate:
    offset_ms: float
    """host clock - local clock"""
    uncertainty_ms: float
    """The host's offset is within this of `offset_ms` (when it was made)."""
    made_at_ms: float

    def uncertainty_at(self, now_ms: float) -> float:
        return self.uncertainty_ms + FREQUENCY_TOLERANCE * max(0.0, now_ms - self.made_at_ms)


def proven_range(samples: list[ClockSample], now_ms: float) -> tuple[float, float]:
    """The intersection of the samples' ranges, newest first. A sample that contradicts the
    newer ones (clocks running apart faster than the tolerance, a forged pong) is left out
    with everything older: the newest sample always counts."""
    low, high = -math.inf, math.inf
    for sample in reversed(samples):
        sample_low, sample_high = sample.bounds(now_ms)
        if max(low, sample_low) > min(high, sample_high):
            break
        low, high = max(low, sample_low), min(high, sample_high)
    return low, high


def clock_sample(pong: SyncPong, received_at_ms: float) -> ClockSample:
    """NTP's formulas: offset = ((t1 - t0) + (t2 - t3)) / 2, rtt = (t3 - t0) - (t2 - t1)."""
    t0, t1, t2, t3 = pong.ping_sent_at, pong.received_at, pong.sent_at, received_at_ms
    return ClockSample(
        offset_ms=((t1 - t0) + (t2 - t3)) / 2,
        rtt_ms=max(0.0, (t3 - t0) - (t2 - t1)),
        taken_at_ms=t3,
    )


class ClockSync:
    """Follower-side offset estimate. Pings quickly until the estimate is precise (or the
    window is full), then less and less often while it is not, then rarely."""

    def __init__(
        self,
        user_id: str,
        host_user_id: str,
        *,
        window: int = 8,
        warmup_samples: int = 5,
        warmup_interval_ms: float = 300.0,
        refresh_interval_ms: float = 10_000.0,
        ping_timeout_ms: float = 5_000.0,
    ) -> None:
        self.user_id = user_id
        self.host_user_id = host_user_id
        self._samples: deque[ClockSample] = deque(maxlen=window)
        self._warmup_samples = warmup_samples
        self._warmup_interval_ms = warmup_interval_ms
        self._refresh_interval_ms = refresh_interval_ms
        self._ping_timeout_ms = ping_timeout_ms
        self._next_ping_id = 0
        self._outstanding: dict[int, float] = {}
        self._offset_only: set[int] = set()
        """Pings whose trip says nothing of the link (see ``make_ping``)."""
        self._last_ping_ms: float | None = None
        self._estimate: ClockEstimate | None = None
        self._settling_pings = 0
        """Pings sent since the warm-up ended with the estimate still imprecise."""
        self.first_ping_ms: float | None = None
        """When we asked for the first time (kept across hosts)."""
        self.first_ready_ms: float | None = None
        """When the first answer placed a host's clock (kept across hosts)."""

    def first_answer_due(self, now_ms: float) -> bool:
        """Our first ping's answer may still come: until it does (or times out, as with a
        host that does not answer pings: the web client), anything measured against the
        host's clock is measured against a guess (the last anchor's send time)."""
        return (
            self.first_ready_ms is None
            and self.first_ping_ms is not None
            and now_ms - self.first_ping_ms < self._ping_timeout_ms
        )

    def set_intervals(self, *, warmup_ms: float, refresh_ms: float) -> None:
        """Space the pings out (the room's budget decides, by its size)."""
        self._warmup_interval_ms = warmup_ms
        self._refresh_interval_ms = refresh_ms

    def reset(self, host_user_id: str) -> None:
        """A new host means a new clock to learn. Learning who hosts for the first time
        keeps the pings sent before to whoever hosts (a newcomer's first, on its
        member_joined): their answers come from this host."""
        first_host = not self.host_user_id
        self.host_user_id = host_user_id
        self._samples.clear()
        self._estimate = None
        self._settling_pings = 0
        if not first_host:
            self._outstanding.clear()
            self._offset_only.clear()
            self._last_ping_ms = None

    @property
    def ready(self) -> bool:
        return bool(self._samples)

    @property
    def best(self) -> ClockSample | None:
        return min(self._samples, key=lambda s: s.rtt_ms) if self._samples else None

    @property
    def pings_sent(self) -> int:
        return self._next_ping_id

    @property
    def estimate(self) -> ClockEstimate | None:
        return self._estimate

    @property
    def offset_ms(self) -> float | None:
        estimate = self._estimate
        return estimate.offset_ms if estimate else None

    @property
    def precise(self) -> bool:
        estimate = self._estimate
        return estimate is not None and estimate.uncertainty_ms <= PRECISE_MS

    @property
    def rtt_ms(self) -> float | None:
        best = self.best
        return best.rtt_ms if best else None

    def one_way_ms(self) -> float | None:
        """How long the host's messages may take to reach us, by the trips in the window:
        a long round trip (the longest; from four samples on, the second longest, so that
        one trip held up by a busy CPU does not set it) less half the shortest. A trip is
        the way out plus the way back, and the way back is at most the trip less the
        quickest way out seen. (Half of each trip has the right mean but not the spread:
        over 20-80 ms links, follow_latency's plays then often arrived too late to start
        on time.) None before the first sample."""
        trips = sorted(sample.rtt_ms for sample in self._samples if sample.measures_link)
        if not trips:
            return None
        long_trip = trips[-2] if len(trips) >= OUTLIER_FROM_SAMPLES else trips[-1]
        return long_trip - trips[0] / 2

    def host_now_ms(self, local_now_ms: float) -> float | None:
        offset = self.offset_ms
        return None if offset is None else local_now_ms + offset

    @property
    def warming_up(self) -> bool:
        """Pinging at the warm-up pace: fewer than `warmup_samples` samples, or an estimate
        not yet `precise` and the window not full. The first trips are taken while the app
        starts up: on loopback, with eight players loading, a follower's best of its first
        four trips was 95 ms long and put its view of the host 48 ms off. A link whose trips
        are all long (a far host) stops at a full window."""
        samples = len(self._samples)
        if samples < self._warmup_samples:
            return True
        return not self.precise and samples < (self._samples.maxlen or 0)

    def _interval_ms(self) -> float:
        if self.warming_up:
            return self._warmup_interval_ms
        if self.precise:
            return self._refresh_interval_ms
        # Still imprecise after a full window: the app may still be loading, or the link is
        # long. Back off from the warm-up pace to the refresh, doubling: a few pings more.
        settling = self._warmup_interval_ms * 2.0 ** (self._settling_pings + 1)
        return min(self._refresh_interval_ms, settling)

    def next_ping_in_ms(self, now_ms: float) -> float:
        """How long until a ping is due (0 when it is now)."""
        if self._last_ping_ms is None:
            return 0.0
        return max(0.0, self._last_ping_ms + self._interval_ms() - now_ms)

    def ping_due(self, now_ms: float) -> bool:
        return self.next_ping_in_ms(now_ms) <= 0

    def make_ping(self, now_ms: float, *, offset_only: bool = False) -> SyncPing:
        """``offset_only``: the answer sets our clock offset but its trip is not a measure
        of the link (a newcomer's first ping, whose answer lands while its app is still
        starting up: counted as latency, it put the room's start lead at 47 ms, not 7)."""
        latest = sorted(self._outstanding)[-KEPT_UNANSWERED:]
        self._outstanding = {
            ping_id: sent
            for ping_id, sent in self._outstanding.items()
            if now_ms - sent < self._ping_timeout_ms or ping_id in latest
        }
        self._offset_only &= self._outstanding.keys()
        if self._samples and not self.warming_up and not self.precise:
            self._settling_pings += 1
        ping_id = self._next_ping_id
        self._next_ping_id += 1
        self._outstanding[ping_id] = now_ms
        if offset_only:
            self._offset_only.add(ping_id)
        self._last_ping_ms = now_ms
        if self.first_ping_ms is None:
            self.first_ping_ms = now_ms
        return SyncPing(
            from_user=self.user_id,
            to_user=self.host_user_id,
            ping_id=ping_id,
            sent_at=now_ms,
            one_way_ms=self.one_way_ms(),
        )

    def on_pong(self, pong: SyncPong, now_ms: float) -> ClockSample | None:
        """Take a pong meant for us; forged, foreign or duplicate pongs are ignored."""
        if pong.to_user != self.user_id or pong.from_user != self.host_user_id:
            return None
        sent = self._outstanding.pop(pong.ping_id, None)
        if sent is None or sent != pong.ping_sent_at or pong.sent_at < pong.received_at:
            return None
        sample = clock_sample(pong, now_ms)
        if pong.ping_id in self._offset_only:
            self._offset_only.discard(pong.ping_id)
            sample = replace(sample, measures_link=False)
        self._samples.append(sample)
        if self.first_ready_ms is None:
            self.first_ready_ms = now_ms
        self._refine(now_ms)
        return sample

    def _refine(self, now_ms: float) -> None:
        """Move the estimate to the middle of what the samples prove, only when that is
        worth it: when the estimate is no longer in the proven range (it is wrong), or when
        the new one is better by more than its own uncertainty (it at least halves it).
        Moving on every sample whose trip is a little shorter made a follower whose every
        trip was 148 ms long each way (15 ms of jitter) jump its view of the host by 10 ms
        seconds after it had started on the host's frame, and nudge one way then the other;
        with the rule above its estimate never moves there after the first sample (each
        range is ~300 ms wide and holds the first estimate)."""
        low, high = proven_range(list(self._samples), now_ms)
        candidate = ClockEstimate((low + high) / 2, (high - low) / 2, now_ms)
        current = self._estimate
        if (
            current is None
            or not low <= current.offset_ms <= high
            or current.uncertainty_at(now_ms) - candidate.uncertainty_ms > candidate.uncertainty_ms
        ):
            self._estimate = candidate
