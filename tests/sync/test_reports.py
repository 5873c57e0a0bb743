"""The on-time reading of a player's reports away from 1x (room.sync.reports)."""

from __future__ import annotations

import pytest

from room.sync.reports import on_time


@pytest.mark.parametrize(
    ("values", "late", "expected"),
    [
        # mpv at 1.5x on 25 fps film: every other report early by a growing ramp
        ([0.5, 5.4, -2.7, 25.3, 0.6, 16.5, 0.4, 21.6], 1, 0.4),
        # three early ones in a row happen too
        ([0.6, 28.8, 24.7, 34.0, 0.7, 0.5, 7.0, 0.6], 1, 0.6),
        # one report stamped late by a busy CPU does not set it
        ([-45.0, 0.5, 20.0, 0.4, 30.0], 1, 0.4),
        # clean reports (1x, 0.75x): the reading is a report's own value
        ([2.0, 2.0, 2.0], 1, 2.0),
        ([-3.0, 12.0, 30.0, 8.0], 0, -3.0),
    ],
)
def test_the_on_time_reading_skips_early_and_late_reports(
    values: list[float], late: int, expected: float
) -> None:
    assert on_time(values, late) == expected


def test_too_few_reports_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        on_time([3.0], 1)
