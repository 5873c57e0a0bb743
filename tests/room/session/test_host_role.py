"""Who hosts: elections, claims and hand-overs, on a fake clock (no sockets, no player)."""

from __future__ import annotations

from room.intents import ClaimHost, HandOverHost
from room.session.host_role import HOST_GRACE_S
from tests.room.session.fakes import Room, member, presence


async def test_a_vanished_host_is_replaced_by_the_lowest_id_after_the_grace() -> None:
    room = Room("bob")
    await room.start()
    room.session.on_presence(presence(member("alice", is_host=True, host_since=5), member("bob")))
    await room.clock.advance(0)
    assert room.session.host_user_id == "alice"

    room.session.on_presence(presence(member("bob"), member("carol")))
    await room.clock.advance(HOST_GRACE_S - 0.5)
    assert room.session.host_user_id == "alice", "the host has a moment to come back"
    await room.clock.advance(1.0)
    assert room.session.host_user_id == "bob"
    [announced] = room.link.events("host_changed")
    assert announced["user_id"] == "bob" and announced["by_user_id"] == "bob"
    await room.stop()


async def test_a_host_back_within_the_grace_keeps_the_role() -> None:
    room = Room("bob")
    await room.start()
    host = member("alice", is_host=True, host_since=5)
    room.session.on_presence(presence(host, member("bob")))
    await room.clock.advance(0)
    room.session.on_presence(presence(member("bob")))
    await room.clock.advance(2.0)
    room.session.on_presence(presence(host, member("bob")))
    await room.clock.advance(HOST_GRACE_S * 2)
    assert room.session.host_user_id == "alice"
    assert room.link.events("host_changed") == []
    await room.stop()


async def test_the_member_not_elected_waits_for_the_new_host_to_announce() -> None:
    room = Room("carol")
    await room.start()
    room.session.on_presence(presence(member("alice", is_host=True, host_since=5), member("bob")))
    await room.clock.advance(0)
    room.session.on_presence(presence(member("bob"), member("carol")))
    await room.clock.advance(HOST_GRACE_S + 1)
    assert room.session.host_user_id is None
    assert room.link.events("host_changed") == []
    await room.stop()


async def test_no_election_while_we_are_offline_ourselves() -> None:
    room = Room("bob")
    await room.start()
    room.session.on_presence(presence(member("alice", is_host=True, host_since=5), member("bob")))
    await room.clock.advance(0)
    room.session.on_presence(presence(member("bob")))
    room.link.joined = False
    await room.clock.advance(HOST_GRACE_S + 1)
    assert room.session.host_user_id == "alice"
    await room.stop()


async def test_two_claimed_hosts_converge_on_the_newest_claim() -> None:
    room = Room("carol")
    await room.start()
    room.session.on_presence(
        presence(
            member("alice", is_host=True, host_since=100),
            member("bob", is_host=True, host_since=200),
        )
    )
    await room.clock.advance(0)
    assert room.session.host_user_id == "bob"
    room.session.on_broadcast(
        "heartbeat", {**member("alice", is_host=True, host_since=150), "is_synced": True}
    )
    await room.clock.advance(0)
    assert room.session.host_user_id == "bob", "an older claim does not win"
    await room.stop()


async def test_host_flag_claims_an_empty_room_but_not_a_hosted_one() -> None:
    empty = Room("bob", claim_host=True)
    await empty.start()
    empty.session.on_presence(presence(member("bob")))
    await empty.clock.advance(0)
    assert empty.session.host_user_id == "bob"
    assert [p["user_id"] for p in empty.link.events("host_changed")] == ["bob"]
    await empty.stop()

    hosted = Room("bob", claim_host=True)
    await hosted.start()
    hosted.session.on_presence(presence(member("alice", is_host=True, host_since=1)))
    await hosted.clock.advance(0)
    assert hosted.session.host_user_id == "alice"
    assert hosted.link.events("host_changed") == []
    await hosted.stop()


async def test_a_hand_over_is_announced_and_the_new_host_shows_in_presence() -> None:
    room = Room("alice")
    await room.start()
    room.session.on_presence(presence(member("alice"), member("bob")))
    await room.session.submit(ClaimHost())
    assert room.session.host_user_id == "alice"
    assert room.link.tracked[-1]["is_host"] is True
    await room.session.submit(HandOverHost("bob"))
    assert room.session.host_user_id == "bob"
    handed = room.link.events("host_changed")[-1]
    assert handed == {
        "user_id": "bob",
        "username": "BOB",
        "by_user_id": "alice",
        "since": room.clock.wall_ms(),
    }
    assert room.link.tracked[-1]["is_host"] is False
    await room.stop()
