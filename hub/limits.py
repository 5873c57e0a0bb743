"""Rate limits, shaped like Supabase Realtime's so that they trip at the same points.

`RateCounter` mirrors the server's `Realtime.RateCounter`: counts accumulate for one tick, each
tick pushes the count into a list of at most `buckets` buckets, `avg` is the mean bucket (so
a count per tick, not per second, which is how the server compares it against its
"per second" limits), and the limit triggers at a tick when `avg >= limit` and clears at a tick
when `avg < limit`. The server updates on a timer; this one catches up lazily on each use, which
gives the same state whenever it is read.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

IDLE_RESET_S = 600.0
"""The server stops a rate counter that saw only empty buckets for 10 minutes; the next use
starts a fresh one (with no history to average over)."""


class RateCounter:
    def __init__(
        self, limit: float, tick_s: float, buckets: int, clock: Clock = time.monotonic
    ) -> None:
        self.limit = limit
        self.tick_s = tick_s
        self.max_buckets = buckets
        self._clock = clock
        self._reset(clock())

    def _reset(self, now: float) -> None:
        self._started_at = now
        self._ticks_done = 0
        self._pending = 0
        self._buckets: deque[int] = deque(maxlen=self.max_buckets)
        self._last_activity = now
        self.avg = 0.0
        self.triggered = False

    def _advance(self) -> None:
        now = self._clock()
        due = int((now - self._started_at) // self.tick_s) - self._ticks_done
        if due > 0:
            # After max_buckets + 1 empty ticks the state no longer changes, so stop there.
            for _ in range(min(due, self.max_buckets + 1)):
                self._tick(self._pending)
                self._pending = 0
            self._ticks_done += due
        if (
            now - self._last_activity >= IDLE_RESET_S
            and not any(self._buckets)
            and not self._pending
        ):
            self._reset(now)

    def _tick(self, count: int) -> None:
        self._buckets.appendleft(count)
        self.avg = sum(self._buckets) / len(self._buckets)
        # The server sets the flag when avg >= limit and clears it when avg < limit.
        self.triggered = self.avg >= self.limit

    def add(self, count: int = 1) -> None:
        self._advance()
        self._pending += count
        if count:
            self._last_activity = self._clock()

    def is_triggered(self) -> bool:
        self._advance()
        return self.triggered

    def current_tick_count(self) -> int:
        """What the tick under way has counted so far (closed into a bucket at its end)."""
        self._advance()
        return self._pending

    def current_avg(self) -> float:
        self._advance()
        return self.avg


@dataclass
class FixedWindowLimit:
    """The server's client presence limit: a window opens at the first call after the previous
    one expired; within it at most `max_calls` calls pass."""

    max_calls: int
    window_s: float
    clock: Clock = time.monotonic
    _counter: int = 0
    _reset_at: float | None = None

    def allow(self) -> bool:
        now = self.clock()
        if self._reset_at is None or now > self._reset_at:
            self._counter = 1
            self._reset_at = now + self.window_s
            return True
        if self._counter >= self.max_calls:
            return False
        self._counter += 1
        return True


@dataclass
class TokenBucket:
    """Hub-only flood guard: `capacity` tokens at once, refilled at `rate` per second."""

    capacity: float
    rate: float
    clock: Clock = time.monotonic
    _tokens: float = field(init=False)
    _updated: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = self.capacity
        self._updated = self.clock()

    def take(self, cost: float = 1) -> bool:
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False
