"""The room's message budget as pure rules: what a send costs, how often each kind may go."""

from __future__ import annotations

import pytest

from room.session.budget import (
    ANCHOR_SHARE,
    BudgetSettings,
    PresenceLoad,
    SendBucket,
    anchor_refresh_interval_s,
    broadcast_cost,
    clock_refresh_interval_s,
    fair_sends_per_s,
    heartbeat_interval_s,
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
    load = PresenceLoad(FREE_SHARE)
    # Each change seen in a room of 50 cost 51 events: 11 in 11 s is 51/s on a young counter.
    for second in range(11):
        load.saw_change(float(second), 50)
    assert not load.may_track(11.0, 50)
    assert load.may_track(71.0, 50), "a minute later it has all aged out"
    quiet = PresenceLoad(FREE_SHARE)
    quiet.saw_change(0.0, 5)
    assert quiet.may_track(30.0, 5), "a track in a small, quiet room costs little"
