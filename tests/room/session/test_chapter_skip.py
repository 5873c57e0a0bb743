"""The host's chapter keys go to the room as seeks, on a fake clock and link."""

from __future__ import annotations

import pytest

from room.chapters import Chapter
from room.intents import SkipChapter, UndoSeek
from room.session import MediaInfo
from tests.room.session.fakes import Room, member, paused_at, playing_at, presence

CHAPTERS = (Chapter(0.0, "Opening"), Chapter(9.0, "Part one"), Chapter(36.0, "\x1b[2J[b]Two"))
MEDIA = MediaInfo("film", 90.0, None, CHAPTERS)


async def room_as(user_id: str, *, host: str, media: MediaInfo = MEDIA) -> Room:
    room = Room(user_id)
    await room.start()
    others = [member(host, is_host=True, host_since=1)]
    if user_id != host:
        others.append(member(user_id))
    room.session.on_presence(presence(*others))
    room.session.on_player_sample(paused_at(12.0, room.clock), media)
    await room.clock.advance(0)
    return room


async def test_the_hosts_next_chapter_is_a_seek_anchor_to_its_start_and_undo_goes_back() -> None:
    room = await room_as("host", host="host")
    await room.session.submit(SkipChapter(1))
    await room.clock.advance(0)
    seek = room.link.events("seek")[-1]
    assert seek["current_time"] == 36.0
    assert seek["seq"] is not None, "an anchor, as any host seek"
    assert room.player.did("seek") == [36.0]
    # The file's title without its escapes; markup shows as typed (notices are plain text).
    assert room.notices[-1] == "Chapter 3/3: [b]Two"

    room.session.on_player_sample(paused_at(36.0, room.clock), MEDIA)
    await room.session.submit(UndoSeek())
    await room.clock.advance(0)
    assert room.link.events("seek")[-1]["current_time"] == 12.0
    assert room.link.events("seek")[-1]["undo"] is True
    await room.stop()


async def test_previous_chapter_goes_back_by_mpvs_threshold() -> None:
    room = await room_as("host", host="host")  # 3 s into "Part one"
    await room.session.submit(SkipChapter(-1))
    await room.clock.advance(0)
    assert room.link.events("seek")[-1]["current_time"] == 0.0
    assert room.notices[-1] == "Chapter 1/3: Opening"
    await room.stop()


async def test_while_playing_the_room_parks_on_the_chapter_and_starts_together() -> None:
    room = await room_as("host", host="host")
    room.session.on_player_sample(playing_at(20.0, room.clock), MEDIA)
    await room.session.submit(SkipChapter(1))
    await room.clock.advance(0)
    seek = room.link.events("seek")[-1]
    assert seek["current_time"] == 36.0 and seek["is_playing"] is True
    await room.stop()


async def test_past_the_last_chapter_nothing_is_sent() -> None:
    room = await room_as("host", host="host")
    room.session.on_player_sample(paused_at(50.0, room.clock), MEDIA)
    sent_before = len(room.link.sent)
    await room.session.submit(SkipChapter(1))
    await room.clock.advance(0)
    assert room.link.events("seek") == []
    assert all(event != "seek" for event, _ in room.link.sent[sent_before:])
    assert room.notices[-1] == "This is the last chapter."
    await room.stop()


@pytest.mark.parametrize("direction", [1, -1])
async def test_no_chapters_is_said_and_nothing_sent(direction: int) -> None:
    room = await room_as("host", host="host", media=MediaInfo("film", 90.0))
    await room.session.submit(SkipChapter(direction))
    await room.clock.advance(0)
    assert room.link.events("seek") == []
    assert room.player.did("seek") == []
    assert room.notices[-1] == "This media has no chapters."
    await room.stop()


async def test_a_follower_is_refused_like_any_other_host_action() -> None:
    room = await room_as("me", host="ann")
    await room.session.submit(SkipChapter(1))
    await room.clock.advance(3.0)  # notices go out one a second
    assert room.link.events("seek") == []
    assert room.player.did("seek") == []
    assert "ANN is the host and controls playback. Press h to ask for the role." in room.notices
    await room.stop()


async def test_in_a_room_without_a_host_anyone_skips_as_they_seek() -> None:
    room = Room("me")
    await room.start()
    room.session.on_presence(presence(member("me"), member("ann")))
    room.session.on_player_sample(paused_at(12.0, room.clock), MEDIA)
    await room.clock.advance(0)
    await room.session.submit(SkipChapter(1))
    await room.clock.advance(0)
    assert room.player.did("seek") == [36.0]
    seek = room.link.events("seek")[-1]
    assert seek["current_time"] == 36.0 and "seq" not in seek  # the web client's plain seek
    await room.stop()
