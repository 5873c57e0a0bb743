from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from room.sync.clock import PRECISE_MS, ClockSync, SyncPong, answer_ping


def exchange(clock: ClockSync, local_now: float, offset: float, up: float, down: float) -> None:
    ping = clock.make_ping(local_now)
    host_received = local_now + offset + up
    pong = answer_ping(ping, received_at=host_received, sent_at=host_received + 0.5)
    clock.on_pong(pong, local_now + up + 0.5 + down)


@given(st.floats(-1e9, 1e9), st.floats(0, 500))
def test_symmetric_latency_gives_the_exact_offset(offset: float, latency: float) -> None:
    clock = ClockSync("me", "host")
    exchange(clock, 1000.0, offset, latency, latency)
    assert clock.offset_ms is not None
    assert abs(clock.offset_ms - offset) < 1e-3 * max(1.0, abs(offset) * 1e-9)
    assert clock.rtt_ms is not None
    assert abs(clock.rtt_ms - 2 * latency) < 1e-3


def test_the_fastest_round_trip_wins() -> None:
    clock = ClockSync("me", "host")
    exchange(clock, 0, 5000, 80, 20)  # asymmetric: off by 30 ms
    exchange(clock, 1000, 5000, 21, 20)  # nearly symmetric, shortest
    exchange(clock, 2000, 5000, 20, 90)
    assert clock.offset_ms is not None
    assert abs(clock.offset_ms - 5000) <= 1
    assert clock.host_now_ms(100.0) == 100.0 + clock.offset_ms


def test_pings_fast_while_warming_up_then_rarely() -> None:
    clock = ClockSync("me", "host", warmup_samples=2, warmup_interval_ms=300)
    assert clock.ping_due(0)
    exchange(clock, 0, 0, 10, 10)
    assert not clock.ping_due(100)
    assert clock.ping_due(300)
    exchange(clock, 300, 0, 10, 10)
    assert not clock.ping_due(900)
    assert clock.ping_due(300 + 10_000)


def test_two_lopsided_trips_together_place_the_hosts_clock() -> None:
    # Out 5 / back 90 proves the offset within [-90, 5]; out 40 / back 10 within [-10, 40].
    # Together: [-10, 5]. The shorter trip alone (min-RTT) would say +15.
    clock = ClockSync("me", "host")
    exchange(clock, 0, 0, 5, 90)
    exchange(clock, 1000, 0, 40, 10)
    # (The older range widens by 15 ppm of its age: 0.015 ms a second.)
    assert clock.offset_ms == pytest.approx(-2.5, abs=0.01)
    assert clock.estimate is not None
    assert clock.estimate.uncertainty_ms == pytest.approx(7.5, abs=0.01)


def test_the_warm_up_goes_on_until_the_estimate_is_precise() -> None:
    # The first trips are taken while the app starts up: long, and lopsided (the way back
    # waits for a busy loop). Together they put the host's clock 45 ms off.
    clock = ClockSync("me", "host", window=8, warmup_samples=3, warmup_interval_ms=1000)
    for at in (0, 1000, 2000):
        exchange(clock, at, 0, 5, 95)
    assert clock.offset_ms == -45 and clock.warming_up
    assert clock.ping_due(3000), "not a minute later: the next warm-up ping"
    exchange(clock, 3000, 0, 4, 4)  # the app has settled: a short trip
    assert clock.offset_ms == 0 and clock.precise
    assert not clock.warming_up and not clock.ping_due(4000)
    assert clock.ping_due(3000 + 10_000)


def test_a_link_whose_trips_are_all_long_backs_off_after_a_full_window() -> None:
    clock = ClockSync(
        "me",
        "host",
        window=8,
        warmup_samples=3,
        warmup_interval_ms=1000,
        refresh_interval_ms=10_000,
    )
    at = 0.0
    for _ in range(8):
        assert clock.ping_due(at)
        exchange(clock, at, 0, 40, 40)
        at += 1000
    assert not clock.warming_up and not clock.precise
    waits = []
    for _ in range(4):
        wait = clock.next_ping_in_ms(at - 1000)
        waits.append(wait)
        at += wait - 1000
        exchange(clock, at, 0, 40, 40)
        at += 1000
    assert waits == [2000, 4000, 8000, 10_000], "doubling up to the refresh interval"


@settings(deadline=None)  # a busy machine: no timing in tests
@given(
    st.floats(-1e6, 1e6),
    st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500)), min_size=1, max_size=20),
)
def test_the_host_is_always_within_the_estimates_uncertainty(
    offset: float, trips: list[tuple[float, float]]
) -> None:
    clock = ClockSync("me", "host")
    for index, (up, down) in enumerate(trips):
        exchange(clock, index * 1000.0, offset, up, down)
        estimate = clock.estimate
        assert estimate is not None
        assert abs(estimate.offset_ms - offset) <= estimate.uncertainty_at(index * 1000.0) + 1e-3


@settings(deadline=None)
@given(
    st.floats(-1e6, 1e6),
    st.floats(20, 200),
    st.data(),
)
def test_on_a_long_link_the_estimate_never_moves_after_the_first_sample(
    offset: float, latency: float, data: st.DataObject
) -> None:
    """Each leg `latency` plus up to `jitter` < `latency` (148 ms each way, 15 of jitter, is
    what made the warm-up that ended at a short trip nudge a follower both ways): every
    sample's range is ~2 x latency wide and holds the first estimate, and none halves it."""
    jitter = data.draw(st.floats(0, latency * 0.9))
    legs = st.floats(latency, latency + jitter)
    clock = ClockSync("me", "host")
    exchange(clock, 0, offset, data.draw(legs), data.draw(legs))
    first = clock.offset_ms
    for index in range(1, 12):
        exchange(clock, index * 1000.0, offset, data.draw(legs), data.draw(legs))
        assert clock.offset_ms == first


def test_a_wrong_estimate_moves_at_once_whatever_the_gain() -> None:
    clock = ClockSync("me", "host")
    exchange(clock, 0, 0, 10, 30)  # proves [-30, 10]: estimate -10
    exchange(clock, 1000, 0, 2, 19)  # proves [-19, 2]: holds -10, and +-10.5 is not half of 20
    assert clock.offset_ms == -10
    exchange(clock, 2000, 0, 12, 6)  # proves [-6, 12]: -10 is out of the range now
    assert clock.offset_ms == pytest.approx(-2.0, abs=0.01)
    assert clock.precise and clock.estimate is not None
    assert clock.estimate.uncertainty_ms <= PRECISE_MS


def test_a_ping_answered_a_minute_later_still_counts() -> None:
    """On a heartbeat, a ping is answered on the host's next heartbeat: in a room of 50 that
    is about a minute later, well past the 5 s in which a ping of its own is answered."""
    clock = ClockSync("me", "host", ping_timeout_ms=5_000)
    ping = clock.make_ping(0)
    clock.make_ping(30_000)  # the next one goes before the first is answered
    pong = answer_ping(ping, received_at=10, sent_at=60_000)
    assert clock.on_pong(pong, 60_010) is not None
    assert clock.offset_ms == 0


def test_pongs_for_someone_else_or_replayed_are_ignored() -> None:
    clock = ClockSync("me", "host")
    ping = clock.make_ping(0)
    foreign = SyncPong(
        from_user="host",
        to_user="you",
        ping_id=ping.ping_id,
        ping_sent_at=0,
        received_at=1,
        sent_at=1,
    )
    forged = answer_ping(ping, 1, 1).model_copy(update={"from_user": "mallory"})
    assert clock.on_pong(foreign, 2) is None
    assert clock.on_pong(forged, 2) is None
    pong = answer_ping(ping, 1, 1)
    assert clock.on_pong(pong, 2) is not None
    assert clock.on_pong(pong, 3) is None, "a replayed pong is not a new sample"
    assert not ClockSync("me", "host").ready


def test_a_join_pings_slow_trip_sets_the_offset_but_not_the_links_latency() -> None:
    """A newcomer's first ping is answered while its app is still starting up: its trip
    (here 200 ms) says nothing of the link, and counted as latency it raised the room's
    start lead from 7 to 47 ms. Its offset is still the first the follower has."""
    clock = ClockSync("me", "host")
    join = clock.make_ping(0, offset_only=True)
    clock.on_pong(answer_ping(join, received_at=1100, sent_at=1100), 200)
    assert clock.offset_ms == 1000 and clock.one_way_ms() is None
    quick = clock.make_ping(1000)
    clock.on_pong(answer_ping(quick, received_at=2010, sent_at=2010), 1020)
    assert clock.one_way_ms() == 10.0, "the link's trips only: 20 less half of 20"
