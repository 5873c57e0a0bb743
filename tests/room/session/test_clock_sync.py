"""Clock pings and pongs: who asks, who answers, and how answers are batched."""

from __future__ import annotations

from room.session.clock_sync import PONG_BATCH_S
from room.session.roster import INTERVAL_SPREAD, PHASE_SPREAD
from room.sync.clock import SyncPing
from tests.room.session.fakes import FakeChannel, FakeClock, Room, join, member, presence


def ping(from_user: str, to_user: str, ping_id: int = 0) -> dict[str, object]:
    return SyncPing(from_user=from_user, to_user=to_user, ping_id=ping_id, sent_at=5.0).model_dump()


async def hosting(user_id: str) -> Room:
    room = Room(user_id)
    await room.start()
    room.session.on_presence(presence(member(user_id, is_host=True, host_since=1)))
    await room.clock.advance(0)
    assert room.session.host_user_id == user_id
    return room


async def test_the_host_answers_a_burst_of_pings_with_one_broadcast() -> None:
    room = await hosting("host")
    for index, follower in enumerate(("a", "b", "c")):
        room.session.on_broadcast("sync_ping", ping(follower, "host", index))
    room.session.on_broadcast("sync_ping", ping("d", "someone-else"))
    room.session.on_broadcast("sync_ping", {"from_user": "x"})  # malformed: dropped
    await room.clock.advance(PONG_BATCH_S / 2)
    assert room.link.events("sync_pongs") == []
    await room.clock.advance(PONG_BATCH_S)
    [batch] = room.link.events("sync_pongs")
    assert [pong["to_user"] for pong in batch["pongs"]] == ["a", "b", "c"]
    await room.stop()


async def test_a_follower_pings_its_host_and_learns_its_clock() -> None:
    room = Room("f")
    await room.start()
    await room.clock.advance(2.0)
    assert room.link.events("sync_ping") == [], "no host, nobody to ask"
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    await room.clock.advance(0.5)
    [sent] = room.link.events("sync_ping")
    assert sent["to_user"] == "host" and sent["from_user"] == "f"
    host_clock_ms = 1_000_000.0
    pong = {
        "from_user": "host",
        "to_user": "f",
        "ping_id": sent["ping_id"],
        "ping_sent_at": sent["sent_at"],
        "received_at": host_clock_ms,
        "sent_at": host_clock_ms,
    }
    others = {**pong, "to_user": "g"}
    room.session.on_broadcast("sync_pongs", {"pongs": [others, "junk", pong]})
    now_ms = room.clock.monotonic_ms()
    estimate = room.session.clock.host_now_ms(now_ms)
    half_trip_ms = (now_ms - sent["sent_at"]) / 2
    assert estimate == host_clock_ms + half_trip_ms, "the host answered halfway through the trip"
    await room.stop()


async def test_a_newcomer_to_a_room_of_50_knows_the_hosts_clock_with_no_ping_of_its_own() -> None:
    """A newcomer's member_joined carries its first clock ping, and the host answers it with
    the welcome it sends newcomers anyway. In a room of 50 a ping of its own waited about
    two minutes for the newcomer's share (each ping and its pong reach all 50), and until
    then it started and seeked by a guessed clock; ten arriving together cost ten pings and
    their pongs, about a thousand messages."""
    clock = FakeClock()
    channel = FakeChannel(clock)
    host, host_player = await join(channel, "m00", claim_host=True)
    await clock.advance(1.0)
    members = [await join(channel, f"m{i:02d}") for i in range(1, 40)]
    await clock.advance(180.0)  # the room settles; the early members' warm-up is long done
    sent_before = len(channel.messages)
    newcomers = [await join(channel, f"new{i}") for i in range(10)]
    await clock.advance(host.budget.anchor_refresh_interval_s(0.5) + 1.0)
    for session, _ in newcomers:
        assert session.clock.ready, f"{session.ctx.user_id} has no clock sample"
    pinged = [s.ctx.user_id for s, _ in newcomers if "sync_ping" in dict(s.ctx.link.sent)]
    assert pinged == []
    new = [event for _, _, event in channel.messages[sent_before:]]
    # The welcome's answers, and perhaps one batch for an old member's routine refresh.
    assert new.count("sync_pongs") <= 2, "answered together"
    for session, player in [*members, *newcomers]:
        await session.stop()
        await player.close()
    await host.stop()
    await host_player.close()


async def test_in_a_room_of_11_followers_warm_up_on_their_heartbeats() -> None:
    """A ping of its own costs a follower two sends of its share (its ping, the host's pong),
    and in a room of 11 its heartbeats take most of that share: it got about three samples in
    its first 30 s, taken while the room gathered, and kept their estimate for a minute or
    more. On heartbeats, which go anyway, pings and the host's answers cost nothing."""
    clock = FakeClock()
    channel = FakeChannel(clock)
    host, host_player = await join(channel, "host", claim_host=True)
    await clock.advance(1.0)
    followers = [await join(channel, f"f{i}") for i in range(10)]
    joined_at = clock.now_s
    await clock.advance(20.0)
    warm = [s.ctx.user_id for s, _ in followers if not s.clock.warming_up]
    assert warm == [s.ctx.user_id for s, _ in followers], "every follower warmed up in 20 s"
    clock_traffic = [e for at, _, e in channel.messages if at >= joined_at and e == "sync_ping"]
    assert len(clock_traffic) <= 10, "hardly a ping of its own"
    for session, player in [*followers, (host, host_player)]:
        await session.stop()
        await player.close()


async def test_the_host_answers_a_ping_on_a_heartbeat_on_its_own_next_heartbeat() -> None:
    room = await hosting("host")
    beat = {"user_id": "f", "is_synced": True}
    room.session.on_broadcast("heartbeat", {**beat, "sync_ping": ping("f", "host", 3)})
    room.session.on_broadcast("heartbeat", {**beat, "sync_ping": ping("mallory", "host", 4)})
    room.session.on_broadcast("heartbeat", {**beat, "user_id": "g", "sync_ping": "junk"})
    room.session.on_broadcast("heartbeat", {**beat, "user_id": "h", "sync_ping": ping("h", "x")})
    # Its next routine heartbeat: an interval on, spread (PHASE_SPREAD, INTERVAL_SPREAD).
    spread = 1 + PHASE_SPREAD + INTERVAL_SPREAD
    await room.clock.advance(room.session.budget.heartbeat_interval_s * spread + 1)
    answers = [b["sync_pongs"] for b in room.link.events("heartbeat") if "sync_pongs" in b]
    assert [[(p["to_user"], p["ping_id"]) for p in pongs] for pongs in answers] == [[("f", 3)]]
    assert room.link.events("sync_pongs") == [], "no broadcast of its own"
    await room.stop()


async def test_a_follower_takes_answers_only_from_the_hosts_heartbeat() -> None:
    room = Room("f")
    await room.start()
    await room.clock.advance(2.0)
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    await room.clock.advance(0.5)
    on_beats = [b["sync_ping"] for b in room.link.events("heartbeat") if "sync_ping" in b]
    [sent] = room.link.events("sync_ping") + on_beats
    pong = {
        "from_user": "host",
        "to_user": "f",
        "ping_id": sent["ping_id"],
        "ping_sent_at": sent["sent_at"],
        "received_at": 5.0,
        "sent_at": 5.0,
    }
    beat = {"is_synced": True, "sync_pongs": [pong]}
    room.session.on_broadcast("heartbeat", {**beat, "user_id": "mallory"})
    room.session.on_broadcast("heartbeat", {"user_id": "host", "sync_pongs": "junk"})
    room.session.on_broadcast("heartbeat", {"user_id": "host", "sync_pongs": [1, None, {}]})
    assert not room.session.clock.ready, "a pong on someone else's heartbeat is not the host's"
    room.session.on_broadcast("heartbeat", {**beat, "user_id": "host"})
    assert room.session.clock.ready
    await room.stop()
