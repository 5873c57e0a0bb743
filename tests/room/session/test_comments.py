"""Comments without the tables: posted by broadcast, shown once, stamped with video time."""

from __future__ import annotations

from room.intents import PostComment
from room.session.playback import MediaInfo
from room.wire import MAX_COMMENT_CHARS
from tests.room.session.fakes import Room, paused_at


async def test_a_posted_comment_is_shown_broadcast_cut_and_stamped() -> None:
    room = Room("alice")
    await room.start()
    room.session.on_player_sample(paused_at(75.5, room.clock), MediaInfo("m", 100.0))
    await room.session.submit(PostComment("  hi " + "x" * 5000))
    [sent] = room.link.events("new_comment")
    assert len(sent["message"]) == MAX_COMMENT_CHARS
    assert sent["video_timestamp"] == 75.5
    [shown] = room.state.comments
    assert shown.id == sent["id"] and shown.message.startswith("hi x")
    await room.session.submit(PostComment("later", video_timestamp=500.0))
    assert room.link.events("new_comment")[-1]["video_timestamp"] == 100.0, "clamped"
    await room.stop()


async def test_a_comment_arriving_twice_is_shown_once_and_notified_once() -> None:
    room = Room("alice")
    await room.start()
    row = {"id": "c1", "user_id": "bob", "username": "bob", "message": "wow"}
    room.session.on_broadcast("new_comment", row)
    room.session.on_postgres_change(
        {"data": {"table": "comments", "type": "INSERT", "record": {**row, "seq": 7}}}
    )
    room.session.on_broadcast("new_comment", row)  # a late duplicate broadcast
    await room.clock.advance(3.0)
    [shown] = room.state.comments
    assert shown.seq == 7, "the table's copy brings the paging cursor and keeps it"
    assert [n for n in room.notices if "wow" in n] == ["bob: wow"]
    await room.stop()


async def test_bad_payloads_change_nothing_and_raise_nothing() -> None:
    room = Room("alice")
    await room.start()
    before = room.state
    for event, payload in [
        ("new_comment", {"id": "", "user_id": "u", "message": 5}),
        ("heartbeat", "not an object"),
        ("play", {"user_id": "host", "current_time": "NaN"}),
        ("sync_pongs", {"pongs": "no"}),
        ("host_changed", {"user_id": ""}),
    ]:
        room.session.on_broadcast(event, payload)
    room.session.on_postgres_change({"data": {"table": "rooms", "type": "UPDATE", "record": 1}})
    room.session.on_postgres_change({"data": "x"})
    assert room.state.comments == before.comments and room.state.members == before.members
    assert room.player.commands == [] and room.session.host_user_id is None
    await room.stop()
