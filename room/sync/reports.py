"""Reading where playback is from a player's reports away from 1x, where some come early.

Off 1x mpv's `time-pos` reports frames in pairs on film-like media: one on time, the next
5-35 ms early, the early one growing until the pattern resets every ~0.4 s (1.5x, 25 fps,
`ao=null`; traced on 2026-12-01, benchmarks/README.md "Issue 16, film"). A median of such
reports lands on either side of the gap as the mix shifts, so a line drawn through it moves
by 10-30 ms from one window to the next. The reports that came on time are the lowest ones;
a busy CPU delays a few of mpv's callbacks, and a report stamped late looks behind, so the
estimate skips the lowest `late` of them.
"""

from __future__ import annotations

from collections.abc import Sequence


def on_time(values: Sequence[float], late: int) -> float:
    """The reports that came on time: the (`late` + 1)-th lowest of `values` (position
    minus a line, in any unit: higher is earlier). Needs more than `late` values."""
    if len(values) <= late:
        raise ValueError(f"need more than {late} values, got {len(values)}")
    return sorted(values)[late]
