"""Column values in their three forms: JSON (request bodies and responses), PostgreSQL's text
input syntax (filter values in query strings and postgres_changes filters), and storage.

Storage is SQLite's: text, float, int, bool as 0/1, uuid as its canonical lowercase string,
timestamptz as a fixed-width UTC string with microseconds (`2026-11-26T13:45:14.123456+00:00`),
which is also its JSON form and sorts like the instant it names.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.data.errors import DataError, invalid_text, out_of_range
from hub.data.schema import Column, Generated, PgType, Table
from hub.protocol import dumps

TYPE_NAMES = {
    PgType.TEXT: "text",
    PgType.FLOAT8: "double precision",
    PgType.BOOL: "boolean",
    PgType.INT4: "integer",
    PgType.INT8: "bigint",
    PgType.UUID: "uuid",
    PgType.TIMESTAMPTZ: "timestamp with time zone",
}
INT_RANGES = {PgType.INT4: 2**31, PgType.INT8: 2**63}

_INTEGER = re.compile(r"\s*[+-]?\d{1,25}\s*")
_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?\s*")
_INFINITY = {"infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}
_TRUE = {"t", "true", "y", "yes", "on", "1"}
_FALSE = {"f", "false", "n", "no", "off", "0"}
Row = tuple[Any, ...]


def now_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def commit_timestamp(at: datetime) -> str:
    """postgres_changes' `commit_timestamp`: UTC with milliseconds and a Z."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _shown(value: object) -> str:
    try:
        return value if isinstance(value, str) else dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def check_text(value: str) -> str:
    if "\x00" in value:
        raise DataError(
            400,
            "22P05",
            "unsupported Unicode escape sequence",
            "\\u0000 cannot be converted to text.",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(
            400, "22P02", "invalid input syntax for type json", "Unpaired Unicode surrogate."
        ) from None
    return value


def _timestamp(text: str) -> str:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid_text(TYPE_NAMES[PgType.TIMESTAMPTZ], text) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Supabase sessions run in UTC
    try:
        return parsed.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        raise DataError(400, "22008", f'timestamp out of range: "{text[:80]}"') from None


def _uuid(text: str) -> str:
    if len(text) > 64:
        raise invalid_text("uuid", text)
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise invalid_text("uuid", text) from None


def _integer(column: Column, value: int) -> int:
    bound = INT_RANGES[column.type]
    if not -bound <= value < bound:
        raise out_of_range(TYPE_NAMES[column.type], value)
    return value


def from_json(column: Column, value: object) -> object:
    """A request body's JSON value as stored; raises what PostgreSQL would for a bad one.

    Stricter than PostgreSQL in one way: a value must already have its column's JSON type
    (a bool is true/false, a number is a number), since the app never sends anything else.
    """
    if value is None:
        return None
    kind = column.type
    if kind is PgType.TEXT and isinstance(value, str):
        return check_text(value)
    if kind is PgType.BOOL and isinstance(value, bool):
        return int(value)
    if kind is PgType.FLOAT8 and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise out_of_range(TYPE_NAMES[kind], value)
        return number
    if kind in INT_RANGES and isinstance(value, int) and not isinstance(value, bool):
        return _integer(column, value)
    if kind is PgType.UUID and isinstance(value, str):
        return _uuid(value)
    if kind is PgType.TIMESTAMPTZ and isinstance(value, str):
        return _timestamp(value)
    raise invalid_text(TYPE_NAMES[kind], _shown(value))


def from_text(column: Column, text: str) -> object:
    """A value in PostgreSQL's text input syntax (what filters carry) as stored."""
    kind = column.type
    if kind is PgType.TEXT:
        return check_text(text)
    if kind is PgType.BOOL:
        word = text.strip().lower()
        if word in _TRUE:
            return 1
        if word in _FALSE:
            return 0
    elif kind in INT_RANGES:
        if _INTEGER.fullmatch(text):
            return _integer(column, int(text))
    elif kind is PgType.FLOAT8:
        word = text.strip().lower()
        if word in _INFINITY:
            return _INFINITY[word]
        if _FLOAT.fullmatch(text):
            number = float(text)
            if math.isinf(number):
                raise out_of_range(TYPE_NAMES[kind], text)
            return number
    elif kind is PgType.UUID:
        return _uuid(text)
    elif kind is PgType.TIMESTAMPTZ:
        return _timestamp(text)
    raise invalid_text(TYPE_NAMES[kind], text)


def to_json(column: Column, stored: object) -> object:
    if stored is None:
        return None
    if column.type is PgType.BOOL:
        return bool(stored)
    if column.type is PgType.FLOAT8 and isinstance(stored, int):
        return float(stored)  # SQLite hands back an integral REAL as an int in some paths
    return stored


def row_to_json(table: Table, row: Sequence[object]) -> dict[str, object]:
    return {c.name: to_json(c, v) for c, v in zip(table.columns, row, strict=True)}


def check_violation(table: Table, column: Column, stored: object) -> DataError | None:
    """The column's CHECK constraint (lengths, non-negative times) against a stored value."""
    if stored is None or not column.has_check:
        return None
    reason: str | None = None
    if isinstance(stored, str):
        low = column.min_length or 0
        high = column.max_length
        if len(stored) < low or (high is not None and len(stored) > high):
            reason = f"{column.name} must be {low} to {high} characters (got {len(stored)})"
    elif column.non_negative and isinstance(stored, float) and stored < 0:
        reason = f"{column.name} must be 0 or more"
    if reason is None:
        return None
    return DataError(
        400,
        "23514",
        f'new row for relation "{table.name}" violates check constraint '
        f'"{column.check_name(table.name)}"',
        reason,
    )


def not_null_violation(table: Table, column: Column) -> DataError:
    return DataError(
        400,
        "23502",
        f'null value in column "{column.name}" of relation "{table.name}" violates not-null '
        "constraint",
    )


def default_value(column: Column, now: str) -> object:
    """The stored default of a column the request left out (never for the identity column)."""
    default = column.default
    if default is Generated.NOW:
        return now
    if default is Generated.RANDOM_UUID:
        return str(uuid.uuid4())
    if isinstance(default, bool):
        return int(default)
    return default
