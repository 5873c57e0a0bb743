"""Each member writes its own room_members row and no one else's."""

from __future__ import annotations

from tests.supabase.dbkit import Db


def test_a_member_updates_its_own_row(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_user(alice)
    changed = db.changed(
        'update room_members set is_synced = false, "current_time" = 42.5'
        " where room_id = 'room-a' and user_id = %s",
        [alice],
    )
    assert changed == 1
    assert db.rows('select is_synced, "current_time" from room_members') == [
        {"is_synced": False, "current_time": 42.5}
    ]


def test_the_join_upsert_merges_into_an_existing_row(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", alice, "Alice again")
    db.as_user(alice)
    assert db.rows("select username from room_members") == [{"username": "Alice again"}]


def test_nobody_joins_on_someone_elses_behalf(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_user(alice)
    with db.refused():
        db.rows(
            "insert into room_members (room_id, user_id, username) values ('room-a', %s, 'Bob')",
            [bob],
        )


def test_a_member_cannot_touch_another_members_row(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    rename = "update room_members set username = 'Mallory' where user_id = %s"
    assert db.changed(rename, [alice]) == 0
    assert db.changed("delete from room_members where user_id = %s", [alice]) == 0
    # The join's upsert aimed at Alice's row is refused before it reaches the conflict.
    with db.refused():
        db.rows(
            "insert into room_members (room_id, user_id, username) values ('room-a', %s, 'Mallory')"
            " on conflict (room_id, user_id) do update set username = excluded.username",
            [alice],
        )
    db.as_owner()
    assert db.rows("select username from room_members where user_id = %s", [alice]) == [
        {"username": "Alice"}
    ]


def test_a_member_cannot_hand_its_row_to_someone_else(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_user(alice)
    with db.refused():
        db.rows("update room_members set user_id = %s where user_id = %s", [bob, alice])


def test_a_member_leaves_by_deleting_its_row(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    assert db.changed("delete from room_members where user_id = %s", [bob]) == 1
    db.as_user(alice)
    assert db.rows("select user_id from room_members") == [{"user_id": alice}]


def test_last_heartbeat_is_the_servers_clock(db: Db, alice: str) -> None:
    """A client clock running fast or slow cannot make its row look fresh or stale."""
    db.join("room-a", alice, "Alice")
    for claimed in ["2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]:
        db.as_user(alice)
        db.rows("update room_members set last_heartbeat = %s where user_id = %s", [claimed, alice])
        [row] = db.rows("select last_heartbeat = now() as stamped from room_members")
        assert row["stamped"]
