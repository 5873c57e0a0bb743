"""A follower on course takes a scheduled change of rate at the host's instant."""

from __future__ import annotations

from tests.sync.test_convergence_properties import SETTINGS, make_room


def test_a_scheduled_rate_is_taken_at_the_hosts_instant_on_our_clock() -> None:
    room = make_room(skew=-250_000.0, latency=30, jitter=0, seek_latency=30, speed_lag=0, seed=1)
    room.run(2000)
    room.publish(position=100.0, playing=True)
    room.run(4000)
    decided = len(room.decisions)
    instant = room.t + 200
    room.schedule_rate(1.5, 200, reanchor_after_ms=SETTINGS.settle_ms)
    room.run(100)  # heard after 30 ms, still 100 ms ahead of the instant
    speeds = [d for d in room.decisions[decided:] if d.speed is not None]
    assert [(d.speed, d.seek_to_s, d.pause) for d in speeds] == [(1.5, None, None)]
    assert speeds[0].speed_at_ms is not None
    assert abs(speeds[0].speed_at_ms - room.local(instant)) < 2  # clock estimate error
    assert room.player.speed == 1.0  # the room still plays at 1x
    room.run(200)
    assert room.player.speed == 1.5
    assert abs(room.true_drift_ms()) < 5


def test_heard_after_its_instant_the_rate_is_taken_at_once() -> None:
    room = make_room(skew=0.0, latency=80, jitter=0, seek_latency=30, speed_lag=0, seed=1)
    room.run(2000)
    room.publish(position=100.0, playing=True)
    room.run(4000)
    decided = len(room.decisions)
    room.schedule_rate(1.5, 20)  # a lead shorter than this follower's trip
    room.run(100)
    speeds = [d for d in room.decisions[decided:] if d.speed is not None]
    assert speeds and speeds[0].speed == 1.5 and speeds[0].speed_at_ms is None
