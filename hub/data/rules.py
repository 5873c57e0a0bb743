"""The room's rules: supabase/migrations/*_room_access.sql, enforced on the hub by the caller's
verified user id (the token's `sub`), as PostgreSQL's row-level security applies it there.

The same semantics, statement by statement (tests/rules_table.py drives both backends):
- Privileges first. `anon` (only the API key) has none: 42501 "permission denied for table X",
  which PostgREST answers 401 (Error.hs:589: 403 once authenticated). `authenticated` may
  select, insert and update rooms; select, insert, update and delete room_members; select and
  insert comments. Nobody updates or deletes a comment (42501, 403).
- SELECT, UPDATE and DELETE see only the rows their USING clause admits: the others are not
  an error, they are not there (an update of someone else's row changes 0 rows).
- INSERT and UPDATE check each new row against WITH CHECK: a row that fails it aborts the
  statement with 42501 'new row violates row-level security policy for table "X"'.
- queue_items: members read their room's queue; only its host inserts, updates or deletes
  (20261201150000_queue.sql, "members read the queue" / "the host writes the queue").
- `last_heartbeat` of a member row is the server's time of the write (the migration's
  stamp_heartbeat trigger), so a client clock cannot keep a vanished host alive.

The service role (the hub itself, and tests holding the secret) bypasses all of it, as
Supabase's service key does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from hub.data.errors import DataError
from hub.data.schema import Table

Role = Literal["anon", "authenticated", "service_role"]
Command = Literal["SELECT", "INSERT", "UPDATE", "DELETE"]

HOST_SILENCE = timedelta(seconds=90)
"""A host whose member row was not written for this long may be replaced (room_host_is_gone)."""

_PRIVILEGES: dict[str, frozenset[Command]] = {
    "rooms": frozenset({"SELECT", "INSERT", "UPDATE"}),
    "room_members": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
    "comments": frozenset({"SELECT", "INSERT"}),
    "queue_items": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a statement runs as: PostgREST's role and `auth.uid()`."""

    role: Role
    user_id: str | None = None

    @property
    def bypasses_rules(self) -> bool:
        return self.role == "service_role"


SERVICE = Caller("service_role")
ANON = Caller("anon")


@dataclass(frozen=True, slots=True)
class Clause:
    """A SQL condition with its parameters, usable wherever a `Filter` is (it has `sql()`)."""

    text: str
    params: tuple[Any, ...]

    def sql(self) -> tuple[str, list[Any]]:
        return self.text, list(self.params)


def _member_of(room_column: str) -> str:
    """``room_column`` names a room the caller is a member of. Uncorrelated, so SQLite runs
    the subquery once per statement rather than once per row (a page of 51 comments)."""
    return f"{room_column} IN (SELECT m.room_id FROM room_members AS m WHERE m.user_id = ?)"


def check_privilege(caller: Caller, table: Table, command: Command) -> None:
    if caller.bypasses_rules:
        return
    if caller.role == "authenticated" and command in _PRIVILEGES[table.name]:
        return
    # PostgREST: 42501 is 401 for a request without a user, 403 for one with.
    status = 403 if caller.role == "authenticated" else 401
    raise DataError(status, "42501", f"permission denied for table {table.name}")


def visible(caller: Caller, table: Table, command: Command, now: datetime) -> Clause | None:
    """The USING clause of ``command`` on ``table`` for ``caller`` (None: every row)."""
    if caller.bypasses_rules:
        return None
    uid = caller.user_id
    name = f'"{table.name}"'
    if table.name == "rooms":
        if command == "SELECT":
            member = _member_of(f"{name}.room_id")
            return Clause(f"({member} OR {name}.host_user_id = ?)", (uid, uid))
        # UPDATE: "the host updates the room" (or anyone, in a room with no host or whose host
        # is gone), and only its members.
        silent_since = stamp(now - HOST_SILENCE)
        host_gone = (
            "NOT EXISTS (SELECT 1 FROM room_members AS h WHERE h.room_id = "
            f"{name}.room_id AND h.user_id = {name}.host_user_id AND h.last_heartbeat > ?)"
        )
        return Clause(
            f"({_member_of(f'{name}.room_id')} AND ({name}.host_user_id IS NULL "
            f"OR {name}.host_user_id = ? OR {host_gone}))",
            (uid, uid, silent_since),
        )
    if table.name == "room_members":
        if command == "SELECT":
            return Clause(f"({name}.user_id = ? OR {_member_of(f'{name}.room_id')})", (uid, uid))
        return Clause(f"{name}.user_id = ?", (uid,))
    if table.name == "queue_items" and command != "SELECT":
        return Clause(_hosted_by(f"{name}.room_id"), (uid,))
    return Clause(_member_of(f"{name}.room_id"), (uid,))


def _hosted_by(room_column: str) -> str:
    """``room_column`` names a room the caller hosts (is_room_host in the migration)."""
    return f"{room_column} IN (SELECT r.room_id FROM rooms AS r WHERE r.host_user_id = ?)"


def check_new_row(
    conn: sqlite3.Connection, caller: Caller, table: Table, command: Command, row: dict[str, Any]
) -> None:
    """WITH CHECK of ``command`` for a new row (stored values by column name)."""
    if caller.bypasses_rules or _passes(conn, caller, table, command, row):
        return
    raise DataError(
        403, "42501", f'new row violates row-level security policy for table "{table.name}"'
    )


def _passes(
    conn: sqlite3.Connection, caller: Caller, table: Table, command: Command, row: dict[str, Any]
) -> bool:
    uid = caller.user_id
    if table.name == "rooms":
        host = row.get("host_user_id")
        if command == "INSERT":
            return host is None or host == uid
        return host is None or _is_member(conn, row["room_id"], host)
    if table.name == "room_members":
        return bool(row.get("user_id") == uid)
    if table.name == "queue_items":
        return _is_host(conn, row["room_id"], uid)
    # comments: as themselves, in a room they are in; system messages only from its host.
    if row.get("user_id") != uid or not _is_member(conn, row["room_id"], uid):
        return False
    return not row.get("is_system_message") or _is_host(conn, row["room_id"], uid)


def _is_member(conn: sqlite3.Connection, room_id: Any, user_id: Any) -> bool:
    found = conn.execute(
        "SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?", (room_id, user_id)
    ).fetchone()
    return found is not None


def _is_host(conn: sqlite3.Connection, room_id: Any, user_id: Any) -> bool:
    found = conn.execute(
        "SELECT 1 FROM rooms WHERE room_id = ? AND host_user_id = ?", (room_id, user_id)
    ).fetchone()
    return found is not None


def stamp(at: datetime) -> str:
    """A timestamptz as the store keeps it (see hub.data.values)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")
