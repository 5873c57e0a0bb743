"""A PostgREST query string: `select`, filters, `order`, `limit`, `offset`, `on_conflict` and
`columns`, checked against the table and converted once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.data.errors import DataError, bad_query, undefined_column, unknown_body_column
from hub.data.filters import Filter, parse_filter
from hub.data.ops import Order
from hub.data.schema import Table

RESERVED = frozenset({"select", "order", "limit", "offset", "on_conflict", "columns", "apikey"})
_LOGIC = frozenset({"or", "and", "not.or", "not.and"})
_ORDER_WORDS = {"asc", "desc", "nullsfirst", "nullslast"}
MAX_FILTERS = 64
"""Far more than any real query; it keeps SQLite's expression tree well under its depth limit."""
MAX_ORDER_TERMS = 16


@dataclass(frozen=True, slots=True)
class Query:
    positions: tuple[int, ...]
    """The selected columns (all of them for `*`)."""
    filters: tuple[Filter, ...]
    order: tuple[Order, ...]
    limit: int | None
    offset: int
    on_conflict: tuple[str, ...] | None
    columns: tuple[str, ...] | None


def _names(text: str) -> list[str]:
    """A comma-separated list of column names, each possibly double-quoted."""
    names = []
    for part in text.split(","):
        name = part.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        names.append(name)
    return names


def _select(table: Table, text: str) -> tuple[int, ...]:
    positions: list[int] = []
    for name in _names(text):
        if name == "*":
            positions.extend(p for p in range(len(table.columns)) if p not in positions)
            continue
        if not name or any(mark in name for mark in ":()!") or "->" in name:
            raise bad_query(
                f"failed to parse select parameter ({text[:120]})",
                "the hub serves * or a list of column names (no aliases, casts or embedding)",
            )
        position = table.position(name)
        if position is None:
            raise undefined_column(table.name, name)
        if position not in positions:
            positions.append(position)
    return tuple(positions)


def _order(table: Table, text: str) -> tuple[Order, ...]:
    parts = text.split(",")
    if len(parts) > MAX_ORDER_TERMS:
        raise bad_query(f"failed to parse order: more than {MAX_ORDER_TERMS} terms")
    items = []
    for part in parts:
        name, *words = part.strip().split(".")
        column = table.column(name.strip('"'))
        if column is None:
            raise undefined_column(table.name, name)
        if len(words) > 2 or any(word not in _ORDER_WORDS for word in words):
            raise bad_query(
                f"failed to parse order ({text[:120]})",
                "order is col[.asc|.desc][.nullsfirst|.nullslast], comma-separated",
            )
        descending = "desc" in words
        nulls_first = True if "nullsfirst" in words else False if "nullslast" in words else None
        items.append(Order(column, descending, nulls_first))
    return tuple(items)


def _count(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise bad_query(f"failed to parse {name} parameter ({text[:40]})", "expected 0 or more")
    return int(text)


def _key_columns(table: Table, text: str, *, body: bool) -> tuple[str, ...]:
    names = _names(text)
    for name in names:
        if table.column(name) is None:
            raise (
                unknown_body_column(table.name, name)
                if body
                else undefined_column(table.name, name)
            )
    return tuple(names)


def parse_query(table: Table, items: Iterable[tuple[str, str]]) -> Query:
    positions = tuple(range(len(table.columns)))
    filters: list[Filter] = []
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset = 0
    on_conflict = columns = None
    for key, value in items:
        if key == "select":
            positions = _select(table, value)
        elif key == "order":
            order = _order(table, value)
        elif key == "limit":
            limit = _count("limit", value)
        elif key == "offset":
            offset = _count("offset", value)
        elif key == "on_conflict":
            on_conflict = _key_columns(table, value, body=False)
        elif key == "columns":
            columns = _key_columns(table, value, body=True)
        elif key in _LOGIC:
            raise bad_query(f"the hub does not serve {key}=(...) filters")
        elif key not in RESERVED:
            if len(filters) == MAX_FILTERS:
                raise bad_query(f"more than {MAX_FILTERS} filters in one request")
            filters.append(parse_filter(table, key, value))
    return Query(positions, tuple(filters), order, limit, offset, on_conflict, columns)


def conflict_target(table: Table, names: tuple[str, ...] | None) -> tuple[str, ...]:
    """The unique key an upsert's `on_conflict` names (the primary key when it names none)."""
    if names is None:
        return table.primary_key
    for key in table.unique_keys:
        if set(key) == set(names) and len(key) == len(names):
            return key
    raise DataError(
        400,
        "42P10",
        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
    )
