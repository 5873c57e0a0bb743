"""Property tests of the engine at playback rates other than 1 (the host's speed, synced).

The nudge is relative to the host's rate: at 1.5x a factor removes drift half as fast
again as at 1x, at 0.75x a quarter slower. Steering by its own account, it must end on
target at any rate, not overshoot at 1.5x or stop short at 0.75x.
"""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from room.sync.policy import max_nudge
from tests.sync.sim import Room
from tests.sync.test_convergence_properties import (
    FAST,
    SETTINGS,
    clock_error_bound_ms,
    make_room,
    seeds,
    skews,
    speed_lags,
)

FRAME_MS = 40.0
rates = st.sampled_from([0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 1.75, 2.0])
room_latencies = st.floats(min_value=0, max_value=60)
room_jitters = st.floats(min_value=0, max_value=20)
rate_lags = st.floats(min_value=0, max_value=40)
"""How long the player takes to change speed. mpv reports a new speed at once (measured);
its position step on a change of speed is what the host's re-anchor takes care of, not
modelled here."""
room_rates = st.sampled_from([0.75, 0.9, 1.0, 1.1, 1.25, 1.5])
"""Changes of rate between the speeds the issue names and those between (0.5x and 2x are in
the nudge test above: a trip late, a change from 2x to 0.5x starts 120 ms off, which at
0.5x takes a nudge longer than 2 s to remove)."""


@FAST
@given(
    skews,
    room_latencies,
    room_jitters,
    rates,
    st.floats(min_value=-140, max_value=140),
    speed_lags,
    seeds,
)
def test_small_drift_is_nudged_away_at_any_rate(
    skew: float,
    latency: float,
    jitter: float,
    rate: float,
    initial_drift_ms: float,
    speed_lag: float,
    seed: int,
) -> None:
    room = make_room(skew, latency, jitter, 30, speed_lag, seed)
    room.run(2000)
    room.publish(position=100.0, playing=True, rate=rate)
    room.run(4000)  # started on frame, and any nudge after the start is over
    room.player.position += initial_drift_ms / 1000  # a hiccup on the follower
    seeks_before = len(room.player.seeks_applied)
    speeds_before = len(room.player.speeds_applied)
    room.run(8000)
    nudges = [s / rate - 1.0 for s in room.player.speeds_applied[speeds_before:]]
    directions = {1 if n > 0 else -1 for n in nudges if abs(n) > 1e-9}
    assert len(directions) <= 1, f"nudged both ways at {rate}x: {nudges}"
    assert len(room.player.seeks_applied) == seeks_before, "seeked for a drift a nudge can fix"
    assert all(abs(n) <= max_nudge(SETTINGS, rate) + 1e-9 for n in nudges)
    assert abs(room.true_drift_ms()) <= SETTINGS.dead_zone_ms + clock_error_bound_ms(jitter) + 2
    assert abs(room.player.speed / rate - 1.0) <= max_nudge(SETTINGS, rate) + 1e-9


def change_rate(room: Room, rate: float) -> None:
    """As our host does: the new rate at the key press, and a re-anchor once its player's
    reports have settled (`settle_ms` later; mpv's position steps on a change of speed)."""
    room.publish(rate=rate)
    room.run(SETTINGS.settle_ms)
    room.publish()


def _within_frame_from(room: Room, settle_ms: float, hold_ms: float) -> float:
    """Run `settle_ms`, then return the worst drift over the next `hold_ms`."""
    room.run(settle_ms)
    worst = 0.0

    def check(r: Room) -> None:
        nonlocal worst
        worst = max(worst, abs(r.true_drift_ms()))

    room.run(hold_ms, check)
    return worst


@FAST
@given(skews, room_latencies, room_jitters, room_rates, room_rates, rate_lags, seeds)
def test_a_rate_change_while_playing_is_within_a_frame_in_two_seconds(
    skew: float,
    latency: float,
    jitter: float,
    first_rate: float,
    second_rate: float,
    speed_lag: float,
    seed: int,
) -> None:
    """The follower hears of the change a trip late and its player takes a moment to change
    speed, so it starts off by both times the change of rate (at most 120 ms x 0.75 here),
    and removes that by nudging or, past the seek threshold, a seek."""
    room = make_room(skew, latency, jitter, 30, speed_lag, seed)
    room.run(2000)
    room.publish(position=100.0, playing=True)
    room.run(1500)
    change_rate(room, first_rate)
    worst = _within_frame_from(room, 2000 - SETTINGS.settle_ms, 3000)
    assert worst <= FRAME_MS, f"1x -> {first_rate}x: {worst:.1f} ms off after 2 s"
    change_rate(room, second_rate)
    worst = _within_frame_from(room, 2000 - SETTINGS.settle_ms, 3000)
    assert worst <= FRAME_MS, f"{first_rate}x -> {second_rate}x: {worst:.1f} ms off after 2 s"
    assert abs(room.player.speed / second_rate - 1.0) <= max_nudge(SETTINGS, second_rate) + 1e-9
    assert room.intents == []


@FAST
@given(
    skews,
    room_latencies,
    room_jitters,
    st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0]),
    st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0]),
    rate_lags,
    rate_lags,
    st.floats(min_value=0, max_value=300),
    seeds,
)
def test_a_scheduled_rate_change_keeps_the_follower_within_a_frame(
    skew: float,
    latency: float,
    jitter: float,
    first_rate: float,
    second_rate: float,
    speed_lag: float,
    host_speed_lag: float,
    slower_members_ms: float,
    seed: int,
) -> None:
    """The host schedules the change one start lead ahead (its slowest member's one-way
    latency plus a margin) and everyone changes rate at that instant: nobody plays on at
    the old rate for a trip, so even 2x -> 0.5x (which, heard a trip late, starts 120 ms
    off and is not nudged away in 2 s at 0.5x) is off by no more than the player's own lag
    in taking the speed and the clock estimate's error, and within a frame after 2 s."""
    room = make_room(skew, latency, jitter, 30, speed_lag, seed)
    # The lead is the slowest member's: this follower may hear of the change well ahead.
    lead_ms = latency + jitter + SETTINGS.start_margin_ms + slower_members_ms
    assume(first_rate != second_rate)
    room.run(2000)
    room.publish(position=100.0, playing=True, rate=first_rate)
    room.run(6000)  # started on frame, and any nudge after the start is over
    for rate in (second_rate, first_rate):
        before = room.host.rate
        # The host re-anchors `settle_ms` after taking the speed, once 8 reports are in.
        room.schedule_rate(rate, lead_ms, host_speed_lag, SETTINGS.settle_ms + 8 * 40 / rate)
        # What is left: the two players' different moments to take the speed, the
        # simulation's step and the clock error.
        own_lag_ms = (abs(speed_lag - host_speed_lag) + room.step_ms) * abs(rate - before)
        bound_ms = own_lag_ms + clock_error_bound_ms(jitter) * max(rate, before)
        bound_ms += SETTINGS.dead_zone_ms + 2  # drift under the dead zone is left alone
        worst = _within_frame_from(room, 0, 2000)
        assert worst <= bound_ms, f"{before}x -> {rate}x: {worst:.1f} ms off at worst"
        worst = _within_frame_from(room, 0, 2000)
        assert worst <= FRAME_MS, f"{before}x -> {rate}x: {worst:.1f} ms off after 2 s"
    assert not room.player.seeks_applied[1:], "seeked for a change of rate"
    assert room.intents == []
