"""The room's message budget: what each send costs in a room of N, and how often it may go.

Supabase counts a broadcast once on arrival and once per subscriber it reaches, our own echo
included, so one send to a room of N costs N + 1 (reference/realtime-protocol.md, "How the
server counts"); a presence track costs 1 plus one per member the diff reaches. Every member
runs this same rule, so if each keeps to its fair share the room keeps to its budget:

    one member's sends per second  <=  members' part of the budget / (N * (N + 1))

The members' part is 90 %; the host's silent anchor refreshes have the other 10 %. A member's
share is split again: most for the periodic heartbeat (the web client's 3 s while the room
is small, stretched as it grows); the rest for clock pings (each paying for the host's pong
too) and for changes in kind (sync state, buffering, host), which go out at once.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

ANCHOR_SHARE = 0.10
"""Of the room's whole budget, what the host's silent anchor refreshes may use; the members
share the rest."""
HEARTBEAT_SHARE = 0.85
"""Of a member's fair share, what its periodic heartbeats may use."""
CLOCK_SHARE = 0.05
"""What its clock-sync pings (and their pongs) may use."""
PING_SENDS = 2.0
"""A ping costs its own broadcast and the host's pong, which reaches the room too."""
STRAY_ANCHOR_SHARE = 0.20
"""What the host's anchors correcting a straying player may use (libmpv strays for a few
seconds after a seek or a start, and followers follow the anchors, not the player)."""
BURST_SENDS = 3.0
"""Sends a member's bucket holds: a heartbeat, a ping's two, and one kept for a change."""
KEPT_FOR_CHANGES = 1.0
"""Periodic sends (heartbeats, pings) never spend the last send: a change in kind always
finds one and goes out at once."""
CHANGE_BORROW_SENDS = 2.0
"""A change in kind that finds the bucket empty all the same may borrow this many sends from
its future (the next heartbeat then waits longer): so the end of a buffering spell, a few
seconds after its start, is not held back for most of a heartbeat interval in a big room."""
SLACK_SHARE = 0.9
"""A change past our share goes only while the room, as we saw it, is under this part of its
budget: the rest is margin for members that decided in the same moment."""
BUSY_STRETCH = 0.8
"""While the room is over its budget (``RoomBudget.room_busy``) a routine heartbeat waits up
to this part of an interval longer: well inside the lists' overdue mark (2.5 intervals)."""
SLACK_SPREAD_S = 2.0
"""A change that must wait for the room's slack first waits a random moment of up to this
long, so that a room whose members all changed at once sees the first of them spend it."""
PRESENCE_WINDOW_S = 60.0
"""The server averages its presence counter over a minute."""
PRESENCE_MIN_WINDOW_S = 10.0
"""The shortest span a young server counter averages over (its empty first bucket and one)."""
_EPSILON = 1e-6
"""Tokens this close to a whole send count as one (refills are floating point)."""


class BudgetSettings(BaseModel):
    """How much of the project's realtime rate one room may use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    messages_per_s: float = Field(default=50.0, gt=0, le=1_000_000)
    """Messages a second the room may cost, as Supabase counts them (each broadcast once on
    arrival and once per member it reaches). The default is half the Free plan's 100, so two
    busy rooms fit in one project; raise it for Pro (500) or a LAN hub."""
    presence_per_s: float = Field(default=10.0, gt=0, le=1_000_000)
    """Presence events a second the room may cost (Free allows 20 for the whole project)."""
    heartbeat_min_s: float = Field(default=3.0, gt=0, le=600)
    """The heartbeat interval of a small room (the web client's 3 s)."""
    heartbeat_max_s: float = Field(default=300.0, gt=0, le=3600)
    """The longest a heartbeat may be stretched, whatever the room's size."""


def broadcast_cost(room_size: int) -> int:
    """Messages one broadcast costs in a room of ``room_size`` (the sender included)."""
    return max(1, room_size) + 1


def fair_sends_per_s(room_size: int, settings: BudgetSettings) -> float:
    """One member's share of the room's budget, in broadcasts per second."""
    size = max(1, room_size)
    return settings.messages_per_s * (1 - ANCHOR_SHARE) / (size * broadcast_cost(size))


def heartbeat_interval_s(room_size: int, settings: BudgetSettings) -> float:
    """How often each member heartbeats in a room of ``room_size``."""
    stretched = 1.0 / (fair_sends_per_s(room_size, settings) * HEARTBEAT_SHARE)
    return min(settings.heartbeat_max_s, max(settings.heartbeat_min_s, stretched))


def clock_refresh_interval_s(room_size: int, settings: BudgetSettings, floor_s: float) -> float:
    """How often a follower may ping the host once its clock estimate is warm."""
    return max(floor_s, PING_SENDS / (fair_sends_per_s(room_size, settings) * CLOCK_SHARE))


def anchor_refresh_interval_s(room_size: int, settings: BudgetSettings, floor_s: float) -> float:
    """How often the host may send a silent anchor refresh while playing."""
    return max(floor_s, broadcast_cost(room_size) / (settings.messages_per_s * ANCHOR_SHARE))


def stray_anchor_interval_s(room_size: int, settings: BudgetSettings, floor_s: float) -> float:
    """How often the host may correct its anchor when its player strays from it."""
    cost = broadcast_cost(room_size)
    return max(floor_s, cost / (settings.messages_per_s * STRAY_ANCHOR_SHARE))


def overdue_after_s(room_size: int, settings: BudgetSettings) -> float:
    """A member not heard from for this long is shown as stale: several heartbeats missed."""
    return 2.5 * heartbeat_interval_s(room_size, settings) + 2.0


def presence_cost(room_size: int) -> int:
    """Presence events one track costs: the call itself and one diff per member."""
    return max(1, room_size) + 1


def presence_interval_s(room_size: int, settings: BudgetSettings) -> float:
    """How often each member may re-track presence in a room of ``room_size``."""
    size = max(1, room_size)
    return size * presence_cost(size) / settings.presence_per_s


PEAK_HOLD_S = 120.0
"""How long the room's size, once seen, is kept when presence shows fewer (see set_room_size)."""
REJOIN_SPREAD_MAX_S = 120.0
"""However big the room, a member is back in everyone's list within this long."""


def rejoin_spread_s(room_size: int, settings: BudgetSettings) -> float:
    """After a reconnect, members spread their first sends over this long, so that a room
    coming back at once does not spend a minute's budget in a second: its heartbeats (one
    broadcast each) and, the dearer, its presence tracks (each diff reaches every member, so
    the whole room re-tracking costs N(N+1) presence events: 420 for 20 members, which the
    Free plan's 20 a second takes 21 s to average out)."""
    size = max(1, room_size)
    messages_s = size * broadcast_cost(size) / settings.messages_per_s
    presence_s = size * presence_cost(size) / settings.presence_per_s
    return min(REJOIN_SPREAD_MAX_S, max(messages_s, presence_s))


@dataclass
class SendBucket:
    """A token bucket of broadcasts for one member, refilled at its fair share."""

    rate_per_s: float
    capacity: float = BURST_SENDS
    tokens: float = field(default=BURST_SENDS)
    updated_s: float | None = None

    def _refill(self, now_s: float) -> None:
        if self.updated_s is not None:
            elapsed = max(0.0, now_s - self.updated_s)
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        self.updated_s = now_s

    def set_rate(self, rate_per_s: float, now_s: float) -> None:
        self._refill(now_s)
        self.rate_per_s = rate_per_s

    def try_spend(
        self, now_s: float, sends: float = 1.0, *, keep: float = 0.0, borrow: float = 0.0
    ) -> bool:
        """Spend ``sends`` if ``keep`` more would be left; a change that must not wait may
        ``borrow`` sends the bucket has not refilled yet (the tokens go below zero and what
        follows waits the longer)."""
        self._refill(now_s)
        if self.tokens - sends >= keep - borrow - _EPSILON:
            self.tokens -= sends
            return True
        return False

    def charge(self, now_s: float, sends: float = 1.0) -> None:
        """Count sends that went out regardless (a join's own reports): what follows waits."""
        self._refill(now_s)
        self.tokens = max(-self.capacity, self.tokens - sends)

    def wait_s(self, now_s: float, sends: float = 1.0, keep: float = 0.0) -> float:
        """How long until ``sends`` are allowed with ``keep`` left (0 when they are now)."""
        self._refill(now_s)
        missing = sends + keep - self.tokens
        if missing <= _EPSILON:
            return 0.0
        return missing / self.rate_per_s if self.rate_per_s > 0 else float("inf")


@dataclass
class RoomLoad:
    """What the room spends of one of its budgets, as one member sees it.

    Every member receives every broadcast (our own too: ``self: true``) and every presence
    change, and the server counts each once per member it reaches (plus once on arrival), so
    what we saw, each at its cost for the room's size, estimates the room's whole spend. A
    member may spend past its own fair share only when that, plus its own send, stays within
    ``limit_per_s``: the part of the budget the other members have left unused.
    """

    limit_per_s: float
    _seen: deque[tuple[float, int]] = field(default_factory=deque)
    _since_s: float | None = None
    _total: int = 0
    """The sum of ``_seen``'s costs, kept as they come and go: every member's heartbeat and
    clock loops ask while the room is busy, and a room of 50 sees thousands a minute."""

    def saw(self, now_s: float, cost: int) -> None:
        if self._since_s is None:
            self._since_s = now_s
        self._seen.append((now_s, cost))
        self._total += cost

    def rate_per_s(self, now_s: float) -> float:
        """Per second over the last minute, or over the time we have watched if shorter (at
        least PRESENCE_MIN_WINDOW_S): a young server counter averages over the few buckets
        it has, so a room's first burst counts for more than a minute's worth would."""
        self._forget_before(now_s - PRESENCE_WINDOW_S)
        return self._total / self._window_s(now_s)

    def _forget_before(self, oldest_s: float) -> None:
        while self._seen and self._seen[0][0] <= oldest_s:
            self._total -= self._seen.popleft()[1]

    def fits_in_s(self, now_s: float, cost: int, limit_per_s: float) -> float:
        """How long until ``cost`` more fits under ``limit_per_s`` (``may_spend``) if the room
        sends nothing new meanwhile: when enough of what we saw has left the minute (0 if it
        fits now). The room's next sends may push it back; while we have watched less than a
        minute the window grows too, and it may fit sooner."""
        self._forget_before(now_s - PRESENCE_WINDOW_S)
        excess = self._total + cost - limit_per_s * self._window_s(now_s)
        if excess <= _EPSILON:
            return 0.0
        for seen_s, seen_cost in self._seen:
            excess -= seen_cost
            if excess <= _EPSILON:
                return max(0.0, seen_s + PRESENCE_WINDOW_S - now_s)
        return PRESENCE_WINDOW_S

    def _window_s(self, now_s: float) -> float:
        watched_s = now_s - self._since_s if self._since_s is not None else 0.0
        return min(PRESENCE_WINDOW_S, max(PRESENCE_MIN_WINDOW_S, watched_s))

    def may_spend(self, now_s: float, cost: int, limit_per_s: float | None = None) -> bool:
        """Whether ``cost`` more keeps the room within ``limit_per_s`` (our own by default)."""
        own = cost / self._window_s(now_s)
        limit = self.limit_per_s if limit_per_s is None else limit_per_s
        return self.rate_per_s(now_s) + own <= limit


def jitter(spread_s: float, rng: random.Random | None = None) -> float:
    return (rng or random).uniform(0.0, max(0.0, spread_s))


class RoomBudget:
    """One member's view of the room's budget: the room's size, its send bucket, and the
    intervals every kind of periodic traffic keeps at that size."""

    def __init__(self, settings: BudgetSettings | None = None) -> None:
        self.settings = settings or BudgetSettings()
        self.room_size = 1
        self._largest_since_join = 1
        self._peak, self._peak_at_s = 1, 0.0
        """The room we were in: a lost link empties presence before the rejoin."""
        self.bucket = SendBucket(fair_sends_per_s(1, self.settings))
        self.presence = RoomLoad(self.settings.presence_per_s)
        """The room's presence events: a re-track waits while they are over the share."""
        self.messages = RoomLoad(self.settings.messages_per_s * SLACK_SHARE)
        """The room's broadcasts, the host's anchors among them: a change in kind may spend
        what the room left unused of its whole budget."""

    def set_room_size(self, room_size: int, now_s: float) -> None:
        room_size = max(1, room_size)
        self._largest_since_join = max(self._largest_since_join, room_size)
        # A room shrinks in our view when our link is lost (presence empties) and while it
        # comes back (presence refills one re-track at a time): keep the size we had for a
        # while, or the whole room spends at a small room's rate just when it all returns.
        if room_size >= self._peak or now_s - self._peak_at_s > PEAK_HOLD_S:
            self._peak, self._peak_at_s = room_size, now_s
        room_size = max(room_size, self._peak)
        if room_size != self.room_size:
            self.room_size = room_size
            self.bucket.set_rate(fair_sends_per_s(room_size, self.settings), now_s)

    def try_send(self, now_s: float, sends: float = 1.0, keep: float = 0.0) -> bool:
        return self.bucket.try_spend(now_s, sends, keep=keep)

    def try_send_change(self, now_s: float) -> bool:
        """A change in kind: it may borrow sends from the bucket's future."""
        return self.bucket.try_spend(now_s, borrow=CHANGE_BORROW_SENDS)

    def try_send_on_slack(self, now_s: float) -> bool:
        """A change past our share may spend what the room left unused of its budget (a
        member whose network stalls every few seconds changes kind more often than any fair
        share of a big room pays for; the rest of the room, quiet between heartbeats, pays
        for it). It is charged to our bucket all the same, so our periodic heartbeats wait;
        the changes stand in for them. The caller spreads these tries (``SLACK_SPREAD_S``):
        a host's seek can flip a whole room's verdicts at once, and members deciding in the
        same instant would all see the same slack."""
        if self.messages.may_spend(now_s, broadcast_cost(self.room_size)):
            self.bucket.charge(now_s)
            return True
        return False

    def room_busy_for_s(self, now_s: float) -> float:
        """How long the room stays busy (``room_busy``) if nobody sends meanwhile: 0 when
        it is not."""
        cost = broadcast_cost(self.room_size)
        return self.messages.fits_in_s(now_s, cost, self.settings.messages_per_s)

    def room_busy(self, now_s: float) -> bool:
        """Whether one more broadcast would take the room, as we saw it over the last
        minute, past its whole budget. Periodic sends (routine heartbeats, clock pings) give
        way then, within limits (``BUSY_STRETCH``), to what cannot wait: while a party
        gathers, every arrival's announcement, first report, clock answer and welcome reach
        the whole room, and a room of 50 gathering in two minutes spent 80 % of a Free
        project's minute with its members heartbeating as if nobody was arriving."""
        cost = broadcast_cost(self.room_size)
        return not self.messages.may_spend(now_s, cost, self.settings.messages_per_s)

    def change_wait_s(self, now_s: float) -> float:
        """How long until a change in kind may go on our own bucket alone."""
        return self.bucket.wait_s(now_s, keep=-CHANGE_BORROW_SENDS)

    def saw_broadcast(self, now_s: float) -> None:
        self.messages.saw(now_s, broadcast_cost(self.room_size))

    def saw_presence_change(self, now_s: float) -> None:
        self.presence.saw(now_s, presence_cost(self.room_size))

    def charge(self, now_s: float, sends: float = 1.0) -> None:
        self.bucket.charge(now_s, sends)

    def send_wait_s(self, now_s: float, sends: float = 1.0, keep: float = 0.0) -> float:
        return self.bucket.wait_s(now_s, sends, keep)

    @property
    def heartbeat_interval_s(self) -> float:
        return heartbeat_interval_s(self.room_size, self.settings)

    @property
    def presence_interval_s(self) -> float:
        return presence_interval_s(self.room_size, self.settings)

    @property
    def overdue_after_s(self) -> float:
        return overdue_after_s(self.room_size, self.settings)

    def rejoin_spread(self) -> float:
        """The spread for the rejoin under way, sized on the room we were in (the lost link
        may have emptied presence already); from now on the size is the new join's."""
        size, self._largest_since_join = max(self._largest_since_join, self.room_size), 1
        return rejoin_spread_s(size, self.settings)

    @property
    def rejoin_spread_s(self) -> float:
        return rejoin_spread_s(max(self.room_size, self._largest_since_join), self.settings)

    def clock_refresh_interval_s(self, floor_s: float) -> float:
        return clock_refresh_interval_s(self.room_size, self.settings, floor_s)

    def anchor_refresh_interval_s(self, floor_s: float) -> float:
        return anchor_refresh_interval_s(self.room_size, self.settings, floor_s)

    def stray_anchor_interval_s(self, floor_s: float) -> float:
        return stray_anchor_interval_s(self.room_size, self.settings, floor_s)

    def may_track(self, now_s: float) -> bool:
        return self.presence.may_spend(now_s, presence_cost(self.room_size))
