"""When to re-track presence: on a change in kind at once, otherwise as the budget allows.

Every heartbeat goes out as a broadcast regardless; presence is the slower, rate-limited
copy that tells late joiners (and browsers) who is here and in what state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from room.budget import PresenceBudget
from room.wire import PresenceFields

RESERVED_FOR_CHANGES = 2
"""Budget calls a routine refresh leaves untouched, so a real change can go out at once."""


def kind_of(fields: PresenceFields) -> tuple[bool, bool, bool | None, bool]:
    """The parts of our state whose change others must see in presence promptly."""
    return (fields.is_playing, fields.is_host, fields.is_synced, fields.buffering)


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

    def should_track(self, fields: PresenceFields, now: float) -> bool:
        """Whether to track ``fields`` now; spends budget when it says yes."""
        tracked = self._tracked
        if tracked is None or kind_of(tracked) != kind_of(fields):
            wanted = True
        else:
            routine_due = now - self._tracked_at >= self.refresh_s
            wanted = routine_due and self.budget.available(now) > RESERVED_FOR_CHANGES
        if wanted and self.budget.try_spend(now):
            self._tracked, self._tracked_at = fields, now
            return True
        return False
