"""A follower's side of playback: the host's commands, browsers' commands, rooms rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from room.intents import SeekBy, TogglePlay
from room.session.following import web_command_anchor
from room.sync.anchor import Anchor
from tests.room.session.fakes import Room, member, paused_at, playing_at, presence


@pytest.mark.parametrize(
    ("event", "following", "playing", "seq"),
    [
        ("play", None, True, 0),
        ("pause", None, False, 0),
        ("seek", None, False, 0),
        ("seek", Anchor(is_playing=True, current_time=1, at=0, seq=7), True, 8),
        ("seek", Anchor(is_playing=False, current_time=1, at=0, seq=7), False, 8),
        ("pause", Anchor(is_playing=True, current_time=1, at=0, seq=7), False, 8),
    ],
)
def test_a_browsers_command_becomes_the_next_anchor(
    event: str, following: Anchor | None, playing: bool, seq: int
) -> None:
    anchor = web_command_anchor(event, 42.0, following, host_now_ms=5000.0)
    assert anchor == Anchor(is_playing=playing, current_time=42.0, at=5000.0, seq=seq)


async def following_room() -> Room:
    room = Room("f")
    await room.start()
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    room.session.on_player_sample(paused_at(0.0, room.clock))
    await room.clock.advance(0)
    return room


async def test_a_browser_hosts_play_moves_the_player_to_its_position_and_plays() -> None:
    room = await following_room()
    room.session.on_broadcast("play", {"user_id": "host", "username": "H", "current_time": 30.0})
    await room.clock.advance(1.0)
    lead_s = room.session.playback.follower.seek_lead_ms / 1000
    assert room.player.did("seek") == [pytest.approx(30.0 + lead_s)], "aimed past the seek time"
    assert room.player.did("play")
    assert "H resumed playback" in room.notices
    await room.stop()


async def test_commands_from_a_member_who_is_not_the_host_are_ignored() -> None:
    room = await following_room()
    room.session.on_broadcast("seek", {"user_id": "mallory", "current_time": 99.0})
    room.session.on_broadcast("play", {"user_id": "f", "current_time": 99.0})  # our own echo
    await room.clock.advance(1.0)
    assert room.player.commands == []
    await room.stop()


async def test_the_rooms_row_written_for_a_broadcast_does_not_move_the_player_again() -> None:
    room = await following_room()
    sent_at = room.clock.wall_ms()
    room.session.on_broadcast(
        "seek",
        {
            "user_id": "host",
            "current_time": 30.0,
            "is_playing": False,
            "at": 0,
            "seq": 3,
            "sent_at": sent_at,
        },
    )
    await room.clock.advance(1.0)
    moved = list(room.player.commands)
    assert moved, "the broadcast moved the player"
    row = {
        "room_id": "r1",
        "host_user_id": "host",
        "current_time": 31.0,
        "is_playing": True,
        "updated_at": datetime.fromtimestamp(sent_at / 1000, UTC).isoformat(),
    }
    room.session.on_postgres_change({"data": {"table": "rooms", "type": "UPDATE", "record": row}})
    await room.clock.advance(1.0)
    assert room.player.commands == moved, "the row repeats the broadcast: nothing more"
    newer = {**row, "updated_at": datetime.fromtimestamp(sent_at / 1000 + 5, UTC).isoformat()}
    room.session.on_postgres_change({"data": {"table": "rooms", "type": "UPDATE", "record": newer}})
    await room.clock.advance(1.0)
    lead_s = room.session.playback.follower.seek_lead_ms / 1000
    assert room.player.did("seek")[-1] == pytest.approx(31.0 + lead_s), "a later row applies"
    await room.stop()


async def test_a_hosts_play_is_scheduled_ahead_and_its_own_player_starts_on_time() -> None:
    room = Room("host")
    await room.start()
    room.session.on_presence(presence(member("host", is_host=True, host_since=1)))
    room.session.on_player_sample(paused_at(12.0, room.clock))
    await room.clock.advance(0)
    pressed_ms = room.clock.monotonic_ms()
    await room.session.submit(TogglePlay())
    await room.clock.advance(0)
    [play] = room.link.events("play")
    assert play["is_playing"] is True and play["current_time"] == 12.0
    lead_ms = room.session.playback.last_start_lead_ms
    assert lead_ms == room.session.playback.settings.min_start_lead_ms, "nobody reported yet"
    assert play["at"] == pressed_ms + lead_ms
    assert room.player.did("play") == []
    await room.clock.advance(lead_ms / 1000)
    assert room.player.did("play") == [None]
    await room.stop()


async def test_a_seek_is_clamped_to_the_media() -> None:
    room = Room("solo")
    await room.start()
    room.session.on_player_sample(paused_at(3.0, room.clock))
    await room.session.submit(SeekBy(-60))
    await room.clock.advance(0)
    assert room.player.did("seek") == [0.0]
    assert room.link.events("seek")[-1]["current_time"] == 0.0, "no host: we tell the room"
    await room.stop()


async def test_the_pane_shows_a_pause_at_once_however_soon_after_the_last_redraw() -> None:
    """mpv reports nothing more while paused: a pause the pane skipped would show 'Playing'
    until the next play."""
    room = Room("solo")
    await room.start()
    room.session.on_player_sample(playing_at(10.0, room.clock))
    assert room.state.playback.is_playing
    await room.clock.advance(0.1)
    room.session.on_player_sample(paused_at(10.1, room.clock))
    assert not room.state.playback.is_playing
    await room.stop()
