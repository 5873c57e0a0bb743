"""An in-memory room channel that delays each message by a one-way latency plus jitter."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkProfile:
    base_ms: float
    jitter_ms: float

    def delay_ms(self, rng: random.Random) -> float:
        return self.base_ms + rng.uniform(0, self.jitter_ms)


class Link:
    """One direction-agnostic path between the host and one member. Messages may reorder."""

    def __init__(self, profile: LinkProfile, rng: random.Random) -> None:
        self.profile = profile
        self._rng = rng
        self.delays_ms: list[float] = []

    def send(self, deliver: Callable[[], None]) -> None:
        delay = self.profile.delay_ms(self._rng)
        self.delays_ms.append(delay)
        asyncio.get_running_loop().call_later(delay / 1000, deliver)
