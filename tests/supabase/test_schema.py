"""The tables are the ones docs/data.md defines, with what Realtime needs to stream them."""

from __future__ import annotations

import re

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import DictRow, dict_row

from room.wire import MAX_COMMENT_CHARS
from tests.supabase.dbkit import ROOT, Db, apply_migrations
from tests.supabase.pgserver import Server

TABLES = ["rooms", "room_members", "comments", "queue_items"]
OUR_SCHEMAS = "('public', 'watchparty_private')"


def contract_columns(table: str) -> list[tuple[str, str, bool, str]]:
    """(name, type, nullable, default) per row of the table's section in docs/data.md."""
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    section = re.search(rf"^### `{table}`.*?$(.*?)(?=^#)", text, re.M | re.S)
    assert section, f"docs/data.md has no section for {table}"
    columns = []
    for line in section.group(1).splitlines():
        if line.startswith("| `"):
            name, type_, null, default = (cell.strip() for cell in line.strip("|").split("|")[:4])
            columns.append((name.strip("`"), type_, null == "yes", default))
    return columns


@pytest.mark.parametrize("table", TABLES)
def test_columns_are_the_contracts(db: Db, table: str) -> None:
    rows = db.rows(
        "select column_name, udt_name, is_nullable, column_default, is_identity,"
        " identity_generation from information_schema.columns"
        " where table_schema = 'public' and table_name = %s order by ordinal_position",
        [table],
    )
    actual = []
    for row in rows:
        default = row["column_default"] or ""
        if row["is_identity"] == "YES" and row["identity_generation"] == "ALWAYS":
            default = "identity"
        actual.append((row["column_name"], row["udt_name"], row["is_nullable"] == "YES", default))
    assert actual == contract_columns(table)


def test_comments_are_paged_by_room_and_seq(db: Db) -> None:
    [index] = db.rows(
        "select indexdef from pg_indexes where indexname = 'comments_room_id_seq_idx'"
    )
    assert index["indexdef"].endswith("ON public.comments USING btree (room_id, seq DESC)")


def test_a_user_is_in_a_room_once(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.as_owner()
    with db.refused("23505"):
        db.rows(
            "insert into room_members (room_id, user_id, username) values ('room-a', %s, 'Again')",
            [alice],
        )


def test_deleting_a_room_deletes_its_members_and_comments(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    db.comment(alice, "hi")
    db.as_owner()
    db.rows("delete from rooms where room_id = 'room-a'")
    assert db.rows("select from room_members") == []
    assert db.rows("select from comments") == []


def test_a_reply_outlives_the_comment_it_answered(db: Db, alice: str) -> None:
    db.join("room-a", alice, "Alice")
    [first] = db.comment(alice, "first")
    db.rows(
        "insert into comments (room_id, user_id, username, message, parent_id)"
        " values ('room-a', %s, 'Alice', 'reply', %s)",
        [alice, first["id"]],
    )
    db.as_owner()
    db.rows("delete from comments where id = %s", [first["id"]])
    assert db.rows("select message, parent_id from comments") == [
        {"message": "reply", "parent_id": None}
    ]


# A valid row per table, and one column of it set to a value out of range or at the limit.
VALID_ROW: dict[str, dict[str, object]] = {
    "rooms": {"room_id": "room-a"},
    "room_members": {"room_id": "room-a", "user_id": "u", "username": "U"},
    "comments": {"room_id": "room-a", "user_id": "u", "username": "U", "message": "hi"},
}
OUT_OF_RANGE = [
    ("rooms", "room_id", ""),
    ("rooms", "room_id", "r" * 65),
    ("rooms", "current_time", -0.5),
    ("rooms", "current_time", float("nan")),
    ("rooms", "current_time", float("inf")),
    ("room_members", "username", ""),
    ("room_members", "username", "n" * 65),
    ("comments", "message", ""),
    ("comments", "message", "m" * (MAX_COMMENT_CHARS + 1)),
    ("comments", "username", ""),
    ("comments", "username", "n" * 65),
    ("comments", "video_timestamp", -1.0),
    ("comments", "video_timestamp", float("nan")),
]
AT_THE_LIMIT = [
    ("rooms", "room_id", "r" * 64),
    ("rooms", "current_time", 0.0),
    ("room_members", "username", "n" * 64),
    ("comments", "message", "m" * MAX_COMMENT_CHARS),
    ("comments", "username", "n" * 64),
    ("comments", "video_timestamp", 0.0),
]


def case_id(case: tuple[str, str, object]) -> str:
    table, column, value = case
    shown = f"{value[:3]}...x{len(value)}" if isinstance(value, str) and len(value) > 8 else value
    return f"{table}.{column}={shown!r}"


def insert_with(db: Db, table: str, column: str, value: object) -> None:
    db.as_owner()
    if table != "rooms":
        db.rows("insert into rooms (room_id) values ('room-a')")
    row = {**VALID_ROW[table], column: value}
    db.rows(
        sql.SQL("insert into {} ({}) values ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        ),
        list(row.values()),
    )


@pytest.mark.parametrize("case", OUT_OF_RANGE, ids=case_id)
def test_values_out_of_range_are_refused(db: Db, case: tuple[str, str, object]) -> None:
    with db.refused("23514"):
        insert_with(db, *case)


@pytest.mark.parametrize("case", AT_THE_LIMIT, ids=case_id)
def test_values_at_the_limit_are_stored(db: Db, case: tuple[str, str, object]) -> None:
    insert_with(db, *case)


def test_every_table_streams_whole_rows(db: Db) -> None:
    rows = db.rows(
        "select relname, relreplident from pg_class"
        " where relnamespace = 'public'::regnamespace and relname = any(%s)",
        [TABLES],
    )
    assert {row["relname"]: row["relreplident"] for row in rows} == dict.fromkeys(TABLES, "f")


def test_every_table_is_in_the_realtime_publication(db: Db) -> None:
    rows = db.rows(
        "select tablename from pg_publication_tables"
        " where pubname = 'supabase_realtime' and schemaname = 'public'"
    )
    assert sorted(row["tablename"] for row in rows) == sorted(TABLES)


def test_row_level_security_is_on_for_every_table(db: Db) -> None:
    rows = db.rows(
        "select relname from pg_class where relnamespace = 'public'::regnamespace"
        " and relkind = 'r' and relrowsecurity"
    )
    assert sorted(row["relname"] for row in rows) == sorted(TABLES)


def test_security_definer_functions_pin_their_search_path(db: Db) -> None:
    rows = db.rows(
        "select p.oid::regprocedure::text as name, p.proconfig from pg_proc p"
        f" where p.prosecdef and p.pronamespace::regnamespace::text in {OUR_SCHEMAS}"
        " order by 1"
    )
    assert [row["name"] for row in rows] == [
        "broadcast_room_event(text,text,jsonb)",
        "watchparty_private.is_room_host(text,text)",
        "watchparty_private.is_room_member(text,text)",
        "watchparty_private.room_host_is_gone(text,text)",
    ]
    assert all(row["proconfig"] == ['search_path=""'] for row in rows)


def test_migrations_apply_again_and_create_a_missing_publication(
    pg_server: Server, stand_in_template: str
) -> None:
    """A bare PostgreSQL (no supabase_realtime publication) gets one; a second run, as when
    the SQL is pasted into the editor twice, fails nowhere and changes nothing."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"create database twice template {stand_in_template}")
    try:
        with psycopg.connect(pg_server.conninfo("twice"), row_factory=dict_row) as conn:
            conn.execute("drop publication supabase_realtime")
            conn.commit()
            apply_migrations(conn)
            first = schema_summary(conn)
            apply_migrations(conn)
            assert schema_summary(conn) == first
            assert first["published"] == sorted(TABLES)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute("drop database twice")


def schema_summary(conn: psycopg.Connection[DictRow]) -> dict[str, list[str]]:
    def texts(query: str) -> list[str]:
        return sorted(str(row["x"]) for row in conn.execute(query).fetchall())

    return {
        "published": texts(
            "select tablename as x from pg_publication_tables where pubname = 'supabase_realtime'"
        ),
        "policies": texts(
            "select tablename || ': ' || policyname || ' ' || cmd || ' ' || roles::text"
            " || coalesce(qual, '') || coalesce(with_check, '') as x from pg_policies"
        ),
        "triggers": texts("select tgname as x from pg_trigger where not tgisinternal"),
        "grants": texts(
            "select grantee || ' ' || table_name || ' ' || privilege_type as x"
            " from information_schema.role_table_grants where table_schema = 'public'"
        ),
        "functions": texts(
            "select p.oid::regprocedure::text || ' ' || coalesce(p.proacl::text, '') as x"
            f" from pg_proc p where p.pronamespace::regnamespace::text in {OUR_SCHEMAS}"
        ),
    }
