"""When to re-track presence: on a change in kind, otherwise now and then, within budgets.

Every heartbeat goes out as a broadcast regardless; presence is the slower, rate-limited
copy that tells late joiners (and browsers) who is here and in what state. Two limits
apply: Supabase's 5 calls per client per 30 s (``PresenceBudget``), and the room's share of
the project's presence events, which the caller checks (``room_allows``): one track costs
one event per member, so in a big room even changes in kind must wait their turn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from room.wire import PresenceFields

SAFETY_MARGIN_S = 1.0
"""Our window of presence calls is this much longer than the server's, so a server whose
window starts a little later than ours still counts fewer calls."""


@dataclass
class PresenceBudget:
    """Supabase allows 5 track/untrack calls per client per 30 s and closes the channel past
    that, identical re-tracks included: our own sliding window of those calls."""

    calls: int = 5
    window_s: float = 30.0
    _spent: deque[float] = field(default_factory=deque)

    def _forget_old(self, now: float) -> None:
        while self._spent and now - self._spent[0] >= self.window_s + SAFETY_MARGIN_S:
            self._spent.popleft()

    def available(self, now: float) -> int:
        self._forget_old(now)
        return self.calls - len(self._spent)

    def try_spend(self, now: float) -> bool:
        """Record a call at ``now`` if the budget allows one; say whether it did."""
        if self.available(now) <= 0:
            return False
        self._spent.append(now)
        return True

    def reset(self) -> None:
        """A new channel join starts a new count on the server."""
        self._spent.clear()


CHANGE_RETRACK_SPEEDUP = 4.0
"""A change in kind may re-track presence this many times sooner than a routine refresh:
in a room of 50 (a routine track every 255 s) once a minute. A room whose members flip in
and out of sync on a starved CPU, each re-tracking at once, tripped Free's 20 presence
events/s (each track costs one per member) and was cut off."""

RESERVED_FOR_CHANGES = 2
"""Budget calls a routine refresh leaves untouched, so a real change can go out at once."""


Kind = tuple[bool, bool | None, bool]
"""(is_host, is_synced, buffering): the parts of our state whose change others must see
promptly. Play and pause are not among them: the host's own play/pause events tell the
room, and a follower in sync plays when the host does (so a whole room re-tracking on every
pause is never needed)."""


def kind(is_host: bool, is_synced: bool | None, buffering: bool) -> Kind:
    """Our state's kind from its three parts (the roster reads them off the player on every
    sample, without building the fields)."""
    return (is_host, is_synced, buffering)


def kind_of(fields: PresenceFields) -> Kind:
    return kind(fields.is_host, fields.is_synced, fields.buffering)


def as_news(told: Kind, now: Kind) -> Kind:
    """``now`` as news for a room that last heard ``told``. While we buffer, as the room
    heard, our sync verdict is none: every list shows "buffering" whatever it is
    (``room.members.sync_status``). A buffering player measures no drift, so its verdict
    goes stale within the spell (5 s after the last measurement, often a seek's settling
    before the spell) and reads "off"; told then, it could spend the send the spell's end
    needed (room_scale's room of 16 saw ends reach some lists 2 s late). The spell's end
    tells the verdict of the moment."""
    if told[2] and now[2]:
        return (now[0], told[1], now[2])
    return now


def changed_in_kind(tracked: PresenceFields, fields: PresenceFields) -> bool:
    """Whether ``fields`` differ in kind from what presence last said (``as_news``). A
    newcomer's first sync verdict is no news for presence: it tracked on joining with none,
    and a room whose every newcomer re-tracked a second later, on getting in sync, paid for
    each join twice (a track costs one presence event per member: N^2/2 for a room
    gathering, doubled). Its heartbeat tells the verdict at once, and the member list takes
    the fresher of the two."""
    before, after = kind_of(tracked), as_news(kind_of(tracked), kind_of(fields))
    if tracked.is_synced is None:
        before = (before[0], after[1], before[2])
    return before != after or changed_readiness(tracked, fields)


def changed_readiness(tracked: PresenceFields, fields: PresenceFields) -> bool:
    """Readiness for the queue's item is a change in kind too: late joiners and browsers
    read it from presence (the host starts an item on the fresher heartbeats)."""
    return (tracked.readiness, tracked.item_id) != (fields.readiness, fields.item_id)


@dataclass
class PresencePublisher:
    budget: PresenceBudget = field(default_factory=PresenceBudget)
    refresh_s: float = 3.0
    _tracked: PresenceFields | None = None
    _tracked_at: float = 0.0

    def rejoined(self) -> None:
        """A new join: the server forgot our presence and starts a new count."""
        self._tracked = None
        self.budget.reset()

    def should_track(
        self,
        fields: PresenceFields,
        now: float,
        *,
        refresh_s: float | None = None,
        room_allows: bool = True,
    ) -> bool:
        """Whether to track ``fields`` now; spends budget when it says yes.

        The first track after a join always goes (it is how the room learns we are here);
        later ones only when ``room_allows``, and routine ones every ``refresh_s`` at most."""
        tracked = self._tracked
        if tracked is None:
            wanted = True
        elif changed_in_kind(tracked, fields):
            # The heartbeat tells the change at once; presence, the dearer copy, follows no
            # sooner than a few times our fair share of the room's presence events allows.
            # A change of host is told at once: browsers learn who hosts from presence.
            change_gap_s = (refresh_s or 0.0) / CHANGE_RETRACK_SPEEDUP
            soon_enough = now - self._tracked_at >= change_gap_s
            wanted = room_allows and (soon_enough or tracked.is_host != fields.is_host)
        else:
            routine_due = now - self._tracked_at >= max(self.refresh_s, refresh_s or 0.0)
            wanted = (
                routine_due and room_allows and self.budget.available(now) > RESERVED_FOR_CHANGES
            )
        if wanted and self.budget.try_spend(now):
            self._tracked, self._tracked_at = fields, now
            return True
        return False
