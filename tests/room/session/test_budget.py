"""The room's message budget as pure rules: what a send costs, how often each kind may go."""

from __future__ import annotations

import pytest

from room.session.budget import (
    ANCHOR_SHARE,
    BudgetSettings,
    RoomBudget,
    RoomLoad,
    SendBucket,
    anchor_refresh_interval_s,
    broadcast_cost,
    clock_refresh_interval_s,
    fair_sends_per_s,
    heartbeat_interval_s,
    presence_cost,
    presence_interval_s,
)

FREE_SHARE = BudgetSettings()  # 50 messages/s, 10 presence events/s


@pytest.mark.parametrize(("room_size", "cost"), [(1, 2), (2, 3), (10, 11), (50, 51)])
def test_a_broadcast_costs_one_on_arrival_and_one_per_member_including_us(
    room_size: int, cost: int
) -> None:
    assert broadcast_cost(room_size) == cost


@pytest.mark.parametrize(
    ("room_size", "interval_s"),
    [(2, 3.0), (5, 3.0), (10, 3.0), (11, 3.45), (16, 7.11), (25, 16.99), (50, 66.67)],
)
def test_heartbeats_keep_3_s_up_to_ten_members_and_stretch_beyond(
    room_size: int, interval_s: float
) -> None:
    assert heartbeat_interval_s(room_size, FREE_SHARE) == pytest.approx(interval_s, abs=0.01)


@pytest.mark.parametrize("room_size", [1, 2, 5, 10, 16, 25, 38, 50, 60, 100])
def test_a_room_whose_members_all_keep_the_rule_stays_in_budget(room_size: int) -> None:
    """Every member heartbeats, pings and (one of them) refreshes the host's anchor: the
    room's whole periodic cost, as Supabase counts it, fits the budget at any size."""
    cost = broadcast_cost(room_size)
    heartbeats = room_size * cost / heartbeat_interval_s(room_size, FREE_SHARE)
    pings = room_size * cost / clock_refresh_interval_s(room_size, FREE_SHARE, 60.0)
    pongs = pings  # at worst one batch answers each ping
    anchors = cost / anchor_refresh_interval_s(room_size, FREE_SHARE, 5.0)
    assert heartbeats + pings + pongs + anchors <= FREE_SHARE.messages_per_s
    members_part = FREE_SHARE.messages_per_s * (1 - ANCHOR_SHARE)
    assert room_size * fair_sends_per_s(room_size, FREE_SHARE) * cost == pytest.approx(
        members_part
    ), "the members share all but the host's anchor refreshes"


def test_presence_re_tracks_stretch_so_the_room_stays_in_its_presence_share() -> None:
    for room_size in (2, 10, 50):
        per_s = room_size * (room_size + 1) / presence_interval_s(room_size, FREE_SHARE)
        assert per_s == pytest.approx(FREE_SHARE.presence_per_s)


def test_the_send_bucket_allows_a_burst_then_refills_at_the_fair_share() -> None:
    bucket = SendBucket(rate_per_s=0.5)
    assert bucket.try_spend(0.0, 2.0, keep=1.0), "a ping's two sends, one kept back"
    assert not bucket.try_spend(0.0, keep=1.0), "periodic sends never take the last"
    assert bucket.try_spend(0.0), "a change takes it"
    assert not bucket.try_spend(0.0)
    assert bucket.wait_s(0.0) == pytest.approx(2.0)
    assert not bucket.try_spend(1.9)
    assert bucket.try_spend(2.0)
    assert bucket.tokens == pytest.approx(0.0)
    bucket.set_rate(0.1, 2.0)  # the room grew: the refill slows from here on
    assert bucket.wait_s(2.0) == pytest.approx(10.0)


def test_presence_tracks_wait_while_the_rooms_presence_load_is_over_its_share() -> None:
    load = RoomLoad(FREE_SHARE.presence_per_s)
    # Each change seen in a room of 50 cost 51 events: 11 in 11 s is 51/s on a young counter.
    for second in range(11):
        load.saw(float(second), presence_cost(50))
    assert not load.may_spend(11.0, presence_cost(50))
    assert load.may_spend(71.0, presence_cost(50)), "a minute later it has all aged out"
    quiet = RoomLoad(FREE_SHARE.presence_per_s)
    quiet.saw(0.0, presence_cost(5))
    assert quiet.may_spend(30.0, presence_cost(5)), "a track in a small, quiet room costs little"


@pytest.mark.parametrize(
    ("others_beats_per_s", "allowed"),
    [
        (0.0, True),  # a quiet room: our own echo is all we saw
        (0.5, True),  # 50 members at 67 s heartbeats: 0.75/s x 51 = 38/s; 0.5/s is 25.5/s
        (0.85, True),  # 42.5/s seen, and our change's 51 over the minute: 43.4/s of 45
        (0.9, False),  # 45.1/s: 90 % of the budget is spent, the change waits its turn
    ],
)
def test_a_change_past_our_share_spends_only_what_the_room_left_unused(
    others_beats_per_s: float, allowed: bool
) -> None:
    """In a room of 50 our bucket is empty (a buffering member changes kind every few
    seconds); a change goes only if the broadcasts we saw (the host's anchors among them),
    each at 51 messages, plus ours, stay within 90 % of the room's 50 a second, averaged as
    the server does."""
    budget = RoomBudget(FREE_SHARE)
    budget.set_room_size(50, 0.0)
    budget.bucket.charge(0.0, 10.0)  # spent, and then some
    budget.saw_broadcast(0.0)
    if others_beats_per_s:
        for tick in range(int(60 * others_beats_per_s)):
            budget.saw_broadcast(tick / others_beats_per_s)
    assert not budget.try_send_change(60.0), "our own bucket is spent"
    assert budget.try_send_on_slack(60.0) is allowed
    if allowed:
        assert budget.bucket.tokens < 0, "what it spent is charged: our heartbeats wait"


@pytest.mark.parametrize(
    ("seen", "now_s", "fits_in_s"),
    [
        ([], 60.0, 0.0),  # nothing seen: it fits
        ([(0.0, 600)], 30.0, 0.0),  # 600 + 51 in a minute is 10.9/s, under 50/s
        ([(t, 510) for t in range(0, 60, 10)], 60.0, 0.0),  # 0 at 60 has left the minute
        ([(0.0, 0)] + [(t, 510) for t in range(1, 61, 10)], 60.0, 1.0),  # 3111 > 3000
        ([(0.0, 0)] + [(t, 1020) for t in range(1, 61, 10)], 60.0, 31.0),  # 1, 11, 21, 31 go
    ],
)
def test_a_busy_room_knows_when_its_minute_has_room_again(
    seen: list[tuple[float, int]], now_s: float, fits_in_s: float
) -> None:
    """``fits_in_s`` is the earliest moment ``may_spend`` allows the send if nothing new
    comes, so a heartbeat giving way looks again then, not every few milliseconds. (Each
    case has watched the room from 0 s, so the window is the whole minute.)"""
    load = RoomLoad(50.0)
    for at_s, cost in seen:
        load.saw(at_s, cost)
    assert load.fits_in_s(now_s, 51, 50.0) == pytest.approx(fits_in_s)
    later_s = now_s + fits_in_s
    if fits_in_s > 0:  # (time only moves on: what left the minute is forgotten)
        assert not load.may_spend(later_s - 0.01, 51, 50.0), "not a moment before"
    assert load.may_spend(later_s, 51, 50.0), "it fits then"


def test_the_rooms_load_keeps_its_sum_as_sends_come_and_leave_the_minute() -> None:
    load = RoomLoad(50.0)
    for second in range(120):
        load.saw(float(second), 51)
        expected = 51 * min(60, second + 1) / max(10.0, min(60.0, float(second)))
        assert load.rate_per_s(float(second)) == pytest.approx(expected)
