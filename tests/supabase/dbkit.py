"""Acting as Supabase users against the migrated database, inside one test's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import DictRow

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "supabase" / "migrations").glob("*.sql"))
STAND_IN = Path(__file__).with_name("supabase_stand_in.sql")

Connection = psycopg.Connection[DictRow]
Statement = str | sql.Composed


def run_script(conn: Connection, path: Path) -> None:
    """One SQL file, as is, in one transaction (as `supabase db push` applies a migration)."""
    with conn.transaction():
        conn.execute(path.read_text(encoding="utf-8"))


def apply_migrations(conn: Connection) -> None:
    assert MIGRATIONS, "no migrations in supabase/migrations"
    for path in MIGRATIONS:
        run_script(conn, path)


class Db:
    """A connection whose every statement runs in the test's transaction (rolled back at the
    end), as whichever user the test says, the way PostgREST runs a request: set local role,
    then the JWT's claims in request.jwt.claims."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def as_user(self, user_id: str) -> None:
        """A signed-in user (Supabase's anonymous sign-in gives role authenticated)."""
        self._act("authenticated", {"sub": user_id, "role": "authenticated", "is_anonymous": True})

    def as_anon(self) -> None:
        """A request with only the project's anon key: nobody signed in."""
        self._act("anon", {"role": "anon"})

    def as_owner(self) -> None:
        """The migration's owner, past every policy: for arranging and checking."""
        self.conn.execute("reset all")
        self.conn.execute("reset role")

    def _act(self, role: str, claims: dict[str, Any]) -> None:
        # Like a new Data API request: nothing an earlier one set carries over.
        self.conn.execute("reset all")
        self.conn.execute(f"set local role {role}")
        self.conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])

    def rows(self, query: Statement, params: Any = None) -> list[DictRow]:
        cursor = self.conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []

    def changed(self, query: Statement, params: Any = None) -> int:
        """How many rows a write touched: RLS hides the rest without an error."""
        return self.conn.execute(query, params).rowcount

    @contextmanager
    def refused(self, sqlstate: str = "42501", message: str = "") -> Iterator[None]:
        """The block must fail with this SQLSTATE (and message, when given); the test's
        transaction carries on."""
        with pytest.raises(psycopg.Error) as caught, self.conn.transaction():
            yield
        error = caught.value
        assert error.sqlstate == sqlstate, f"expected {sqlstate}, got {error.sqlstate}: {error}"
        assert message in str(error)

    def join(self, room_id: str, user_id: str, username: str, *, host: bool = False) -> None:
        """What the app does on join: create the room if it is new, then add its own row."""
        self.as_user(user_id)
        self.rows(
            "insert into rooms (room_id, host_user_id) values (%s, %s)"
            " on conflict (room_id) do nothing",
            [room_id, user_id if host else None],
        )
        self.rows(
            "insert into room_members (room_id, user_id, username, is_host) values (%s, %s, %s, %s)"
            " on conflict (room_id, user_id) do update"
            " set username = excluded.username, is_host = excluded.is_host",
            [room_id, user_id, username, host],
        )

    def comment(
        self,
        user_id: str,
        message: str,
        *,
        room_id: str = "room-a",
        system: bool = False,
        comment_id: str | None = None,
    ) -> list[DictRow]:
        """The outbox's upsert (ignoring a duplicate id) as that user: the stored row's id and
        seq, or nothing when the id was stored before."""
        self.as_user(user_id)
        return self.rows(
            "insert into comments (id, room_id, user_id, username, message, is_system_message)"
            " values (%s, %s, %s, 'Name', %s, %s) on conflict (id) do nothing returning id, seq",
            [comment_id or str(uuid.uuid4()), room_id, user_id, message, system],
        )

    def silence(self, room_id: str, user_id: str, seconds: float) -> None:
        """Make a member's latest row write `seconds` old, as if it had stopped writing."""
        self.as_owner()
        # Past the trigger that stamps last_heartbeat with the server's clock.
        self.conn.execute("set local session_replication_role = replica")
        self.rows(
            "update room_members set last_heartbeat = now() - make_interval(secs => %s)"
            " where room_id = %s and user_id = %s",
            [seconds, room_id, user_id],
        )
