"""Rate limits, shaped like Supabase Realtime's so that they trip at the same points.

Read from supabase/realtime at commit 833cf36c (2026-08-21); `file:line` below is in that tree.

`RateCounter` mirrors `Realtime.RateCounter` (lib/realtime/rate_counter/rate_counter.ex) with the
settings the tenant counters use (lib/realtime/tenants.ex: `events_per_second_rate` 240-263,
`db_events_per_second_rate` 289-312, `presence_events_per_second_rate` 337-359 and
`joins_per_second_rate` 192-214, each `tick: :timer.seconds(5), max_bucket_len: 12`,
`measurement: :avg`):

- **Start with one empty bucket.** `init/1` schedules its first tick at 0 ms (`tick(0)`, 175),
  and that tick closes the (empty) count into the first bucket; later ticks come every 5 s
  (`tick(state.tick)`, 219). So for its first minute the average has one zero bucket more
  than it has ticks of traffic: more lenient than a full window, not stricter.
- **Buckets and average.** Each tick pushes the tick's count in front and keeps at most 12
  (`[count | state.bucket] |> Enum.take(state.max_bucket_len)`, 209), then
  `avg = sum / bucket_len / (state.tick / 1_000)` (214): a **per-second** rate over up to
  the last 60 s, compared with a per-second limit (100 messages/s means 6000 a minute).
- **Trigger and clear.** `maybe_trigger_limit/1` (259-279), at each tick only: an untriggered
  counter triggers when `avg >= limit` (272, and logs `log_fn`); a triggered one clears when
  `avg < limit` (263). Between ticks the flag and `avg` do not move, whatever is counted.
- **Idle stop.** `@idle_shutdown :timer.minutes(5)` (25), armed in `init/1` (177-178): every
  5 minutes from the start, a counter whose buckets are all 0 stops (226-234); the next use
  (`RateCounter.get/1`, 107-120, or `new/2`) starts a fresh one, with its empty first bucket.

What each tenant counter counts (all paths under lib/; the hub's `HubState` keeps the four):

- **events** (messages; limit `max_events_per_second`):
  each client broadcast on arrival, before its size check (realtime_web/channels/
  realtime_channel/broadcast_handler.ex:100 and 161-168, `increment_rate_counter`); each
  delivery, the sender's own echo included with `self: true` (`pubsub_broadcast` has no
  `from`, broadcast_handler.ex:120-141), because message_dispatcher.ex:87-116 sends every
  receiving channel `:update_rate_counter` (103), which counts 1 and, if the limit is
  triggered, shuts that channel down with "Too many messages per second"
  (realtime_web/channels/realtime_channel.ex:292-303); unknown client events
  (realtime_channel.ex:619-628, `handle_in/3` catch-all); each `realtime.send` broadcast,
  dropped uncounted while triggered (realtime/tenants/replication_connection.ex:418-432,
  `check_rate_limit` 501-506). Not counted: Phoenix heartbeats (answered by the socket, not
  a channel), replies, system pushes, `access_token` (realtime_channel.ex:524-538), presence,
  postgres_changes.
- **db_events** (postgres_changes; the same `max_events_per_second`): per change, its matching
  subscriptions; while triggered a poll's changes are skipped and no channel is closed
  (extensions/postgres_cdc_rls/replication_poller.ex:404-421).
- **presence_events** (`max_presence_events_per_second`): each accepted track and each
  `presence_state`, refused when `rate_counter.avg > limit`, strictly (realtime_web/channels/
  realtime_channel/presence_handler.ex:202-213 `limit_presence_event/1`, used by `track/2`
  141-179 and `sync/1` 31-40), and each presence_diff, 1 per receiving channel
  (message_dispatcher.ex:46-85, `increment_presence_counter` 175-179).
- **joins** (`max_joins_per_second`): each join while not triggered; refused while triggered
  (realtime_channel.ex:647-664, `limit_joins/2`).

The server runs each counter on a timer; this one catches up lazily (ticks, then idle checks at
their times) whenever it is used, which gives the same state whenever it is read. One known
difference: the server's restarted counter also loses the few counts made just before its
restart (`init/1` resets the GenCounter, 144); this one keeps them (stricter by those few).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

log = logging.getLogger("hub.limits")

TICK_S = 5.0
"""The tenant counters' tick (lib/realtime/tenants.ex: `tick: :timer.seconds(5)`)."""

BUCKETS = 12
"""The tenant counters' bucket count (lib/realtime/tenants.ex: `max_bucket_len: 12`)."""

IDLE_SHUTDOWN_S = 300.0
"""rate_counter.ex:25, `@idle_shutdown :timer.minutes(5)`: how often a counter checks whether
all its buckets are 0, and stops if they are."""


class RateCounter:
    """A tenant rate counter: counts per tick, per-second average over the last buckets, a
    limit flag that only ticks move. `limit` None: counted, never triggered (`--limits off`).

    A counter is stopped until first used (the server starts its tenant counters at a channel
    join, realtime_channel.ex:151-154 `assign_counter`/`assign_presence_counter`, or at the
    first check of a join or a database broadcast); `start()` is the server's `RateCounter.new`
    and every other method starts a stopped counter first, as `RateCounter.get` does.
    """

    def __init__(
        self,
        limit: float | None,
        tick_s: float = TICK_S,
        buckets: int = BUCKETS,
        clock: Clock = time.monotonic,
        *,
        idle_shutdown_s: float = IDLE_SHUTDOWN_S,
        reached: str = "rate limit reached",
    ) -> None:
        self.limit = limit
        self.tick_s = tick_s
        self.max_buckets = buckets
        self.idle_shutdown_s = idle_shutdown_s
        self.reached = reached
        """Logged when the limit triggers (the server's `log_fn`)."""
        self._clock = clock
        self.running = False
        self.avg = 0.0
        self.triggered = False
        self.trips = 0
        """How many times the limit triggered (rising edges), for tests and logs."""
        self._buckets: deque[int] = deque(maxlen=buckets)
        self._pending = 0
        self._started_at = 0.0
        self._ticks_done = 0
        self._checks_done = 0

    # --- the server's state machine ----------------------------------------------------------
    def _start(self, now: float) -> None:
        self.running = True
        self._started_at = now
        self._buckets.clear()
        self._pending = 0
        self.triggered = False
        self._ticks_done = 1  # tick(0) in init/1: the first bucket, empty
        self._checks_done = 1  # the first idle check comes after idle_shutdown_s
        self._tick(0)

    def _stop(self) -> None:
        # rate_counter.ex shutdown/1: the counter and its GenCounter go away.
        self.running = False
        self._buckets.clear()
        self._pending = 0
        self.avg = 0.0
        self.triggered = False

    def _advance(self) -> None:
        now = self._clock()
        if not self.running:
            self._start(now)
            return
        while self.running:
            tick_at = self._started_at + self._ticks_done * self.tick_s
            check_at = self._started_at + self._checks_done * self.idle_shutdown_s
            if min(tick_at, check_at) > now:
                return
            # The idle timer fires at exact multiples of 5 min; a tick due at the same moment
            # comes later on the server (each tick is rescheduled after the previous one ran).
            if check_at <= tick_at:
                self._checks_done += 1
                if not any(self._buckets):
                    self._stop()
            else:
                self._ticks_done += 1
                self._tick(self._pending)
                self._pending = 0
        self._start(now)  # stopped while idle: this use starts a fresh counter

    def _tick(self, count: int) -> None:
        # handle_info(:tick, state), rate_counter.ex:197-224.
        self._buckets.appendleft(count)
        self.avg = sum(self._buckets) / len(self._buckets) / self.tick_s
        if self.limit is None:
            return
        if self.triggered:
            if self.avg < self.limit:  # maybe_trigger_limit/1, triggered: clear below the limit
                self.triggered = False
        elif self.avg >= self.limit:  # maybe_trigger_limit/1, untriggered: trigger at the limit
            self.triggered = True
            self.trips += 1
            log.warning("%s (%.1f/s averaged over %d s)", self.reached, self.avg, self.window_s)

    # --- use ---------------------------------------------------------------------------------
    @property
    def window_s(self) -> int:
        return round(len(self._buckets) * self.tick_s)

    def start(self) -> None:
        """`RateCounter.new`: start the counter if it is not running (else just catch up)."""
        self._advance()

    def add(self, count: int = 1) -> None:
        """`GenCounter.add`: count into the tick under way."""
        self._advance()
        self._pending += count

    def is_triggered(self) -> bool:
        """`RateCounter.get(...)` then `limit.triggered`: the flag as of the last tick."""
        self._advance()
        return self.triggered

    def current_avg(self) -> float:
        """`RateCounter.get(...)` then `avg`: per second, as of the last tick."""
        self._advance()
        return self.avg

    def current_tick_count(self) -> int:
        """What the tick under way has counted so far (closed into a bucket at its end)."""
        self._advance()
        return self._pending

    def buckets(self) -> tuple[int, ...]:
        """The closed buckets, newest first (the server's `state.bucket`)."""
        self._advance()
        return tuple(self._buckets)


@dataclass
class FixedWindowLimit:
    """The server's client presence limit (realtime_web/channels/realtime_channel/
    presence_handler.ex:215-237, `limit_client_presence_event/1`, 5 calls per 30 000 ms by
    default, realtime_channel.ex:754-777): a window opens at the first call after the previous
    one expired (`current_time > reset_at`); within it at most `max_calls` calls pass.
    `max_calls` None: no limit (`--limits off`)."""

    max_calls: int | None
    window_s: float
    clock: Clock = time.monotonic
    _counter: int = 0
    _reset_at: float | None = None

    def allow(self) -> bool:
        if self.max_calls is None:
            return True
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


class ClientLimit:
    """Hub-only: requests per client for the REST subset and sign-in, a `TokenBucket` per
    client (its user id, else its address), so one client's flood is refused before it queues
    work for everyone. The least recently seen of more than `max_clients` is forgotten."""

    def __init__(
        self, per_second: float, burst: int, clock: Clock, max_clients: int = 10_000
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def retry_after(self, client: str) -> int | None:
        """None when ``client`` may go on, else the seconds to wait (at least 1)."""
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = TokenBucket(self.burst, self.per_second, self.clock)
        self._buckets[client] = bucket
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.take():
            return None
        return max(1, math.ceil(1 / self.per_second))
