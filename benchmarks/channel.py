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
    """The path between the host and one member: each direction in order (as over the
    websocket's TCP stream), each message delayed by the base latency plus jitter; a
    message never overtakes the one sent before it in the same direction."""

    def __init__(self, profile: LinkProfile, rng: random.Random) -> None:
        self.profile = profile
        self._rng = rng
        self.delays_ms: list[float] = []
        self._last_arrival = {"down": 0.0, "up": 0.0}

    def send(self, deliver: Callable[[], None]) -> None:
        """Host to member."""
        self._send("down", deliver)

    def send_up(self, deliver: Callable[[], None]) -> None:
        """Member to host."""
        self._send("up", deliver)

    def _send(self, direction: str, deliver: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        delay = self.profile.delay_ms(self._rng)
        arrival = max(loop.time() + delay / 1000, self._last_arrival[direction])
        self._last_arrival[direction] = arrival
        self.delays_ms.append((arrival - loop.time()) * 1000)
        loop.call_at(arrival, deliver)
