"""Reconnect delays: exponential, capped, with jitter so a room doesn't reconnect in lockstep."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial_s: float = 0.5
    cap_s: float = 15.0
    jitter: float = 0.25
    """Each delay is spread by up to this fraction either way."""
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """The wait before reconnect attempt ``attempt`` (0 for the first)."""
        base: float = min(self.initial_s * 2.0 ** min(attempt, 30), self.cap_s)
        spread = base * self.jitter
        jittered: float = base + self.rng.uniform(-spread, spread)
        return max(0.0, jittered)
