"""Members comment as themselves, once per comment id, and nobody edits the feed."""

from __future__ import annotations

import uuid

from tests.supabase.dbkit import Db


def test_a_member_comments_and_the_room_reads_it(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", bob, "Bob")
    [stored] = db.comment(alice, "hello")
    assert isinstance(stored["seq"], int)
    db.as_user(bob)
    assert db.rows("select message from comments") == [{"message": "hello"}]


def test_a_retried_comment_is_stored_once(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    comment_id = str(uuid.uuid4())
    first = db.comment(alice, "once", comment_id=comment_id)
    again = db.comment(alice, "once", comment_id=comment_id)
    assert len(first) == 1
    assert again == []
    assert db.rows("select id from comments") == [{"id": uuid.UUID(comment_id)}]


def test_seq_increases_and_pages_back(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    for message in ["one", "two", "three"]:
        db.comment(alice, message)
    db.as_user(alice)
    newest = db.rows("select seq, message from comments order by seq desc limit 2")
    assert [row["message"] for row in newest] == ["three", "two"]
    older = db.rows(
        "select message from comments where room_id = 'room-a' and seq < %s"
        " order by seq desc limit 2",
        [newest[-1]["seq"]],
    )
    assert older == [{"message": "one"}]


def test_nobody_comments_as_someone_else(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-a", bob, "Bob")
    db.as_user(bob)
    with db.refused():
        db.rows(
            "insert into comments (room_id, user_id, username, message)"
            " values ('room-a', %s, 'Alice', 'forged')",
            [alice],
        )


def test_only_members_comment(db: Db, alice: str, carol: str) -> None:
    db.join("room-a", alice, "Alice")
    with db.refused():
        db.comment(carol, "let me in")
    # Also without the select check that on conflict and returning bring along.
    db.as_user(carol)
    with db.refused():
        db.rows(
            "insert into comments (room_id, user_id, username, message)"
            " values ('room-a', %s, 'Carol', 'let me in')",
            [carol],
        )


def test_members_do_not_read_other_rooms_comments(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice")
    db.join("room-b", bob, "Bob")
    db.comment(alice, "in a", room_id="room-a")
    db.comment(bob, "in b", room_id="room-b")
    db.as_user(bob)
    assert db.rows("select message from comments") == [{"message": "in b"}]


def test_clients_do_not_choose_seq(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    # An identity column "generated always" refuses a value; one that overrides it lacks the
    # privilege: clients may insert every column but seq.
    for clause, sqlstate in [("", "428C9"), ("overriding system value", "42501")]:
        db.as_user(alice)
        with db.refused(sqlstate):
            db.rows(
                "insert into comments (room_id, user_id, username, message, seq)"
                f" {clause} values ('room-a', %s, 'Alice', 'first!', 1)",
                [alice],
            )


def test_comments_are_neither_edited_nor_deleted(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.comment(alice, "permanent")
    db.as_user(alice)
    with db.refused():
        db.rows("update comments set message = 'edited'")
    with db.refused():
        db.rows("delete from comments")


def test_only_the_host_posts_system_messages(db: Db, alice: str, bob: str) -> None:
    db.join("room-a", alice, "Alice", host=True)
    db.join("room-a", bob, "Bob")
    with db.refused():
        db.comment(bob, "Alice left the room", system=True)
    assert len(db.comment(alice, "Bob was made host", system=True)) == 1
