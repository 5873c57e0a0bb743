"""How far ahead the host schedules a start: from the room's measured latencies, not a constant.

Each follower measures its round trips to the host by clock sync and reports how long
the host's messages may take to reach it (``SyncPing.one_way_ms``). The host takes the
slowest present member's report, adds a margin for the follower's own turn of its event loop,
and keeps the result between a floor and a cap. A member that has not reported yet (it just
joined, or it is a web client, which never pings) does not hold the room back: it hears the
play a little late, starts at once and the follower's engine catches it up.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass

from room.sync.settings import SyncSettings

REPORT_EXPIRY_MS = 600_000.0
"""A report this old is forgotten (pings come every minute or so, slower in big rooms)."""


@dataclass(frozen=True, slots=True)
class LatencyReport:
    one_way_ms: float
    at_ms: float


class StartLead:
    """The host's table of members' one-way latencies, and the start lead they call for."""

    def __init__(
        self,
        settings: SyncSettings | None = None,
        *,
        present: Callable[[], Container[str]] | None = None,
    ) -> None:
        self.settings = settings or SyncSettings()
        self._present = present
        self._reports: dict[str, LatencyReport] = {}

    def note(self, user_id: str, one_way_ms: float, now_ms: float) -> None:
        """A member's latest report: how long our messages may take to reach it (ms)."""
        self._reports[user_id] = LatencyReport(one_way_ms, now_ms)

    @property
    def reported(self) -> frozenset[str]:
        """Who has reported a latency (present or not)."""
        return frozenset(self._reports)

    def forget(self, user_id: str) -> None:
        self._reports.pop(user_id, None)

    def slowest_ms(self, now_ms: float) -> float | None:
        """The highest one-way latency among present members who reported, or None."""
        present = self._present() if self._present is not None else None
        known = [
            report.one_way_ms
            for user_id, report in self._reports.items()
            if now_ms - report.at_ms <= REPORT_EXPIRY_MS and (present is None or user_id in present)
        ]
        return max(known, default=None)

    def lead_ms(self, now_ms: float) -> float:
        """The start lead: the slowest known member's latency plus the margin, within the
        floor and the cap; the floor alone while nobody's latency is known."""
        settings = self.settings
        slowest = self.slowest_ms(now_ms)
        wanted = (
            settings.min_start_lead_ms if slowest is None else slowest + settings.start_margin_ms
        )
        return min(settings.max_start_lead_ms, max(settings.min_start_lead_ms, wanted))
