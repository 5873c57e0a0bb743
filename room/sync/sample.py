"""What the sync engine needs to know about the local player, with no player imports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlaybackSample:
    """One observation of the local player, timed on the caller's monotonic clock (ms).

    The integrator builds it from `player.base.PlayerState` (`position_at` x 1000).
    `restarts` counts finished seeks/loads, so a seek is seen even between samples.
    """

    position_s: float
    observed_at_ms: float
    paused: bool
    speed: float = 1.0
    seeking: bool = False
    buffering: bool = False
    eof: bool = False
    restarts: int = 0

    @property
    def advancing(self) -> bool:
        return not (self.paused or self.seeking or self.buffering or self.eof)

    def position_at(self, now_ms: float) -> float:
        """Where playback is at `now_ms`, extrapolated while the clock is moving."""
        if not self.advancing:
            return self.position_s
        return self.position_s + max(0.0, now_ms - self.observed_at_ms) / 1000 * self.speed
