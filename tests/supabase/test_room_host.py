"""Only the host writes the room row; the role is handed over, claimed when free, and taken
over when the host is gone."""

from __future__ import annotations

from tests.supabase.dbkit import Db

PLAY = (
    'update rooms set is_playing = true, "current_time" = 12.0, updated_at = now()'
    " where room_id = 'room-a'"
)
SET_HOST = "update rooms set host_user_id = %s where room_id = 'room-a'"


def host_of_room_a(db: Db) -> str | None:
    db.as_owner()
    [room] = db.rows("select host_user_id from rooms where room_id = 'room-a'")
    return room["host_user_id"]  # type: ignore[no-any-return]


def test_the_host_writes_the_room_and_members_read_it(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    db.as_user(alice)
    assert db.changed(PLAY) == 1
    db.as_user(bob)
    assert db.rows('select is_playing, "current_time" from rooms') == [
        {"is_playing": True, "current_time": 12.0}
    ]


def test_a_member_who_is_not_the_host_cannot_write_the_room(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    assert db.changed(PLAY) == 0
    db.as_user(bob)
    assert db.changed(SET_HOST, [bob]) == 0
    assert host_of_room_a(db) == alice


def test_the_host_hands_over_to_a_member(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    db.as_user(alice)
    assert db.changed(SET_HOST, [bob]) == 1
    db.as_user(alice)
    assert db.changed(PLAY) == 0
    db.as_user(bob)
    assert db.changed(PLAY) == 1
    assert host_of_room_a(db) == bob


def test_the_role_goes_only_to_a_member(db: Db, alice: str, carol: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.as_user(alice)
    with db.refused():
        db.rows(SET_HOST, [carol])


def test_the_host_gives_the_role_up(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    db.as_user(alice)
    assert db.changed(SET_HOST, [None]) == 1
    # A room without a host is anyone's to drive, as in the web client.
    db.as_user(bob)
    assert db.changed(PLAY) == 1
    assert host_of_room_a(db) is None


def test_a_member_claims_a_room_without_a_host(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    assert db.changed(SET_HOST, [bob]) == 1
    assert host_of_room_a(db) == bob


def test_a_member_takes_over_from_a_host_who_stopped_writing(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    # Two missed 30 s row updates: the host may still be there.
    db.silence("room-a", alice, seconds=60)
    db.as_user(bob)
    assert db.changed(SET_HOST, [bob]) == 0
    db.silence("room-a", alice, seconds=120)
    db.as_user(bob)
    assert db.changed(SET_HOST, [bob]) == 1
    assert host_of_room_a(db) == bob


def test_a_member_takes_over_from_a_host_who_left(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    db.as_user(alice)
    db.rows("delete from room_members where user_id = %s", [alice])
    db.as_user(bob)
    assert db.changed(SET_HOST, [bob]) == 1
    assert host_of_room_a(db) == bob


def test_outsiders_cannot_write_a_room(db: Db, alice: str, carol: str) -> None:
    db.join("room-a", alice, "Alice")
    db.silence("room-a", alice, seconds=600)
    db.as_user(carol)
    assert db.changed(PLAY) == 0
    db.as_user(carol)
    assert db.changed(SET_HOST, [carol]) == 0


def test_a_room_keeps_its_id(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.as_user(alice)
    with db.refused():
        db.rows("update rooms set room_id = 'room-z' where room_id = 'room-a'")
