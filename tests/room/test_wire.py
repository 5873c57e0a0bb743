"""Payloads from the network: good ones become models, bad ones are dropped and logged."""

from __future__ import annotations

import logging
import math

import pytest

from room.sync.anchor import Anchor
from room.wire import (
    MAX_COMMENT_CHARS,
    MAX_MEDIA_SECONDS,
    CommentRow,
    HeartbeatEvent,
    PlaybackEvent,
    parse_broadcast,
)

WEB_PLAY = {"user_id": "user456", "username": "Viewer123", "current_time": 123.45}


def test_web_client_payloads_parse() -> None:
    event = parse_broadcast("play", WEB_PLAY)
    assert event == PlaybackEvent(user_id="user456", username="Viewer123", current_time=123.45)
    heartbeat = parse_broadcast("heartbeat", {"user_id": "u", "is_synced": False})
    assert isinstance(heartbeat, HeartbeatEvent)
    assert heartbeat.is_synced is False
    comment = parse_broadcast(
        "new_comment",
        {
            "id": "uuid",
            "anime_id": "aot-1",
            "room_id": "abc",
            "episode_number": 1,
            "parent_id": None,
            "user_id": "user456",
            "username": "Viewer123",
            "avatar_url": "https://example.com/a.jpg",
            "message": "This opening is amazing!",
            "video_timestamp": 120.5,
            "is_anchor": False,
            "is_system_message": False,
            "created_at": "2024-01-01T12:00:00Z",
        },
    )
    assert isinstance(comment, CommentRow)
    assert comment.video_timestamp == 120.5


@pytest.mark.parametrize(
    "payload",
    [
        {**WEB_PLAY, "current_time": float("nan")},
        {**WEB_PLAY, "current_time": float("inf")},
        {**WEB_PLAY, "current_time": -1},
        {**WEB_PLAY, "current_time": True},
        {**WEB_PLAY, "current_time": "soon"},
        {**WEB_PLAY, "current_time": None},
        {"username": "x", "current_time": 1},
        {**WEB_PLAY, "user_id": ""},
        {**WEB_PLAY, "user_id": "u" * 1000},
        {**WEB_PLAY, "user_id": 42},
        [1, 2, 3],
        "play",
        None,
    ],
)
def test_bad_playback_payloads_are_dropped_with_a_reason(
    payload: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="room.wire"):
        assert parse_broadcast("seek", payload) is None
    assert "dropped 'seek' broadcast" in caplog.text


def test_huge_times_are_clamped_and_huge_texts_are_cut_not_dropped() -> None:
    event = parse_broadcast("seek", {**WEB_PLAY, "current_time": 1e300, "username": "n" * 10_000})
    assert isinstance(event, PlaybackEvent)
    assert event.current_time == MAX_MEDIA_SECONDS
    assert len(event.username) == 64
    comment = parse_broadcast("new_comment", {"id": "1", "user_id": "u", "message": "m" * 100_000})
    assert isinstance(comment, CommentRow)
    assert len(comment.message) == MAX_COMMENT_CHARS


def test_unknown_events_are_ignored_quietly(caplog: pytest.LogCaptureFixture) -> None:
    assert parse_broadcast("whatever", {"a": 1}) is None
    assert caplog.text == ""


def test_playback_events_carry_the_hosts_anchor_and_browsers_commands_carry_none() -> None:
    plain = parse_broadcast("play", {"user_id": "u", "username": "A", "current_time": 3})
    assert isinstance(plain, PlaybackEvent)
    assert plain.anchor() is None
    anchor = Anchor(is_playing=True, current_time=3, at=99, seq=2, rate=1.5)
    ours = parse_broadcast("sync_anchor", {"user_id": "u", "username": "A", **anchor.model_dump()})
    assert isinstance(ours, PlaybackEvent)
    assert ours.anchor() == anchor


def test_an_anchor_at_an_infinite_time_is_dropped_whole() -> None:
    payload = {"user_id": "u", "current_time": 3, "is_playing": True, "at": math.inf, "seq": 1}
    assert parse_broadcast("play", payload) is None
