"""Running a write on the writer connection, inside the transaction the store opened, and
turning SQLite's constraint errors into the PostgreSQL errors a hosted project returns."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.data.errors import DataError
from hub.data.ops import Delete, Insert, Resolution, Update, Write, where_sql
from hub.data.schema import TABLES, Generated, Table
from hub.data.values import Row


def run_write(conn: sqlite3.Connection, op: Write) -> list[Row]:
    """The rows the write touched (as RETURNING gives them); raises `DataError`."""
    if isinstance(op, Insert):
        return [row for values in op.rows for row in _insert(conn, op, values)]
    if isinstance(op, Update):
        return _update(conn, op)
    return _delete(conn, op)


def _insert(conn: sqlite3.Connection, op: Insert, values: dict[str, Any]) -> list[Row]:
    table = op.table
    columns = [c for c in table.columns if c.default is not Generated.IDENTITY]
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(c.quoted for c in columns)}) '
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    if op.resolution is not None:
        target = ", ".join(f'"{name}"' for name in (op.conflict or table.primary_key))
        updates = ", ".join(f'"{name}" = excluded."{name}"' for name in op.given)
        if op.resolution is Resolution.MERGE and updates:
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {updates}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    params = [values[c.name] for c in columns]
    try:
        return conn.execute(sql + " RETURNING *", params).fetchall()
    except sqlite3.IntegrityError as error:
        raise _constraint_error(conn, table, error, values) from None


def _update(conn: sqlite3.Connection, op: Update) -> list[Row]:
    table = op.table
    if not op.values:
        return []
    assignments = ", ".join(f'"{name}" = ?' for name in op.values)
    where, params = where_sql(op.where)
    sql = f'UPDATE "{table.name}" SET {assignments}{where} RETURNING *'
    try:
        return conn.execute(sql, [*op.values.values(), *params]).fetchall()
    except sqlite3.IntegrityError as error:
        raise _constraint_error(conn, table, error, op.values) from None


def _delete(conn: sqlite3.Connection, op: Delete) -> list[Row]:
    where, params = where_sql(op.where)
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
