"""Supabase's limits: defaults equal Supabase's, and each trips exactly where the server's does."""

from __future__ import annotations

import asyncio

import pytest
from hubkit import Inbox, RawClient, RawFactory, room_config

from hub import HubSettings
from hub.limits import FixedWindowLimit, RateCounter

TOPIC = "realtime:room:abc"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_defaults_are_supabase_free_plan_limits() -> None:
    settings = HubSettings()
    assert settings.bind == "127.0.0.1"
    assert settings.key is None
    assert settings.max_concurrent_users == 200
    assert settings.max_events_per_second == 100
    assert settings.max_joins_per_second == 100
    assert settings.max_channels_per_client == 100
    assert settings.max_presence_events_per_second == 20
    assert (settings.client_presence_max_calls, settings.client_presence_window_s) == (5, 30.0)
    assert settings.max_payload_size_kb == 256
    assert settings.max_payload_bytes == 256_500
    assert settings.max_frame_bytes == 5_000_000
    assert (settings.rate_tick_s, settings.rate_buckets) == (5.0, 12)


def test_rate_counter_triggers_at_the_tick_when_the_average_reaches_the_limit() -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    counter.add(99)
    clock.now += 5
    assert not counter.is_triggered()  # 99 per tick is under 100
    counter.add(101)  # bucket 2: avg (99 + 101) / 2 = 100
    clock.now += 4.999
    assert not counter.is_triggered()  # only a tick evaluates
    clock.now += 0.001
    assert counter.is_triggered()
    assert counter.current_avg() == 100
    clock.now += 5  # an empty bucket: avg 200/3 < 100, so it clears
    assert not counter.is_triggered()


def test_rate_counter_averages_over_at_most_twelve_buckets() -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    for _ in range(12):
        counter.add(50)
        clock.now += 5
    assert counter.current_avg() == 50
    counter.add(50 + 12 * 50)  # the oldest bucket drops out: (11*50 + 650) / 12 = 100
    clock.now += 5
    assert counter.is_triggered()


def test_rate_counter_fresh_after_ten_idle_minutes() -> None:
    clock = FakeClock()
    counter = RateCounter(limit=10, tick_s=5, buckets=12, clock=clock)
    counter.add(5)
    clock.now += 700
    counter.add(10)  # a fresh counter: the first bucket alone is the average
    clock.now += 5
    assert counter.is_triggered()


def test_client_presence_window_allows_five_then_refuses_until_it_expires() -> None:
    clock = FakeClock()
    limit = FixedWindowLimit(max_calls=5, window_s=30, clock=clock)
    assert [limit.allow() for _ in range(5)] == [True] * 5
    assert not limit.allow()
    clock.now += 30  # the window ends after reset_at, not at it
    assert not limit.allow()
    clock.now += 0.001
    assert limit.allow()


async def presence_member(client: RawClient) -> None:
    await client.join(TOPIC, {"presence": {"key": "ann", "enabled": True}})
    await client.recv_event("presence_state")


async def test_sixth_presence_call_in_a_window_closes_the_channel_like_supabase(
    raw: RawFactory,
) -> None:
    client = await raw()
    await presence_member(client)
    calls = [{"user_id": "ann", "n": 1}, {"user_id": "ann", "n": 1}, None, {"n": 2}, None]
    for index, payload in enumerate(calls):  # identical re-tracks count too
        event = "untrack" if payload is None else "track"
        await client.send(
            TOPIC,
            "presence",
            {"event": event, "payload": payload or {}},
            ref=f"p{index}",
            join_ref="1",
        )
        reply = await client.recv_event("phx_reply")
        assert (reply["ref"], reply["payload"]["status"]) == (f"p{index}", "ok")
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 3}}, ref="p6", join_ref="1"
    )
    system = await client.recv_event("system")
    assert system["payload"] == {
        "channel": "room:abc",
        "extension": "system",
        "message": "Client presence rate limit exceeded",
        "status": "error",
    }
    close = await client.recv_event("phx_close")
    assert close["ref"] == "1"


async def test_presence_window_reopens_after_its_length(make_hub, raw: RawFactory) -> None:  # type: ignore[no-untyped-def]
    hub = await make_hub(client_presence_max_calls=2, client_presence_window_s=0.3)
    client = await raw(target=hub)
    await presence_member(client)
    for n in range(2):
        await client.send(
            TOPIC, "presence", {"event": "track", "payload": {"n": n}}, ref=f"a{n}", join_ref="1"
        )
        assert (await client.recv_event("phx_reply"))["payload"]["status"] == "ok"
    await asyncio.sleep(0.35)  # let the window pass: time itself is what is tested
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 9}}, ref="b", join_ref="1"
    )
    assert (await client.recv_event("phx_reply"))["payload"]["status"] == "ok"


async def test_realtime_py_sees_its_channel_closed_past_the_presence_limit(py_client) -> None:  # type: ignore[no-untyped-def]
    channel = py_client().channel("room:abc", room_config("ann"))
    states = Inbox()
    await channel.subscribe(lambda state, error: states.put(state.value))
    await states.wait_for(lambda s: s == "SUBSCRIBED")
    system = Inbox()
    channel.on_system(system.put)
    for n in range(5):
        await channel.track({"n": n})
    await channel.track({"n": 5})
    await states.wait_for(lambda s: s == "CLOSED")


async def test_tenant_message_rate_shuts_receiving_channels(make_hub, raw: RawFactory) -> None:  # type: ignore[no-untyped-def]
    # The whole budget may go to one socket here, so the flood guard stays out of the way.
    hub = await make_hub(max_events_per_second=10, rate_tick_s=0.1, client_share_of_event_budget=1)
    sender, receiver = await raw(target=hub), await raw(target=hub)
    await sender.join(TOPIC)
    await receiver.join(TOPIC)
    message = {"type": "broadcast", "event": "e", "payload": {}}
    for _ in range(5):  # 5 sends + 5 deliveries = 10 per tick: the limit
        await sender.send(TOPIC, "broadcast", message, join_ref="1")
    for _ in range(5):
        await receiver.recv_event("broadcast")
    await asyncio.sleep(0.15)  # let a tick evaluate the counter
    await sender.send(TOPIC, "broadcast", message, join_ref="1")
    await receiver.recv_event("broadcast")  # delivered, and then the channel stops
    system = await receiver.recv_event("system")
    assert system["payload"]["message"] == "Too many messages per second"
    assert system["payload"]["status"] == "error"
    await receiver.recv_event("phx_close")


async def test_tenant_message_rate_under_the_limit_does_not_trip(make_hub, raw: RawFactory) -> None:  # type: ignore[no-untyped-def]
    # The whole budget may go to one socket here, so the flood guard stays out of the way.
    hub = await make_hub(max_events_per_second=10, rate_tick_s=0.1, client_share_of_event_budget=1)
    sender, receiver = await raw(target=hub), await raw(target=hub)
    await sender.join(TOPIC)
    await receiver.join(TOPIC)
    message = {"type": "broadcast", "event": "e", "payload": {}}
    for _ in range(4):  # 8 per tick
        await sender.send(TOPIC, "broadcast", message, join_ref="1")
    for _ in range(4):
        await receiver.recv_event("broadcast")
    await asyncio.sleep(0.15)
    await sender.send(TOPIC, "broadcast", message, join_ref="1")
    await receiver.recv_event("broadcast")
    assert (await receiver.heartbeat())["topic"] == "phoenix"  # no system error came first
    assert not hub.state.events.is_triggered()


async def test_tenant_presence_rate_trips_above_the_limit_not_at_it(
    make_hub, raw: RawFactory
) -> None:  # type: ignore[no-untyped-def]
    hub = await make_hub(max_presence_events_per_second=3, rate_tick_s=0.2)
    client = await raw(target=hub)
    await presence_member(client)  # presence_state: 1
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 1}}, ref="t1", join_ref="1"
    )
    await client.recv_event("presence_diff")  # the track and its one delivered diff: 3 in all
    await asyncio.sleep(0.25)
    assert hub.state.presence_events.current_avg() == 3  # the server compares with `>`
    for n in (2, 3):
        await client.send(
            TOPIC, "presence", {"event": "track", "payload": {"n": n}}, ref=f"t{n}", join_ref="1"
        )
        assert (await client.recv_event("phx_reply"))["payload"]["status"] == "ok"
        await client.recv_event("presence_diff")
    await asyncio.sleep(0.25)
    assert hub.state.presence_events.current_avg() > 3
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 4}}, ref="t4", join_ref="1"
    )
    system = await client.recv_event("system")
    assert system["payload"]["message"] == "Too many presence messages per second"
    await client.recv_event("phx_close")


@pytest.mark.parametrize("joins_before_tick", [3])
async def test_join_rate_refuses_and_disconnects(
    make_hub, raw: RawFactory, joins_before_tick: int
) -> None:  # type: ignore[no-untyped-def]
    hub = await make_hub(max_joins_per_second=joins_before_tick, rate_tick_s=0.1)
    client = await raw(target=hub)
    for n in range(joins_before_tick):
        assert (await client.join(f"realtime:t{n}"))["payload"]["status"] == "ok"
    await asyncio.sleep(0.15)
    reply = await client.join("realtime:late")
    assert reply["payload"]["response"] == {
        "reason": "ClientJoinRateLimitReached: Too many joins per second"
    }
    await client.closed()
