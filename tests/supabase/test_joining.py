"""Getting into a room, and seeing only the rooms you are in."""

from __future__ import annotations

import pytest

from tests.supabase.dbkit import Db


def test_a_newcomer_creates_the_room_joins_and_reads_it(db: Db, alice: str) -> None:
    db.as_user(alice)
    # The join as the Data API runs it (upsert ignoring duplicates, representation returned).
    created = db.rows(
        "insert into rooms (room_id) values ('room-a')"
        " on conflict (room_id) do nothing returning room_id, host_user_id"
    )
    assert created == [{"room_id": "room-a", "host_user_id": None}]
    db.as_user(alice)
    [member] = db.rows(
        "insert into room_members (room_id, user_id, username) values ('room-a', %s, 'Alice')"
        " on conflict (room_id, user_id) do update set username = excluded.username"
        " returning user_id, username",
        [alice],
    )
    assert member == {"user_id": alice, "username": "Alice"}
    db.as_user(alice)
    assert db.rows("select room_id from rooms where room_id = 'room-a'") == [{"room_id": "room-a"}]
    assert db.rows("select user_id from room_members") == [{"user_id": alice}]


def test_joining_an_existing_room_leaves_it_as_it_was(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.as_user(bob)
    ignored = db.rows(
        "insert into rooms (room_id) values ('room-a')"
        " on conflict (room_id) do nothing returning room_id"
    )
    assert ignored == []
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    assert db.rows("select host_user_id from rooms") == [{"host_user_id": alice}]
    assert sorted(row["username"] for row in db.rows("select username from room_members")) == [
        "Alice",
        "Bob",
    ]


def test_a_room_is_created_hostless_or_hosted_by_its_creator(db: Db, alice: str, bob: str) -> None:
    db.as_user(alice)
    db.rows("insert into rooms (room_id, host_user_id) values ('room-a', %s)", [alice])
    with db.refused():
        db.rows("insert into rooms (room_id, host_user_id) values ('room-b', %s)", [bob])


def test_rooms_cannot_be_listed(db: Db, alice: str, bob: str, carol: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-b", bob, "Bob")
    db.as_user(carol)
    assert db.rows("select room_id from rooms") == []
    assert db.rows("select user_id from room_members") == []
    db.as_user(alice)
    assert db.rows("select room_id from rooms") == [{"room_id": "room-a"}]
    assert db.rows("select user_id from room_members") == [{"user_id": alice}]


def test_naming_a_room_reveals_only_that_room(db: Db, alice: str, carol: str) -> None:
    """The join's upsert lets its caller see the room they name, for that request only."""
    db.join("room-a", alice, "Alice")
    db.join("room-b", alice, "Alice")
    db.as_user(carol)
    db.rows("insert into rooms (room_id) values ('room-a') on conflict (room_id) do nothing")
    assert [row["room_id"] for row in db.rows("select room_id from rooms")] == ["room-a"]
    db.as_user(carol)
    assert db.rows("select room_id from rooms") == []


def test_a_member_who_left_no_longer_reads_the_room(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.comment(alice, "hi")
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    assert db.changed("delete from room_members where user_id = %s", [bob]) == 1
    assert db.rows("select from rooms") == []
    assert db.rows("select from room_members") == []
    assert db.rows("select from comments") == []


def test_members_cannot_delete_rooms(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    with db.refused():
        db.rows("delete from rooms where room_id = 'room-a'")


ANON_STATEMENTS = {
    "read rooms": "select * from rooms",
    "read members": "select * from room_members",
    "read comments": "select * from comments",
    "create a room": "insert into rooms (room_id) values ('room-b')",
    "update a room": "update rooms set is_playing = true",
    "join": "insert into room_members (room_id, user_id, username) values ('room-a', 'x', 'X')",
    "remove members": "delete from room_members",
    "comment": "insert into comments (room_id, user_id, username, message)"
    " values ('room-a', 'x', 'X', 'hi')",
}


@pytest.mark.parametrize("statement", ANON_STATEMENTS.values(), ids=ANON_STATEMENTS.keys())
def test_anon_can_do_nothing(db: Db, alice: str, statement: str) -> None:
    """A request with only the anon key, nobody signed in."""
    db.join("room-a", alice, "Alice", host=True)
    db.as_anon()
    with db.refused():
        db.rows(statement)
