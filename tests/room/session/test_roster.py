"""The member list and what we publish about ourselves, on a fake clock."""

from __future__ import annotations

import pytest

from room.intents import ClaimHost, TogglePlay
from room.session.budget import BudgetSettings
from room.session.roster import INTERVAL_SPREAD, PHASE_SPREAD
from room.state import SyncStatus
from tests.room.session.fakes import (
    Room,
    answer_clock_pings,
    member,
    paused_at,
    playing_at,
    presence,
)


async def test_a_heartbeat_goes_out_every_interval_with_our_position() -> None:
    room = Room("alice", budget=BudgetSettings(heartbeat_min_s=3.0))
    await room.start()
    room.session.on_player_sample(paused_at(42.0, room.clock))
    await room.clock.advance(0.3)
    assert room.link.events("heartbeat") == [], "who hosts is not known before presence"
    room.session.on_presence(presence(member("alice")))  # nobody hosts: we act for ourselves
    await room.clock.advance(0.3)
    assert len(room.link.events("heartbeat")) == 1, "the first report: our verdict is news"

    async def next_beat_in_s() -> float:
        told, waited = len(room.link.events("heartbeat")), 0.0
        while len(room.link.events("heartbeat")) == told and waited < 10.0:
            await room.clock.advance(0.05)
            waited += 0.05
        return waited

    # Our interval is the budget's 3 s, up to INTERVAL_SPREAD longer by our user id, and the
    # first report sets the beat's phase: the next comes up to PHASE_SPREAD of it late.
    interval_s = 3.0 * room.session.roster._interval_share
    assert 3.0 <= interval_s <= 3.0 * (1 + INTERVAL_SPREAD)
    assert interval_s - 0.3 <= await next_beat_in_s() <= interval_s * (1 + PHASE_SPREAD)
    assert interval_s - 0.05 <= await next_beat_in_s() <= interval_s + 0.05, "then each interval"
    beat = room.link.events("heartbeat")[-1]
    assert beat["user_id"] == "alice" and beat["current_time"] == 42.0
    assert beat["is_synced"] is True, "a member that drives playback is in sync by definition"
    await room.stop()


async def test_presence_is_retracked_on_changes_but_never_past_the_budget() -> None:
    room = Room("alice", budget=BudgetSettings(heartbeat_min_s=0.5))
    await room.start()
    room.session.on_presence(presence(member("alice")))
    at_join = len(room.link.events("heartbeat"))
    for step in range(20):  # a play/pause before every heartbeat for 10 s, nobody hosting
        plays = (step // 2) % 2 == 1  # a second each way: every heartbeat sees a state
        sample = playing_at(10.0, room.clock) if plays else paused_at(10.0, room.clock)
        room.session.on_player_sample(sample)
        await room.clock.advance(0.5)
    # One a half second (a change in kind each), less the one the first report's phase puts
    # off (PHASE_SPREAD).
    told = len(room.link.events("heartbeat")) - at_join
    assert 19 <= told <= 20, "heartbeats are not rationed"
    playing = [fields["is_playing"] for fields in room.link.tracked]
    assert True in playing and False in playing, "changes in kind are tracked"
    assert len(room.link.tracked) <= 5, "Supabase closes the channel past 5 calls in 30 s"
    await room.stop()


async def test_a_heartbeat_alone_does_not_add_a_member_presence_does() -> None:
    room = Room("alice")
    await room.start()
    room.session.on_presence(presence(member("alice")))
    now_ms = room.clock.wall_ms()
    room.session.on_broadcast(
        "heartbeat", {**member("mallory"), "is_synced": True, "last_update": now_ms}
    )
    assert [m.user_id for m in room.state.members] == ["alice"]
    room.session.on_presence(presence(member("alice"), member("bob", last_update=now_ms - 9)))
    room.session.on_broadcast(
        "heartbeat",
        {**member("bob"), "is_synced": False, "last_update": now_ms, "is_playing": True},
    )
    bob = next(m for m in room.state.members if m.user_id == "bob")
    assert bob.sync is SyncStatus.OUT_OF_SYNC and bob.is_playing, "the fresher heartbeat wins"
    await room.stop()


async def test_joins_and_leaves_are_announced() -> None:
    room = Room("alice")
    await room.start()
    await room.clock.advance(1.0)
    room.session.on_broadcast("member_joined", member("bob"))
    await room.clock.advance(1.5)
    room.session.on_broadcast("member_left", member("bob"))
    await room.clock.advance(1.5)
    assert room.notices == ["BOB joined the room", "BOB left the room"]
    await room.stop()


async def test_leaving_says_goodbye_and_untracks_within_budget() -> None:
    room = Room("alice")
    await room.start()
    await room.session.submit(TogglePlay())
    await room.stop()
    assert room.link.events("member_left") == [{"user_id": "alice", "username": "ALICE"}]
    assert room.link.untracks == 1


async def test_a_follower_heard_from_before_the_hosts_play_is_shown_on_the_hosts_timeline() -> None:
    """In a big room heartbeats are a minute apart: a follower who last reported 'paused,
    out of sync' before the host pressed play has followed the play since. The list shows it
    where the host is, not paused where it was."""
    room = Room("host")
    await room.start()
    room.session.on_presence(presence(member("host"), member("bob")))
    await room.session.submit(ClaimHost())
    await room.clock.advance(0)
    room.session.on_player_sample(paused_at(30.0, room.clock))
    room.session.on_broadcast(
        "heartbeat",
        {
            **member("bob"),
            "is_synced": False,
            "is_playing": False,
            "current_time": 29.0,
            "last_update": room.clock.wall_ms(),
        },
    )
    await room.clock.advance(1.0)
    await room.session.submit(TogglePlay())
    await room.clock.advance(0.5)
    room.session.on_player_sample(playing_at(30.25, room.clock))
    played_at_ms = room.clock.wall_ms()
    await room.clock.advance(2.0)
    state = room.state
    assert state.members_as_of_ms is not None
    bob = next(m for m in state.members if m.user_id == "bob")
    assert bob.is_playing
    host_then = 30.25 + (state.members_as_of_ms - played_at_ms) / 1000
    assert abs(bob.position_at(state.members_as_of_ms) - host_then) < 0.05
    await room.stop()


async def test_a_member_known_only_from_its_joining_presence_is_shown_where_the_host_is() -> None:
    """A newcomer to a big room knows the others from presence: each entry was tracked when
    that member joined, with no verdict yet and its player still at 0:00 (a first verdict is
    no news for presence), and its next heartbeat may be a minute away. The list shows such
    a member on the host's timeline, its status unknown, not paused at 0:00."""
    room = Room("host")
    await room.start()
    await room.session.submit(ClaimHost())
    await room.clock.advance(0)
    room.session.on_player_sample(paused_at(30.0, room.clock))
    await room.session.submit(TogglePlay())
    await room.clock.advance(0.5)
    room.session.on_player_sample(playing_at(30.25, room.clock))
    played_at_ms = room.clock.wall_ms()
    await room.clock.advance(5.0)
    joined_after_the_play = room.clock.wall_ms() - 3_000
    bob = member(
        "bob", current_time=0.0, is_playing=False, is_synced=None, last_update=joined_after_the_play
    )
    cant = member(
        "carol",
        current_time=0.0,
        is_playing=False,
        is_synced=None,
        readiness="cant_play",
        last_update=joined_after_the_play,
    )
    room.session.on_presence(presence(member("host"), bob, cant))
    await room.clock.advance(1.0)
    state = room.state
    assert state.members_as_of_ms is not None
    shown = next(m for m in state.members if m.user_id == "bob")
    assert shown.sync is SyncStatus.UNKNOWN
    assert shown.is_playing
    host_then = 30.25 + (state.members_as_of_ms - played_at_ms) / 1000
    assert abs(shown.position_at(state.members_as_of_ms) - host_then) < 0.05
    carol = next(m for m in state.members if m.user_id == "carol")
    assert not carol.is_playing, "a member that cannot play the item is not on the timeline"
    await room.stop()


async def test_a_newcomer_does_not_say_it_is_in_sync_before_it_knows_who_hosts() -> None:
    """The room's presence comes after our join, so on joining we cannot know whether
    anyone hosts. Our joining presence said "in sync" (nobody hosts, as far as we knew) and
    every list put us on the host's timeline, minutes away from our player at 0:00."""
    room = Room("newcomer")
    await room.start()
    [joining] = room.link.tracked
    assert joining["is_synced"] is None, "no verdict on joining"
    await room.clock.advance(1.0)
    assert room.link.events("heartbeat") == [], "and no report of one"
    room.session.on_presence(
        presence(member("host", is_host=True, host_since=1), member("newcomer"))
    )
    await room.clock.advance(1.0)
    assert room.session.playback.is_synced() is None, "a host, and no anchor from it yet"
    await room.stop()


async def test_the_list_moves_onto_the_hosts_new_anchor_at_once() -> None:
    """Members in sync are shown on the host's timeline. When the host re-anchors (its own
    seek landed 0.4 s after the start it announced, so the room starts 0.4 s later), the
    list shows them on the new line at once, not at its next redraw up to a second later
    (room_scale saw whole lists 0.4 s off in rooms of 25 after seeks)."""
    room = Room("f")
    await room.start()
    room.session.on_presence(
        presence(member("host", is_host=True, host_since=1), member("f"), member("bob"))
    )
    room.session.on_player_sample(paused_at(30.0, room.clock))
    await room.clock.advance(0)
    answer_clock_pings(room)  # at once: our clock is the host's (one fake clock for both)
    await room.clock.advance(0.1)
    host = {"user_id": "host", "username": "H", "is_playing": True, "current_time": 30.0}
    start_ms = room.clock.monotonic_ms()
    room.session.on_broadcast("play", {**host, "at": start_ms, "seq": 1})
    room.session.on_broadcast(
        "heartbeat",
        {**member("bob"), "is_synced": True, "is_playing": True, "current_time": 30.0},
    )
    await room.clock.advance(0.5)
    room.session.on_broadcast("sync_anchor", {**host, "at": start_ms + 400, "seq": 2})
    await room.clock.advance(0)
    state = room.state
    assert state.members_as_of_ms is not None
    bob = next(m for m in state.members if m.user_id == "bob")
    assert bob.sync is SyncStatus.SYNCED and bob.is_playing
    as_of_ms = room.clock.monotonic_ms() - (room.clock.wall_ms() - state.members_as_of_ms)
    on_the_new_line = 30.0 + (as_of_ms - (start_ms + 400)) / 1000
    assert bob.position_at(state.members_as_of_ms) == pytest.approx(on_the_new_line, abs=0.01)
    await room.stop()
