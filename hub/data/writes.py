"""Running a write on the writer connection, inside the transaction the store opened, and
turning SQLite's constraint errors into the PostgreSQL errors a hosted project returns."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from hub.data.errors import DataError
from hub.data.ops import Delete, Insert, Resolution, Update, Write, where_sql
from hub.data.rules import check_new_row, check_privilege, stamp, visible
from hub.data.schema import TABLES, Generated, Table
from hub.data.values import Row

STAMPED = "last_heartbeat"
"""room_members' column the server sets on every write (the migration's stamp_heartbeat)."""


def run_write(conn: sqlite3.Connection, op: Write) -> list[Row]:
    """The rows the write touched (as RETURNING gives them); raises `DataError`. The room's
    rules (hub.data.rules) apply to the op's caller; a refused write raises, and the store
    rolls the whole statement back."""
    now = datetime.now(UTC)
    if isinstance(op, Insert):
        check_privilege(op.caller, op.table, "INSERT")
        if op.resolution is Resolution.MERGE:
            check_privilege(op.caller, op.table, "UPDATE")
        return [row for values in op.rows for row in _insert(conn, op, values, now)]
    if isinstance(op, Update):
        check_privilege(op.caller, op.table, "UPDATE")
        return _update(conn, op, now)
    check_privilege(op.caller, op.table, "DELETE")
    return _delete(conn, op, now)


def _as_dict(table: Table, row: Row) -> dict[str, Any]:
    return dict(zip(table.names, row, strict=True))


def _insert(
    conn: sqlite3.Connection, op: Insert, values: dict[str, Any], now: datetime
) -> list[Row]:
    table = op.table
    given = op.given
    if table.name == "room_members":
        # now() is the transaction's time in PostgreSQL: the same as the row's defaults.
        values = {**values, STAMPED: op.at or stamp(now)}
        given = given if STAMPED in given else (*given, STAMPED)
    check_new_row(conn, op.caller, table, "INSERT", values)
    if op.resolution is Resolution.MERGE:
        _check_conflicting_row(conn, op, values, now)
    columns = [c for c in table.columns if c.default is not Generated.IDENTITY]
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(c.quoted for c in columns)}) '
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    if op.resolution is not None:
        target = ", ".join(f'"{name}"' for name in (op.conflict or table.primary_key))
        updates = ", ".join(f'"{name}" = excluded."{name}"' for name in given)
        if op.resolution is Resolution.MERGE and updates:
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {updates}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    params = [values[c.name] for c in columns]
    try:
        rows: list[Row] = conn.execute(sql + " RETURNING *", params).fetchall()
    except sqlite3.IntegrityError as error:
        raise _constraint_error(conn, table, error, values) from None
    if op.resolution is Resolution.MERGE:
        for row in rows:  # an updated row must also pass the UPDATE policy's WITH CHECK
            check_new_row(conn, op.caller, table, "UPDATE", _as_dict(table, row))
    return rows


def _check_conflicting_row(
    conn: sqlite3.Connection, op: Insert, values: dict[str, Any], now: datetime
) -> None:
    """ON CONFLICT DO UPDATE: an existing row the caller may not update is an error, not a
    silent skip (PostgreSQL checks the UPDATE policy's USING on the conflicting row)."""
    rule = visible(op.caller, op.table, "UPDATE", now)
    if rule is None:
        return
    target = op.conflict or op.table.primary_key
    name = f'"{op.table.name}"'
    match = " AND ".join(f'{name}."{column}" = ?' for column in target)
    text, rule_params = rule.sql()
    key = [values[column] for column in target]
    exists = conn.execute(f"SELECT 1 FROM {name} WHERE {match}", key).fetchone()
    if exists is None:
        return
    allowed = conn.execute(f"SELECT 1 FROM {name} WHERE {match} AND {text}", [*key, *rule_params])
    if allowed.fetchone() is None:
        raise DataError(
            403,
            "42501",
            "new row violates row-level security policy (USING expression) for table "
            f'"{op.table.name}"',
        )


def _update(conn: sqlite3.Connection, op: Update, now: datetime) -> list[Row]:
    table = op.table
    if not op.values:
        return []
    values = op.values
    if table.name == "room_members":
        values = {**values, STAMPED: stamp(now)}
    assignments = ", ".join(f'"{name}" = ?' for name in values)
    rule = visible(op.caller, table, "UPDATE", now)
    where, params = where_sql(op.where if rule is None else (*op.where, rule))
    sql = f'UPDATE "{table.name}" SET {assignments}{where} RETURNING *'
    try:
        rows: list[Row] = conn.execute(sql, [*values.values(), *params]).fetchall()
    except sqlite3.IntegrityError as error:
        raise _constraint_error(conn, table, error, values) from None
    for row in rows:
        check_new_row(conn, op.caller, table, "UPDATE", _as_dict(table, row))
    return rows


def _delete(conn: sqlite3.Connection, op: Delete, now: datetime) -> list[Row]:
    rule = visible(op.caller, op.table, "DELETE", now)
    where, params = where_sql(op.where if rule is None else (*op.where, rule))
    try:
        return conn.execute(f'DELETE FROM "{op.table.name}"{where} RETURNING *', params).fetchall()
    except sqlite3.IntegrityError as error:
        raise _constraint_error(conn, op.table, error, {}) from None


def _key_text(values: dict[str, Any], names: tuple[str, ...]) -> str:
    return ", ".join("null" if values.get(n) is None else str(values.get(n)) for n in names)


def _constraint_error(
    conn: sqlite3.Connection, table: Table, error: sqlite3.IntegrityError, values: dict[str, Any]
) -> DataError:
    text = str(error)
    if text.startswith("UNIQUE constraint failed:"):
        columns = tuple(part.strip().split(".")[-1] for part in text.split(":", 1)[1].split(","))
        return DataError(
            409,
            "23505",
            f'duplicate key value violates unique constraint "{table.key_constraint(columns)}"',
            f"Key ({', '.join(columns)})=({_key_text(values, columns)}) already exists.",
        )
    if text.startswith("FOREIGN KEY constraint failed"):
        return _foreign_key_error(conn, table, values)
    if text.startswith("NOT NULL constraint failed:"):
        column = text.rsplit(".", 1)[-1]
        return DataError(
            400,
            "23502",
            f'null value in column "{column}" of relation "{table.name}" violates not-null '
            "constraint",
        )
    if text.startswith("CHECK constraint failed:"):
        name = text.split(":", 1)[1].strip()
        return DataError(
            400, "23514", f'new row for relation "{table.name}" violates check constraint "{name}"'
        )
    return DataError(400, "23000", f"integrity constraint violation: {text[:200]}")


def _foreign_key_error(conn: sqlite3.Connection, table: Table, values: dict[str, Any]) -> DataError:
    # SQLite does not say which key failed: look for the reference that points nowhere.
    for fk in table.foreign_keys:
        value = values.get(fk.column)
        if value is None:
            continue
        found = conn.execute(
            f'SELECT 1 FROM "{fk.ref_table}" WHERE "{fk.ref_column}" = ?', [value]
        ).fetchone()
        if found is None:
            return DataError(
                409,
                "23503",
                f'insert or update on table "{table.name}" violates foreign key constraint '
                f'"{table.fkey_constraint(fk)}"',
                f'Key ({fk.column})=({value}) is not present in table "{fk.ref_table}".',
            )
    # Otherwise a referenced key was changed while rows still point at it.
    for child in TABLES.values():
        for fk in child.foreign_keys:
            if fk.ref_table == table.name:
                return DataError(
                    409,
                    "23503",
                    f'update or delete on table "{table.name}" violates foreign key constraint '
                    f'"{child.fkey_constraint(fk)}" on table "{child.name}"',
                    f'Key is still referenced from table "{child.name}".',
                )
    return DataError(409, "23503", f'foreign key violation on table "{table.name}"')
