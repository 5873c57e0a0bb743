from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from room.intents import (
    ClaimHost,
    HandOverHost,
    PostComment,
    RequestHost,
    SeekBy,
    TogglePlay,
    refusal,
)
from room.state import COMMENT_WINDOW, Comment, Connection, ConnectionStatus, Member, threaded
from tests.rooms import busy_room, empty_room

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def comment(comment_id: str, parent_id: str | None = None) -> Comment:
    return Comment(comment_id, "u", "user", f"message {comment_id}", NOW, parent_id=parent_id)


def test_with_member_adds_then_replaces_in_place() -> None:
    room = empty_room()
    room = room.with_member(Member("u-bob", "bob"))
    room = room.with_member(Member("u-bob", "bob", is_playing=True))
    assert [m.user_id for m in room.members] == ["u-self", "u-bob"]
    assert room.member("u-bob") == Member("u-bob", "bob", is_playing=True)
    assert room.without_member("u-bob").member("u-bob") is None


def test_comment_window_is_bounded_and_deduplicated() -> None:
    room = empty_room()
    for number in range(COMMENT_WINDOW + 50):
        room = room.with_comment(comment(str(number)))
    room = room.with_comment(comment(str(COMMENT_WINDOW + 49)))  # the same id again
    assert len(room.comments) == COMMENT_WINDOW
    assert room.comments[0].id == "50"
    assert room.comments[-1].id == str(COMMENT_WINDOW + 49)


def test_threads_put_replies_under_their_parent() -> None:
    comments = (
        comment("a"),
        comment("b"),
        comment("a1", "a"),
        comment("a1x", "a1"),
        comment("o", "gone"),
    )
    assert [(c.id, depth) for c, depth in threaded(comments)] == [
        ("a", 0),
        ("a1", 1),
        ("a1x", 2),
        ("b", 0),
        ("o", 0),
    ]


def test_threads_survive_reply_cycles() -> None:
    comments = (comment("x", "y"), comment("y", "x"), comment("z"))
    assert [c.id for c, _ in threaded(comments)] == ["z"]  # an unreachable cycle is not looped


def test_host_rules() -> None:
    follower = busy_room()
    assert refusal(follower, TogglePlay()) == (
        "alice is the host and controls playback. Press h to ask for the role."
    )
    assert refusal(follower, ClaimHost()) is not None
    assert refusal(follower, RequestHost()) is None
    assert refusal(follower, HandOverHost("u-bob")) == "Only the host can hand the host role over."
    host = busy_room(self_is_host=True)
    assert refusal(host, SeekBy(5)) is None
    assert refusal(host, HandOverHost("u-bob")) is None
    assert refusal(host, HandOverHost("u-self")) is not None
    assert refusal(host, HandOverHost("u-nobody")) is not None
    no_host = empty_room()
    assert refusal(no_host, TogglePlay()) is None
    assert refusal(no_host, ClaimHost()) is None


def test_room_actions_wait_for_a_connection_but_comments_do_not() -> None:
    offline = replace(
        busy_room(self_is_host=True), connection=Connection(ConnectionStatus.RECONNECTING)
    )
    for intent in (TogglePlay(), ClaimHost()):
        assert refusal(offline, intent) == "Not connected to the room: try again once connected."
    assert refusal(offline, PostComment("hi")) is None  # it waits in the outbox
    assert refusal(offline, PostComment("  ")) == "The comment is empty."


def test_empty_comment_is_refused() -> None:
    assert refusal(busy_room(), PostComment("   ")) == "The comment is empty."
