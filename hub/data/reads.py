"""Running a `Select` on a reader connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from hub.data.ops import ReadResult, Select, where_sql
from hub.data.rules import check_privilege, visible


def run_select(conn: sqlite3.Connection, query: Select) -> ReadResult:
    table = query.table
    names = ", ".join(table.columns[p].quoted for p in query.positions)
    check_privilege(query.caller, table, "SELECT")
    rule = visible(query.caller, table, "SELECT", datetime.now(UTC))
    where, params = where_sql(query.where if rule is None else (*query.where, rule))
    sql = f'SELECT {names} FROM "{table.name}"{where}'
    if query.order:
        sql += " ORDER BY " + ", ".join(item.sql() for item in query.order)
    sql += " LIMIT ? OFFSET ?"
    limit = -1 if query.limit is None else query.limit
    rows = conn.execute(sql, [*params, limit, query.offset]).fetchall()
    total = None
    if query.count:
        total = conn.execute(f'SELECT count(*) FROM "{table.name}"{where}', params).fetchone()[0]
    return ReadResult(rows, total)
