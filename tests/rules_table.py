"""The room's rules as one table, run against both backends so that they cannot drift apart:
the hub (tests/hub/test_hub_rules.py, through supabase-py signed in with the hub's tokens)
and the migrations on a real PostgreSQL (tests/supabase/test_rules_table.py, as PostgREST
runs a request: role and JWT claims).

Every case starts from the same room state (`ROOMS`, `MEMBERS`, `COMMENTS`): alice hosts
room-a, bob is a member of it, carol is in room-b only. A case is one statement by one actor
and what must come of it: how many rows it returned or changed (the rules hide rows without
an error), or `REFUSED` (SQLSTATE 42501, HTTP 401 for anon, 403 for a signed-in user).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
CAROL = "ca201000-0000-4000-8000-000000000003"
ANON = "anon"
Actor = str

COMMENT_ID = "c0000000-0000-4000-8000-0000000000c1"

ROOMS = [
    {"room_id": "room-a", "host_user_id": ALICE},
    {"room_id": "room-b", "host_user_id": CAROL},
]
MEMBERS = [
    {"room_id": "room-a", "user_id": ALICE, "username": "Alice", "is_host": True},
    {"room_id": "room-a", "user_id": BOB, "username": "Bob"},
    {"room_id": "room-b", "user_id": CAROL, "username": "Carol", "is_host": True},
]
COMMENTS = [
    {
        "id": COMMENT_ID,
        "room_id": "room-a",
        "user_id": ALICE,
        "username": "Alice",
        "message": "hello",
    }
]

ITEM_ID = "9e000000-0000-4000-8000-0000000000e1"
QUEUE = [
    {
        "id": ITEM_ID,
        "room_id": "room-a",
        "position": 1.0,
        "source": "https://example.com/ep1.mkv",
        "added_by": ALICE,
    }
]

SEED = (("rooms", ROOMS), ("room_members", MEMBERS), ("comments", COMMENTS), ("queue_items", QUEUE))
"""Every case's starting rows, table by table in the order they can be inserted."""

REFUSED = "refused"
Outcome = int | Literal["refused"]
Verb = Literal["select", "insert", "upsert", "update", "delete", "rpc"]


@dataclass(frozen=True)
class Op:
    verb: Verb
    table: str
    match: dict[str, Any] = field(default_factory=dict)
    """Equality filters (select, update, delete)."""
    values: dict[str, Any] = field(default_factory=dict)
    """The row (insert, upsert), the new values (update) or the arguments (rpc)."""
    conflict: tuple[str, ...] = ()
    ignore_duplicates: bool = False


@dataclass(frozen=True)
class Case:
    name: str
    actor: Actor
    op: Op
    expected: Outcome
    host_silent: bool = False
    """Alice's member row was last written more than 90 s ago (she is gone)."""


def _comment(user_id: str, *, system: bool = False, room_id: str = "room-a") -> dict[str, Any]:
    return {
        "id": "c0000000-0000-4000-8000-0000000000c2",
        "room_id": room_id,
        "user_id": user_id,
        "username": "Someone",
        "message": "hi",
        "is_system_message": system,
    }


def _item(room_id: str = "room-a", added_by: str = ALICE) -> dict[str, Any]:
    return {
        "id": "9e000000-0000-4000-8000-0000000000e2",
        "room_id": room_id,
        "position": 2.0,
        "source": "/srv/ep2.mkv",
        "added_by": added_by,
    }


def _broadcast(room_id: str, user_id: str) -> dict[str, Any]:
    return {
        "p_room_id": room_id,
        "p_event_type": "play",
        "p_payload": {"user_id": user_id, "current_time": 1.0},
    }


ROOM_A = {"room_id": "room-a"}
PLAY = {"is_playing": True, "current_time": 12.0}

CASES = [
    # --- nobody lists rooms; members read only their own room ------------------------------
    Case("a member lists rooms: only its own", BOB, Op("select", "rooms"), 1),
    Case("an outsider reads a room by id: nothing", CAROL, Op("select", "rooms", ROOM_A), 0),
    Case("the anon key alone reads nothing", ANON, Op("select", "rooms"), REFUSED),
    Case("a member reads its room's members", BOB, Op("select", "room_members", ROOM_A), 2),
    Case("an outsider reads no members", CAROL, Op("select", "room_members", ROOM_A), 0),
    Case("a member reads its room's comments", BOB, Op("select", "comments", ROOM_A), 1),
    Case("an outsider reads no comments", CAROL, Op("select", "comments", ROOM_A), 0),
    # --- only the host updates the room -------------------------------------------------------
    Case(
        "a member makes itself host: nothing changes",
        BOB,
        Op("update", "rooms", ROOM_A, {"host_user_id": BOB}),
        0,
    ),
    Case("a member plays the room: nothing changes", BOB, Op("update", "rooms", ROOM_A, PLAY), 0),
    Case("the host plays the room", ALICE, Op("update", "rooms", ROOM_A, PLAY), 1),
    Case(
        "the host hands over to a member",
        ALICE,
        Op("update", "rooms", ROOM_A, {"host_user_id": BOB}),
        1,
    ),
    Case(
        "the host hands over to an outsider: refused",
        ALICE,
        Op("update", "rooms", ROOM_A, {"host_user_id": CAROL}),
        REFUSED,
    ),
    Case("an outsider plays the room", CAROL, Op("update", "rooms", ROOM_A, PLAY), 0),
    Case(
        "a member takes over from a silent host",
        BOB,
        Op("update", "rooms", ROOM_A, {"host_user_id": BOB}),
        1,
        host_silent=True,
    ),
    Case(
        "anyone signed in creates a room",
        BOB,
        Op(
            "upsert",
            "rooms",
            values={"room_id": "room-c"},
            conflict=("room_id",),
            ignore_duplicates=True,
        ),
        1,
    ),
    Case(
        "nobody creates a room hosted by someone else",
        BOB,
        Op("insert", "rooms", values={"room_id": "room-c", "host_user_id": ALICE}),
        REFUSED,
    ),
    Case(
        "joining an existing room changes nothing of it",
        CAROL,
        Op(
            "upsert",
            "rooms",
            values={"room_id": "room-a"},
            conflict=("room_id",),
            ignore_duplicates=True,
        ),
        0,
    ),
    # --- each member writes only its own member row --------------------------------------------
    Case(
        "a member deletes another's row: nothing changes",
        BOB,
        Op("delete", "room_members", {"room_id": "room-a", "user_id": ALICE}),
        0,
    ),
    Case(
        "a member renames another: nothing changes",
        BOB,
        Op("update", "room_members", {"room_id": "room-a", "user_id": ALICE}, {"username": "x"}),
        0,
    ),
    Case(
        "a member leaves (deletes its own row)",
        BOB,
        Op("delete", "room_members", {"room_id": "room-a", "user_id": BOB}),
        1,
    ),
    Case(
        "a member adds a row for someone else: refused",
        BOB,
        Op(
            "insert",
            "room_members",
            values={"room_id": "room-b", "user_id": ALICE, "username": "Alice"},
        ),
        REFUSED,
    ),
    Case(
        "a member gives its row to someone else: refused",
        BOB,
        Op("update", "room_members", {"room_id": "room-a", "user_id": BOB}, {"user_id": CAROL}),
        REFUSED,
    ),
    Case(
        "a member rewrites its own row (the app's upsert)",
        BOB,
        Op(
            "upsert",
            "room_members",
            values={"room_id": "room-a", "user_id": BOB, "username": "Bobby"},
            conflict=("room_id", "user_id"),
        ),
        1,
    ),
    Case(
        "an upsert over another's row: refused",
        CAROL,
        Op(
            "upsert",
            "room_members",
            values={"room_id": "room-a", "user_id": BOB, "username": "Bobby"},
            conflict=("room_id", "user_id"),
        ),
        REFUSED,
    ),
    # --- comments: as yourself, in your room; system messages from the host; never edited -----
    Case(
        "a member comments as another: refused",
        BOB,
        Op("insert", "comments", values=_comment(ALICE)),
        REFUSED,
    ),
    Case("a member comments as itself", BOB, Op("insert", "comments", values=_comment(BOB)), 1),
    Case(
        "a member posts a system message: refused",
        BOB,
        Op("insert", "comments", values=_comment(BOB, system=True)),
        REFUSED,
    ),
    Case(
        "the host posts a system message",
        ALICE,
        Op("insert", "comments", values=_comment(ALICE, system=True)),
        1,
    ),
    Case(
        "an outsider comments in the room: refused",
        CAROL,
        Op("insert", "comments", values=_comment(CAROL)),
        REFUSED,
    ),
    Case(
        "nobody edits a comment",
        ALICE,
        Op("update", "comments", {"id": COMMENT_ID}, {"message": "edited"}),
        REFUSED,
    ),
    Case("nobody deletes a comment", ALICE, Op("delete", "comments", {"id": COMMENT_ID}), REFUSED),
    # --- the queue: members read it, only the host writes it ---------------------------------
    Case("a member reads its room's queue", BOB, Op("select", "queue_items", ROOM_A), 1),
    Case("an outsider reads no queue", CAROL, Op("select", "queue_items", ROOM_A), 0),
    Case("the anon key alone reads no queue", ANON, Op("select", "queue_items"), REFUSED),
    Case("the host adds to the queue", ALICE, Op("insert", "queue_items", values=_item()), 1),
    Case(
        "a member adds to the queue: refused",
        BOB,
        Op("insert", "queue_items", values=_item(added_by=BOB)),
        REFUSED,
    ),
    Case(
        "an outsider adds to the room's queue: refused",
        CAROL,
        Op("insert", "queue_items", values=_item(added_by=CAROL)),
        REFUSED,
    ),
    Case(
        "the host moves an item",
        ALICE,
        Op("update", "queue_items", {"id": ITEM_ID}, {"position": 5.0}),
        1,
    ),
    Case(
        "a member moves an item: nothing changes",
        BOB,
        Op("update", "queue_items", {"id": ITEM_ID}, {"position": 5.0}),
        0,
    ),
    Case(
        "the host moves an item into another room: refused",
        ALICE,
        Op("update", "queue_items", {"id": ITEM_ID}, {"room_id": "room-b"}),
        REFUSED,
    ),
    Case("the host removes an item", ALICE, Op("delete", "queue_items", {"id": ITEM_ID}), 1),
    Case(
        "a member removes an item: nothing changes",
        BOB,
        Op("delete", "queue_items", {"id": ITEM_ID}),
        0,
    ),
    Case(
        "the host names the room's current item",
        ALICE,
        Op("update", "rooms", ROOM_A, {"current_item_id": ITEM_ID}),
        1,
    ),
    Case(
        "a member names the room's current item: nothing changes",
        BOB,
        Op("update", "rooms", ROOM_A, {"current_item_id": ITEM_ID}),
        0,
    ),
    Case(
        "a member comments on an item",
        BOB,
        Op("insert", "comments", values={**_comment(BOB), "item_id": ITEM_ID}),
        1,
    ),
    # --- broadcast_room_event: members only, as themselves -------------------------------------
    Case(
        "a member broadcasts to its room",
        BOB,
        Op("rpc", "broadcast_room_event", values=_broadcast("room-a", BOB)),
        1,
    ),
    Case(
        "an outsider broadcasts to the room: refused",
        CAROL,
        Op("rpc", "broadcast_room_event", values=_broadcast("room-a", CAROL)),
        REFUSED,
    ),
    Case(
        "a member broadcasts as another: refused",
        BOB,
        Op("rpc", "broadcast_room_event", values=_broadcast("room-a", ALICE)),
        REFUSED,
    ),
]

CASE_IDS = [case.name for case in CASES]
