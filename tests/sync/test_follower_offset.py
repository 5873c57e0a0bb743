"""A member's offset: the engine keeps its player at the host's time plus the offset."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.sync.sim import Room
from tests.sync.test_convergence_properties import (
    FAST,
    SETTINGS,
    clock_error_bound_ms,
    make_room,
    seeds,
    skews,
)


def set_offset(room: Room, offset_s: float) -> None:
    room.player.advance(room.t)
    room._apply(room.follower.set_offset(offset_s, room.local(room.t)), room.t)


offsets = st.sampled_from([-2.0, -0.25, 0.5, 1.5, 30.0])


@FAST
@given(skews, st.floats(0, 60), st.floats(0, 20), offsets, seeds)
def test_the_player_stays_offset_from_the_host_through_play_and_seek(
    skew: float, latency: float, jitter: float, offset_s: float, seed: int
) -> None:
    room = make_room(skew, latency, jitter, 30, 50, seed)
    room.run(2000)
    room.publish(position=100.0, playing=False)
    room.run(500)
    set_offset(room, offset_s)
    room.publish(playing=True)
    room.run(3000)
    bound = SETTINGS.dead_zone_ms + clock_error_bound_ms(jitter) + 2
    assert abs(room.true_drift_ms() - offset_s * 1000) <= bound
    room.publish(position=300.0)  # a host seek: the offset holds
    room.run(3000)
    assert abs(room.true_drift_ms() - offset_s * 1000) <= bound
    assert room.intents == []


def test_changing_the_offset_while_playing_moves_the_player_at_once() -> None:
    room = make_room(0, 20, 0, 30, 50, 1)
    room.run(2000)
    room.publish(position=100.0, playing=True)
    room.run(2000)
    set_offset(room, 1.5)
    room.run(1500)
    assert abs(room.true_drift_ms() - 1500) <= SETTINGS.dead_zone_ms + 2
    set_offset(room, 0.0)
    room.run(1500)
    assert abs(room.true_drift_ms()) <= SETTINGS.dead_zone_ms + 2
