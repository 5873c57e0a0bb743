"""The room's rules (tests/rules_table.py) on the migrations, on a real PostgreSQL: each case
run as PostgREST would run the request (role, JWT claims, one statement with RETURNING)."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

from tests.rules_table import (
    ANON,
    CASE_IDS,
    CASES,
    REFUSED,
    ROOMS,
    SEED,
    Case,
    Op,
    Outcome,
)
from tests.supabase.dbkit import Db


def arrange(db: Db, *, host_silent: bool) -> None:
    db.as_owner()
    for table, rows in SEED:
        for row in rows:
            db.rows(
                sql.SQL("insert into {} ({}) values ({})").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, row)),
                    sql.SQL(", ").join(sql.Placeholder() * len(row)),
                ),
                list(row.values()),
            )
    if host_silent:
        db.silence("room-a", ROOMS[0]["host_user_id"], 91)


def statement(op: Op) -> tuple[sql.Composable, list[object]]:
    table = sql.Identifier(op.table)
    where = sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder()) for k in op.match
    )
    where_clause = sql.SQL(" where ") + where if op.match else sql.SQL("")
    if op.verb == "select":
        return sql.SQL("select * from {}{}").format(table, where_clause), list(op.match.values())
    if op.verb in ("insert", "upsert"):
        query = sql.SQL("insert into {} ({}) values ({})").format(
            table,
            sql.SQL(", ").join(map(sql.Identifier, op.values)),
            sql.SQL(", ").join(sql.Placeholder() * len(op.values)),
        )
        if op.verb == "upsert":
            target = sql.SQL(", ").join(map(sql.Identifier, op.conflict))
            if op.ignore_duplicates:
                query += sql.SQL(" on conflict ({}) do nothing").format(target)
            else:
                query += sql.SQL(" on conflict ({}) do update set {}").format(
                    target,
                    sql.SQL(", ").join(
                        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(k)) for k in op.values
                    ),
                )
        return query + sql.SQL(" returning *"), list(op.values.values())
    if op.verb == "update":
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder()) for k in op.values
        )
        query = sql.SQL("update {} set {}{} returning *").format(table, assignments, where_clause)
        return query, [*op.values.values(), *op.match.values()]
    if op.verb == "delete":
        query = sql.SQL("delete from {}{} returning *").format(table, where_clause)
        return query, list(op.match.values())
    args = op.values
    return sql.SQL("select public.broadcast_room_event(%s, %s, %s::jsonb)"), [
        args["p_room_id"],
        args["p_event_type"],
        json.dumps(args["p_payload"]),
    ]


def run(db: Db, case: Case) -> Outcome | str:
    if case.actor == ANON:
        db.as_anon()
    else:
        db.as_user(case.actor)
    query, params = statement(case.op)
    try:
        with db.conn.transaction():
            rows = db.rows(query, params)
    except psycopg.Error as error:
        return REFUSED if error.sqlstate == "42501" else f"error {error.sqlstate}: {error}"
    return 1 if case.op.verb == "rpc" else len(rows)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_rules_on_postgresql(db: Db, case: Case) -> None:
    arrange(db, host_silent=case.host_silent)
    assert run(db, case) == case.expected
