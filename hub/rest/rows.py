"""Request bodies to writes: each value checked against its column as PostgreSQL would (type,
not null, checks), defaults filled in, the identity column refused."""

from __future__ import annotations

from typing import Any

from hub.data.errors import DataError, bad_body, unknown_body_column
from hub.data.filters import Filter
from hub.data.ops import Insert, Resolution, Update
from hub.data.schema import Generated, Table
from hub.data.values import (
    check_violation,
    default_value,
    from_json,
    not_null_violation,
)


def _identity_refused(table: Table, names: list[str] | tuple[str, ...], verb: str) -> None:
    for name in names:
        column = table.column(name)
        if column is not None and column.default is Generated.IDENTITY:
            if verb == "insert":
                raise DataError(
                    400,
                    "428C9",
                    f'cannot insert a non-DEFAULT value into column "{name}"',
                    f'Column "{name}" is an identity column defined as GENERATED ALWAYS.',
                    "Use OVERRIDING SYSTEM VALUE to override.",
                )
            raise DataError(400, "428C9", f'column "{name}" can only be updated to DEFAULT')


def _known(table: Table, names: list[str]) -> None:
    for name in names:
        if table.column(name) is None:
            raise unknown_body_column(table.name, name)


def _objects(body: Any) -> list[dict[str, Any]]:
    rows = body if isinstance(body, list) else [body]
    if not all(isinstance(row, dict) for row in rows):
        raise bad_body("Empty or invalid json", "the body is an object or an array of objects")
    return rows


def _stored_row(
    table: Table, source: dict[str, Any], given: tuple[str, ...], now: str, *, nulls: bool
) -> dict[str, Any]:
    """One full row: given values converted, the others defaulted (or null, see `nulls`)."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.default is Generated.IDENTITY:
            continue
        if column.name in source:
            stored = from_json(column, source[column.name])
        elif column.name in given and nulls:
            stored = None
        else:
            stored = default_value(column, now)
        if stored is None and not column.nullable:
            raise not_null_violation(table, column)
        violation = check_violation(table, column, stored)
        if violation is not None:
            raise violation
        row[column.name] = stored
    return row


def insert_from_body(
    table: Table,
    body: Any,
    *,
    columns: tuple[str, ...] | None,
    missing_default: bool,
    conflict: tuple[str, ...] | None,
    resolution: Resolution | None,
    now: str,
) -> Insert:
    rows = _objects(body)
    if columns is not None:
        # postgrest-py names the keys of a bulk insert in `columns`: only those are used, and a
        # row without one of them gets null (or, with missing=default, the default).
        given = columns
    elif rows:
        keys = list(rows[0])
        if any(set(row) != set(keys) for row in rows[1:]):
            raise bad_body("All object keys must match")
        _known(table, keys)
        given = tuple(keys)
    else:
        given = ()
    _identity_refused(table, given, "insert")
    stored = tuple(
        _stored_row(
            table,
            {k: v for k, v in row.items() if k in given},
            given,
            now,
            nulls=columns is not None and not missing_default,
        )
        for row in rows
    )
    return Insert(table, stored, given, conflict if resolution else None, resolution, at=now)


def update_from_body(table: Table, body: Any, where: tuple[Filter, ...]) -> Update:
    if not isinstance(body, dict):
        raise bad_body("Empty or invalid json", "an update's body is one object")
    names = list(body)
    _known(table, names)
    _identity_refused(table, names, "update")
    values: dict[str, Any] = {}
    for name in names:
        column = table.column(name)
        assert column is not None
        stored = from_json(column, body[name])
        if stored is None and not column.nullable:
            raise not_null_violation(table, column)
        violation = check_violation(table, column, stored)
        if violation is not None:
            raise violation
        values[name] = stored
    return Update(table, values, where)
