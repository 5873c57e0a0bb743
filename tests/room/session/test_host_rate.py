"""A follower that becomes the host announces the room's rate, not its player's nudge."""

from __future__ import annotations

from dataclasses import replace

from room.session.host_role import HOST_GRACE_S
from tests.room.session.fakes import Room, member, playing_at, presence


async def test_a_follower_elected_mid_nudge_announces_the_rate_it_followed() -> None:
    room = Room("bob")
    await room.start()
    room.session.on_presence(presence(member("alice", is_host=True, host_since=5), member("bob")))
    await room.clock.advance(0)
    room.session.on_player_sample(playing_at(10.0, room.clock))
    anchor = {"current_time": 10.0, "is_playing": True, "at": 0.0, "seq": 5, "rate": 1.5}
    room.session.on_broadcast("speed", {**member("alice"), **anchor})
    await room.clock.advance(0)
    # our follower is nudging: the player plays a little slower than the room
    room.session.on_player_sample(replace(playing_at(10.0, room.clock), speed=1.47))
    sent_before = len(room.link.sent)

    room.session.on_presence(presence(member("bob")))  # alice is gone
    await room.clock.advance(HOST_GRACE_S + 1)
    assert room.session.host_user_id == "bob"
    anchors = [p for e, p in room.link.sent[sent_before:] if e in ("sync_anchor", "speed")]
    assert anchors, "the new host never told the room where it is"
    assert [a["rate"] for a in anchors] == [1.5]
    assert room.player.did("speed")[-1] == 1.5  # the nudge is off our player
    await room.stop()


async def test_a_member_who_followed_nobody_announces_its_own_speed() -> None:
    room = Room("bob")
    await room.start()
    room.session.on_presence(presence(member("alice", is_host=True, host_since=5), member("bob")))
    await room.clock.advance(0)
    room.session.on_player_sample(replace(playing_at(10.0, room.clock), speed=1.25))
    sent_before = len(room.link.sent)
    room.session.on_presence(presence(member("bob")))
    await room.clock.advance(HOST_GRACE_S + 1)
    anchors = [p for e, p in room.link.sent[sent_before:] if e == "sync_anchor"]
    assert [a["rate"] for a in anchors] == [1.25]
    await room.stop()
