"""Supabase's limits: the plans' values, and each rule trips exactly where the server's does.

The rules are those of supabase/realtime at 833cf36c (see hub.limits for file and line). Every
test here runs on a fake clock: the hub's counters, presence windows and flood guards read the
clock the test advances, so a 5 s tick or a 30 s window passes in no real time, and nothing
depends on how busy the machine is. Messages still go over real sockets where a rule is about
what the hub does on the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import datakit
import pytest
from datakit import RestFactory, comment, ensure_room
from hubkit import FakeClock, HubFactory, Inbox, RawClient, RawFactory, room_config

from hub import HubSettings, RunningHub
from hub.hub_state import HubState
from hub.limits import FixedWindowLimit, RateCounter

TOPIC = "realtime:room:abc"
ROOM = "abc"
COMMENTS_BINDING = {
    "event": "INSERT",
    "schema": "public",
    "table": "comments",
    "filter": f"room_id=eq.{ROOM}",
}


# --- plans ---------------------------------------------------------------------------------
def test_defaults_are_supabase_free_plan_limits() -> None:
    settings = HubSettings()
    assert settings.limits == "free"
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


@pytest.mark.parametrize(
    ("plan", "messages", "presence", "joins", "users", "payload_kb", "presence_calls"),
    [
        ("free", 100, 20, 100, 200, 256, 5),
        ("pro", 500, 50, 500, 500, 3000, 5),
        ("team", 2500, 1000, 2500, 10_000, 3000, 5),
        ("off", None, None, None, None, 3000, None),
    ],
)
def test_each_plan_sets_the_supabase_limits_table_row(
    plan: Any,
    messages: int | None,
    presence: int | None,
    joins: int | None,
    users: int | None,
    payload_kb: int,
    presence_calls: int | None,
) -> None:
    settings = HubSettings(limits=plan)
    assert (
        settings.max_events_per_second,
        settings.max_presence_events_per_second,
        settings.max_joins_per_second,
        settings.max_concurrent_users,
        settings.max_payload_size_kb,
        settings.client_presence_max_calls,
    ) == (messages, presence, joins, users, payload_kb, presence_calls)
    assert settings.max_channels_per_client == 100  # every plan
    assert settings.client_presence_window_s == 30.0


def test_explicit_fields_override_the_plan() -> None:
    settings = HubSettings(limits="pro", max_events_per_second=5000)
    assert (settings.max_events_per_second, settings.max_joins_per_second) == (5000, 500)
    assert "overridden" in settings.limits_summary()
    assert HubSettings(max_events_per_second=None).max_events_per_second is None
    with pytest.raises(ValueError, match="limits"):
        HubSettings.model_validate({"limits": "enterprise"})


def test_off_keeps_the_hub_only_flood_guard_at_a_share_of_the_largest_plan() -> None:
    assert HubSettings(limits="off").client_event_budget == (12500.0, 1250.0)
    assert HubSettings().client_event_budget == (500.0, 50.0)  # half of 100/s, 10 s of it at once


@pytest.mark.parametrize(
    ("plan", "shown"),
    [
        ("free", "Supabase Free plan (--limits free): 100 messages/s, 20 presence messages/s, "),
        ("pro", "Supabase Pro plan (--limits pro): 500 messages/s, 50 presence messages/s, "),
        ("team", "Supabase Team plan (--limits team): 2500 messages/s, 1000 presence "),
        ("off", "no tenant limits (--limits off): 3000 KB payloads; the hub's flood guards"),
    ],
)
def test_the_summary_names_the_plan_in_force(plan: Any, shown: str) -> None:
    assert HubSettings(limits=plan).limits_summary().startswith(shown)


# --- the rate counter (rate_counter.ex) ------------------------------------------------------
def run_ticks(counts: list[int], limit: float = 100) -> RateCounter:
    """A tenant counter (5 s x 12 buckets) started at t=0, then `counts[i]` counted during
    tick i+1, each tick closed by moving the clock to its end."""
    clock = FakeClock()
    counter = RateCounter(limit=limit, tick_s=5, buckets=12, clock=clock)
    counter.start()
    for count in counts:
        clock.advance(2.5)
        counter.add(count)
        clock.advance(2.5)
    return counter


@pytest.mark.parametrize(
    ("counts", "avg", "triggered"),
    [
        # The first tick averages with the counter's first, empty bucket: sum / 2 / 5 s.
        pytest.param([500], 50.0, False, id="first-tick-halved-by-the-empty-bucket"),
        pytest.param([999], 99.9, False, id="first-tick-just-under"),
        pytest.param([1000], 100.0, True, id="first-tick-at-the-limit-triggers"),
        pytest.param([500, 500], 1000 / 3 / 5, False, id="still-lenient-at-two-ticks"),
        pytest.param([500] * 11, 5500 / 12 / 5, False, id="empty-bucket-still-in-at-55s"),
        pytest.param([500] * 12, 100.0, True, id="empty-bucket-dropped-at-60s"),
        pytest.param([499] * 13, 99.8, False, id="steady-just-under"),
        pytest.param([501] * 13, 100.2, True, id="steady-just-over"),
        # Per second, not per tick: 100 per 5 s tick is 20/s (the old misreading tripped here).
        pytest.param([100] * 12, 20.0, False, id="100-per-tick-is-20-per-second"),
        # A room of N with a broadcast from everyone every 3 s: N(N+1)/3 per second.
        pytest.param([round(16 * 17 / 3 * 5)] * 13, 453 / 5, False, id="room-of-16"),
        pytest.param([17 * 18 // 3 * 5] * 13, 102.0, True, id="room-of-17"),
        pytest.param([0] * 5 + [6000], 6000 / 7 / 5, True, id="burst-after-quiet-start"),
        pytest.param([6000] + [0] * 11, 6000 / 12 / 5, True, id="a-burst-stays-60s"),
        pytest.param([6000] + [0] * 12, 0.0, False, id="and-leaves-after-12-ticks"),
    ],
)
def test_rate_counter_average_per_second_over_twelve_ticks(
    counts: list[int], avg: float, triggered: bool
) -> None:
    counter = run_ticks(counts)
    assert counter.current_avg() == pytest.approx(avg)
    assert counter.is_triggered() is triggered


@pytest.mark.parametrize(
    ("counts", "trace"),
    [
        # Triggers at avg >= limit, clears at the first tick with avg < limit.
        pytest.param(
            [1000, 0, 500],
            [(100.0, True), (1000 / 3 / 5, False), (1500 / 4 / 5, False)],
            id="trigger-then-clear",
        ),
        pytest.param(
            [1000, 500, 1500],
            [(100.0, True), (100.0, True), (3000 / 4 / 5, True)],
            id="stays-while-at-or-over",
        ),
        pytest.param(
            [800, 1000, 0],
            [(80.0, False), (1800 / 3 / 5, True), (1800 / 4 / 5, False)],
            id="second-tick-trips",
        ),
    ],
)
def test_rate_counter_triggers_at_the_limit_and_clears_below_it(
    counts: list[int], trace: list[tuple[float, bool]]
) -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    counter.start()
    seen: list[tuple[float, bool]] = []
    for count in counts:
        counter.add(count)
        clock.advance(5)
        seen.append((round(counter.current_avg(), 6), counter.is_triggered()))
    assert seen == [(round(a, 6), t) for a, t in trace]


def test_only_a_tick_moves_the_average_and_the_flag() -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    counter.start()
    counter.add(100_000)
    clock.advance(4.999)
    assert (counter.current_avg(), counter.is_triggered()) == (0.0, False)
    assert counter.current_tick_count() == 100_000
    clock.advance(0.001)
    assert counter.is_triggered()
    assert counter.buckets() == (100_000, 0)


def test_a_limitless_counter_counts_but_never_triggers() -> None:
    counter = run_ticks([10**9], limit=None)  # type: ignore[arg-type]
    assert counter.current_avg() == 10**8
    assert not counter.is_triggered()


@pytest.mark.parametrize(
    ("first_use_s", "quiet_s", "avg"),
    [
        # Started at first use, not when made: a fresh counter's first bucket is empty.
        pytest.param(100.0, 0.0, 100.0, id="first-use-starts-it"),
        # Still running after 200 quiet seconds: 12 buckets, 11 of them 0.
        pytest.param(0.0, 200.0, 1000 / 12 / 5, id="quiet-200s-keeps-its-window"),
        # The idle check every 5 min (300 s after the start) finds only zeros: it stops, and
        # the next use starts a fresh one (lenient again).
        pytest.param(0.0, 300.0, 100.0, id="quiet-past-5-min-restarts"),
    ],
)
def test_rate_counter_starts_at_first_use_and_stops_after_five_idle_minutes(
    first_use_s: float, quiet_s: float, avg: float
) -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    clock.advance(first_use_s)
    counter.add(0)  # the first use
    clock.advance(quiet_s + 2.5)  # mid-tick
    counter.add(1000)
    clock.advance(5)
    assert counter.current_avg() == pytest.approx(avg)


def test_idle_check_keeps_a_counter_whose_window_saw_traffic() -> None:
    clock = FakeClock()
    counter = RateCounter(limit=100, tick_s=5, buckets=12, clock=clock)
    counter.start()
    clock.advance(292.5)
    counter.add(1)  # counted in the tick closing at 295 s, inside the window at the 300 s check
    clock.advance(10)
    assert counter.running
    assert counter.buckets()[:3] == (0, 1, 0)  # the ticks at 300 s and 295 s
    clock.advance(300)  # the 600 s check finds 12 zeros
    counter.is_triggered()
    assert counter.buckets() == (0,)  # stopped, and restarted by that read


# --- the client presence window (presence_handler.ex) ---------------------------------------
@pytest.mark.parametrize(
    ("after_s", "allowed"),
    [(29.0, False), (30.0, False), (30.001, True)],  # the window ends after reset_at
)
def test_client_presence_window_allows_five_then_refuses_until_it_expires(
    after_s: float, allowed: bool
) -> None:
    clock = FakeClock()
    limit = FixedWindowLimit(max_calls=5, window_s=30, clock=clock)
    assert [limit.allow() for _ in range(6)] == [True] * 5 + [False]
    clock.advance(after_s)
    assert limit.allow() is allowed


def test_no_client_presence_limit_when_off() -> None:
    limit = FixedWindowLimit(max_calls=None, window_s=30)
    assert all(limit.allow() for _ in range(100))


# --- presence: refused only strictly above the limit ------------------------------------------
@pytest.mark.parametrize(
    ("counts", "refused"),
    [
        pytest.param([200], False, id="20/s-equal-allowed"),
        pytest.param([201], True, id="20.1/s-refused"),
        pytest.param([100] * 12, False, id="100-per-tick-is-20/s"),
        pytest.param([101] * 12, True, id="20.2/s-refused"),
        pytest.param([120], False, id="12/s"),
    ],
)
def test_presence_is_refused_when_the_average_is_strictly_over_the_limit(
    counts: list[int], refused: bool
) -> None:
    clock = FakeClock()
    state = HubState(HubSettings(), clock)
    state.presence_events.start()
    for count in counts:
        state.presence_events.add(count)
        clock.advance(5)
    assert state.presence_rate_exceeded() is refused


# --- on the wire: what counts ----------------------------------------------------------------
@dataclass
class Room:
    hub: RunningHub
    members: list[RawClient]
    rest: RestFactory

    @property
    def state(self) -> HubState:
        return self.hub.state

    def pending(self) -> tuple[int, int, int, int]:
        """What each tenant counter has counted in the tick under way."""
        state = self.state
        return (
            state.events.current_tick_count(),
            state.presence_events.current_tick_count(),
            state.db_events.current_tick_count(),
            state.joins.current_tick_count(),
        )


async def broadcast(room: Room, *, receivers: int) -> None:
    sender = room.members[0]
    payload = {"type": "broadcast", "event": "heartbeat", "payload": {"user_id": "m0"}}
    await sender.send(TOPIC, "broadcast", payload, ref="b1", join_ref="1")
    for member in room.members[3 - receivers :]:
        await member.recv_event("broadcast")


async def self_broadcast(room: Room) -> None:
    await broadcast(room, receivers=3)


async def broadcast_without_self(room: Room) -> None:
    await broadcast(room, receivers=2)
    await room.members[0].heartbeat()


async def acked_broadcast(room: Room) -> None:
    await broadcast(room, receivers=3)
    assert (await room.members[0].recv_event("phx_reply"))["ref"] == "b1"


async def phoenix_heartbeat(room: Room) -> None:
    await room.members[0].heartbeat()


async def unknown_event(room: Room) -> None:
    await room.members[0].send(TOPIC, "no_such_event", {}, ref="u1", join_ref="1")
    await room.members[0].heartbeat()  # one socket's frames are handled in order


async def access_token(room: Room) -> None:
    await room.members[0].send(TOPIC, "access_token", {"access_token": "x"}, join_ref="1")
    await room.members[0].heartbeat()


async def presence_track(room: Room) -> None:
    track = {"event": "track", "payload": {"user_id": "m0", "n": 1}}
    await room.members[0].send(TOPIC, "presence", track, ref="p1", join_ref="1")
    for member in room.members:
        await member.recv_event("presence_diff")


async def rest_broadcast(room: Room) -> None:
    client = await room.rest(target=room.hub)
    body = {"p_room_id": ROOM, "p_event_type": "play", "p_payload": {"user_id": "x"}}
    await client.rpc("broadcast_room_event", body).execute()
    for member in room.members:
        await member.recv_event("broadcast")


async def postgres_change(room: Room) -> None:
    client = await room.rest(target=room.hub)
    await ensure_room(client, ROOM)  # a rooms change: nobody listens to rooms
    await client.table("comments").insert(comment(ROOM)).execute()
    for member in room.members:
        await member.recv_event("postgres_changes")


async def join_another_channel(room: Room) -> None:
    await room.members[0].join("realtime:room:other")


async def room_of_three(
    make_hub: HubFactory, raw: RawFactory, rest: RestFactory, *, self_broadcast: bool, ack: bool
) -> Room:
    hub = await make_hub(clock=FakeClock())
    members = []
    for index in range(3):
        member = await raw(target=hub)
        config = {
            "broadcast": {"self": self_broadcast or index > 0, "ack": ack and index == 0},
            "presence": {"key": f"m{index}", "enabled": True},
            "postgres_changes": [COMMENTS_BINDING],
        }
        await member.join(TOPIC, config)
        await member.recv_event("system")  # Subscribed to PostgreSQL
        members.append(member)
    # Members of the room in its tables too, so each reads the room's comments.
    service = await rest(target=hub)
    await ensure_room(service, ROOM)
    for index in range(3):
        await service.table("room_members").insert(datakit.member(ROOM, f"m{index}")).execute()
    return Room(hub, members, rest)


@pytest.mark.parametrize(
    ("action", "self_broadcast", "ack", "counted"),
    [
        # (events, presence_events, db_events, joins) counted by one action in a room of 3.
        pytest.param(self_broadcast, True, False, (4, 0, 0, 0), id="broadcast-self-1+3"),
        pytest.param(broadcast_without_self, False, False, (3, 0, 0, 0), id="broadcast-1+2"),
        pytest.param(acked_broadcast, True, True, (4, 0, 0, 0), id="ack-reply-not-counted"),
        pytest.param(phoenix_heartbeat, True, False, (0, 0, 0, 0), id="phoenix-heartbeat"),
        pytest.param(unknown_event, True, False, (1, 0, 0, 0), id="unknown-event"),
        pytest.param(access_token, True, False, (0, 0, 0, 0), id="access-token"),
        pytest.param(presence_track, True, False, (0, 4, 0, 0), id="track-1+diff-per-member"),
        pytest.param(rest_broadcast, True, False, (4, 0, 0, 0), id="rest-broadcast-1+3"),
        pytest.param(postgres_change, True, False, (0, 0, 3, 0), id="change-per-listener"),
        pytest.param(join_another_channel, True, False, (0, 0, 0, 1), id="join"),
    ],
)
async def test_what_each_message_adds_to_the_tenant_counters(
    make_hub: HubFactory,
    raw: RawFactory,
    rest: RestFactory,
    action: Callable[[Room], Awaitable[None]],
    self_broadcast: bool,
    ack: bool,
    counted: tuple[int, int, int, int],
) -> None:
    room = await room_of_three(make_hub, raw, rest, self_broadcast=self_broadcast, ack=ack)
    before = room.pending()
    await action(room)
    after = room.pending()
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == counted


async def test_a_join_starts_the_message_and_presence_counters(
    make_hub: HubFactory, raw: RawFactory
) -> None:
    # realtime_channel.ex:151-154: the counters run from the first join, so a burst 100 s
    # later is averaged over a full window of 12 buckets, not over a fresh counter's 2.
    clock = FakeClock()
    hub = await make_hub(clock=clock)
    clock.advance(50)
    client = await raw(target=hub)
    await client.join(TOPIC)
    clock.advance(100)
    assert hub.state.events.buckets() == (0,) * 12
    assert hub.state.presence_events.buckets() == (0,) * 12
    assert hub.state.db_events.buckets() == (0,)  # not started by a join: started just now


# --- on the wire: past the message limit ------------------------------------------------------
async def frames_before_heartbeat_reply(client: RawClient) -> list[dict[str, Any]]:
    ref = f"hb{client.next_ref()}"
    await client.send("phoenix", "heartbeat", {}, ref=ref)
    frames: list[dict[str, Any]] = []
    while True:
        frame = await client.recv()
        assert isinstance(frame, dict)
        if frame["event"] == "phx_reply" and frame["ref"] == ref:
            return frames
        frames.append(frame)


@pytest.mark.parametrize(
    ("elsewhere", "trips"),
    # Other rooms of the project counted `elsewhere` in the first tick, this room 3 more:
    # (elsewhere + 3) / 2 buckets / 5 s against 100/s.
    [pytest.param(996, False, id="99.9/s"), pytest.param(997, True, id="100/s")],
)
async def test_message_limit_shuts_every_receiving_channel_and_drops_rest_broadcasts(
    make_hub: HubFactory, raw: RawFactory, rest: RestFactory, elsewhere: int, trips: bool
) -> None:
    clock = FakeClock()
    hub = await make_hub(clock=clock)
    sender, a, b = [await raw(target=hub) for _ in range(3)]
    await sender.join(TOPIC, {"broadcast": {"self": False}})
    await a.join(TOPIC)
    await b.join(TOPIC)
    other = await raw(target=hub)
    await other.join("realtime:room:other")
    hub.state.events.add(elsewhere)
    message = {"type": "broadcast", "event": "e", "payload": {}}
    await sender.send(TOPIC, "broadcast", message, join_ref="1")  # 1 + 2 deliveries
    for receiver in (a, b):
        await receiver.recv_event("broadcast")
    clock.advance(5)
    assert hub.state.events.is_triggered() is trips

    await sender.send(TOPIC, "broadcast", message, join_ref="1")
    for receiver in (a, b):
        await receiver.recv_event("broadcast")  # delivered, and then the channel stops
        if trips:
            system = await receiver.recv_event("system")
            assert system["payload"] == {
                "channel": "room:abc",
                "extension": "system",
                "message": "Too many messages per second",
                "status": "error",
            }
            await receiver.recv_event("phx_close")
    # The sender (no self echo) received nothing, so its channel stays.
    assert await frames_before_heartbeat_reply(sender) == []
    client = await rest(target=hub)
    body = {"p_room_id": "other", "p_event_type": "play", "p_payload": {}}
    counted = hub.state.events.current_tick_count()
    await client.rpc("broadcast_room_event", body).execute()
    events = [f["event"] for f in await frames_before_heartbeat_reply(other)]
    if trips:  # dropped while triggered, not counted, and the call still succeeds
        assert events == []
        assert hub.state.events.current_tick_count() == counted
        clock.advance(5)  # (1000 + 3) / 3 / 5 s < 100: cleared
        assert not hub.state.events.is_triggered()
        await client.rpc("broadcast_room_event", body).execute()
        events = [f["event"] for f in await frames_before_heartbeat_reply(other)]
    assert events == ["broadcast"]


@pytest.mark.parametrize(("changes", "skipped"), [(9, False), (10, True)])
async def test_postgres_changes_past_their_own_limit_are_skipped_not_closed(
    make_hub: HubFactory, raw: RawFactory, rest: RestFactory, changes: int, skipped: bool
) -> None:
    clock = FakeClock()
    # db_events shares max_events_per_second: 1/s trips at 10 in the first tick (10 / 2 / 5 s).
    hub = await make_hub(clock=clock, max_events_per_second=1)
    listener = await raw(target=hub)
    await listener.join(TOPIC, {"postgres_changes": [COMMENTS_BINDING]})
    await listener.recv_event("system")
    client = await rest(target=hub)
    await ensure_room(client, ROOM)
    for _ in range(changes):
        await client.table("comments").insert(comment(ROOM)).execute()
        await listener.recv_event("postgres_changes")
    clock.advance(5)
    assert hub.state.db_events.is_triggered() is skipped
    assert not hub.state.events.is_triggered()  # changes are not messages of the tenant counter
    await client.table("comments").insert(comment(ROOM)).execute()
    frames = await frames_before_heartbeat_reply(listener)
    # Skipped, and no system error or phx_close: the channel stays.
    assert [f["event"] for f in frames] == ([] if skipped else ["postgres_changes"])


# --- on the wire: presence --------------------------------------------------------------------
async def presence_member(client: RawClient, key: str = "ann") -> None:
    await client.join(TOPIC, {"presence": {"key": key, "enabled": True}})
    await client.recv_event("presence_state")


async def track(client: RawClient, n: int) -> dict[str, Any]:
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": n}}, ref=f"t{n}", join_ref="1"
    )
    reply: dict[str, Any] = await client.recv_event("phx_reply")
    return reply


@pytest.mark.parametrize(
    ("tracks", "refused"),
    # 2 presence_states + 3 per track (the track and its diff to both members) in the first
    # tick, over 2 buckets and 5 s, against 2/s: 6 tracks make 2.0/s (allowed), 7 make 2.3/s.
    [pytest.param(6, False, id="2.0/s-allowed"), pytest.param(7, True, id="2.3/s-refused")],
)
async def test_presence_track_is_refused_strictly_above_the_presence_limit(
    make_hub: HubFactory, raw: RawFactory, tracks: int, refused: bool
) -> None:
    clock = FakeClock()
    hub = await make_hub(
        clock=clock, max_presence_events_per_second=2, client_presence_max_calls=100
    )
    ann, bob = await raw(target=hub), await raw(target=hub)
    await presence_member(ann, "ann")
    await presence_member(bob, "bob")
    for n in range(tracks):
        assert (await track(ann, n))["payload"]["status"] == "ok"
        await bob.recv_event("presence_diff")
    clock.advance(5)
    await ann.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 99}}, ref="last", join_ref="1"
    )
    if refused:
        system = await ann.recv_event("system")
        assert system["payload"]["message"] == "Too many presence messages per second"
        await ann.recv_event("phx_close")
    else:
        assert (await ann.recv_event("phx_reply"))["payload"]["status"] == "ok"


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


@pytest.mark.parametrize(("after_s", "allowed"), [(30.0, False), (30.001, True)])
async def test_presence_window_reopens_after_its_length(
    make_hub: HubFactory, raw: RawFactory, after_s: float, allowed: bool
) -> None:
    clock = FakeClock()
    hub = await make_hub(clock=clock, client_presence_max_calls=2)
    client = await raw(target=hub)
    await presence_member(client)
    for n in range(2):
        assert (await track(client, n))["payload"]["status"] == "ok"
    clock.advance(after_s)
    await client.send(
        TOPIC, "presence", {"event": "track", "payload": {"n": 9}}, ref="b", join_ref="1"
    )
    if allowed:
        assert (await client.recv_event("phx_reply"))["payload"]["status"] == "ok"
    else:
        system = await client.recv_event("system")
        assert system["payload"]["message"] == "Client presence rate limit exceeded"


async def test_realtime_py_sees_its_channel_closed_past_the_presence_limit(py_client) -> None:  # type: ignore[no-untyped-def]
    channel = py_client().channel("room:abc", room_config("ann"))
    states = Inbox()
    await channel.subscribe(lambda state, error: states.put(state.value))
    await states.wait_for(lambda s: s == "SUBSCRIBED")
    for n in range(5):
        await channel.track({"n": n})
    await channel.track({"n": 5})
    await states.wait_for(lambda s: s == "CLOSED")


# --- on the wire: joins -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("joins", "refused"),
    # At 1 join/s the first tick trips at 10 joins (10 / 2 buckets / 5 s).
    [pytest.param(9, False, id="0.9/s"), pytest.param(10, True, id="1.0/s")],
)
async def test_join_rate_refuses_and_disconnects(
    make_hub: HubFactory, raw: RawFactory, joins: int, refused: bool
) -> None:
    clock = FakeClock()
    hub = await make_hub(clock=clock, max_joins_per_second=1)
    client = await raw(target=hub)
    for n in range(joins):
        assert (await client.join(f"realtime:t{n}"))["payload"]["status"] == "ok"
    clock.advance(5)
    reply = await client.join("realtime:late")
    if refused:
        assert reply["payload"]["response"] == {
            "reason": "ClientJoinRateLimitReached: Too many joins per second"
        }
        assert (await client.closed()).data == 1008
    else:
        assert reply["payload"]["status"] == "ok"
