"""The presence budget: how many presence calls we may make before Supabase cuts us off.

Supabase allows 5 track/untrack calls per client per 30 s and closes the channel past that,
counting identical re-tracks too. We keep our own sliding window of calls, with a margin so
that a server whose window starts a little later than ours still counts fewer calls.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

SAFETY_MARGIN_S = 1.0


@dataclass
class PresenceBudget:
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

    def next_free_at(self, now: float) -> float:
        """When the next call will be allowed (``now`` if one is allowed already)."""
        if self.available(now) > 0:
            return now
        return self._spent[0] + self.window_s + SAFETY_MARGIN_S

    def reset(self) -> None:
        """A new channel join starts a new count on the server."""
        self._spent.clear()
