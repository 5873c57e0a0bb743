from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from room.sync.clock import ClockSync, SyncPong, answer_ping


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
