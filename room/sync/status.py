"""`is_synced` for the heartbeat, from measured drift against a stated threshold."""

from __future__ import annotations


class DriftVerdict:
    """In sync = the latest drift measurement is within `threshold_ms` and not stale.

    A follower that cannot measure (seeking, buffering, no anchor) keeps its last verdict
    for `stale_after_ms`, so a planned seek does not flash "out of sync" in the member list.
    """

    def __init__(self, threshold_ms: float, *, stale_after_ms: float = 5000.0) -> None:
        self.threshold_ms = threshold_ms
        self._stale_after_ms = stale_after_ms
        self._drift_ms: float | None = None
        self._measured_at_ms = -stale_after_ms

    def record(self, drift_ms: float, now_ms: float) -> None:
        self._drift_ms = drift_ms
        self._measured_at_ms = now_ms

    @property
    def measured_at_ms(self) -> float:
        """When the latest drift was measured (-stale_after_ms before the first)."""
        return self._measured_at_ms

    def latest_ms(self, now_ms: float) -> float | None:
        """The latest drift measured, while not stale."""
        if self._drift_ms is None or now_ms - self._measured_at_ms > self._stale_after_ms:
            return None
        return self._drift_ms

    def is_synced(self, now_ms: float) -> bool:
        if self._drift_ms is None or now_ms - self._measured_at_ms > self._stale_after_ms:
            return False
        return abs(self._drift_ms) <= self.threshold_ms
