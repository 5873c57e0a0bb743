"""The speed keys' steps: mpv's keys, a ladder of speeds people use, 0.5x to 2x."""

from __future__ import annotations

from dataclasses import replace

import pytest

from room.intents import SPEED_STEPS, clamped_speed, stepped_speed
from room.notices import format_rate


@pytest.mark.parametrize(
    ("current", "direction", "expected"),
    [
        (1.0, 1, 1.1),
        (1.0, -1, 0.9),
        (1.1, 1, 1.25),
        (1.5, -1, 1.25),
        (2.0, 1, 2.0),
        (0.5, -1, 0.5),
        (1.47, 1, 1.5),  # off the ladder: the next step, not a fixed increment
        (1.47, -1, 1.25),
        (9.0, -1, 2.0),
        (0.1, 1, 0.5),
    ],
)
def test_steps_go_along_the_ladder_within_the_range(
    current: float, direction: int, expected: float
) -> None:
    assert stepped_speed(current, direction) == expected


@pytest.mark.parametrize(("rate", "expected"), [(0.1, 0.5), (1.0, 1.0), (3.0, 2.0)])
def test_set_speeds_are_clamped(rate: float, expected: float) -> None:
    assert clamped_speed(rate) == expected


def test_every_step_reads_as_people_say_it() -> None:
    assert [format_rate(step) for step in SPEED_STEPS] == [
        "0.5×", "0.75×", "0.9×", "1×", "1.1×", "1.25×", "1.5×", "1.75×", "2×",
    ]  # fmt: skip


def test_an_offset_needs_no_connection_and_a_speed_needs_a_host() -> None:
    from room.intents import SetOffset, StepSpeed, refusal
    from room.state import Connection, ConnectionStatus
    from tests.rooms import busy_room, empty_room

    offline = replace(busy_room(), connection=Connection(ConnectionStatus.OFFLINE, "no network"))
    assert refusal(offline, SetOffset(1.5)) is None
    no_host = empty_room()
    reason = refusal(no_host, StepSpeed(1))
    assert reason is not None and "host" in reason
    assert refusal(busy_room(self_is_host=True), StepSpeed(1)) is None
