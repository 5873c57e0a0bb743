"""rpc("broadcast_room_event"): a broadcast on the room's public channel, for members only."""

from __future__ import annotations

import json

import pytest

from tests.supabase.dbkit import Db

BROADCAST = "select broadcast_room_event(%s, %s, %s::jsonb)"


def sent(db: Db) -> list[dict[str, object]]:
    db.as_owner()
    return db.rows("select topic, event, payload, private, extension from realtime.messages")


def test_a_member_broadcasts_on_the_rooms_public_channel(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    payload = {"user_id": alice, "username": "Alice", "current_time": 12.5}
    db.as_user(alice)
    db.rows(BROADCAST, ["room-a", "pause", json.dumps(payload)])
    assert sent(db) == [
        {
            "topic": "room:room-a",
            "event": "pause",
            "payload": payload,
            "private": False,
            "extension": "broadcast",
        }
    ]


def test_a_non_member_is_refused_with_a_reason(db: Db, alice: str, carol: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_user(carol)
    with db.refused("42501", "you are not a member of room room-a"):
        db.rows(BROADCAST, ["room-a", "play", "{}"])
    assert sent(db) == []


def test_a_member_of_another_room_is_refused(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-b", bob, "Bob")
    db.as_user(bob)
    with db.refused("42501"):
        db.rows(BROADCAST, ["room-a", "play", "{}"])
    assert sent(db) == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [("", "{}"), ("e" * 65, "{}"), (None, "{}"), ("play", "[1, 2]"), ("play", "3"), ("play", None)],
    ids=["empty event", "long event", "no event", "list payload", "number payload", "no payload"],
)
def test_bad_events_are_refused(db: Db, alice: str, event: str | None, payload: str | None) -> None:
    db.join("room-a", alice, "Alice")
    db.as_user(alice)
    with db.refused("22023"):
        db.rows(BROADCAST, ["room-a", event, payload])
    assert sent(db) == []


def test_anon_may_not_call_it(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_anon()
    with db.refused("42501", "permission denied for function broadcast_room_event"):
        db.rows(BROADCAST, ["room-a", "play", "{}"])
