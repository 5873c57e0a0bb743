"""What the REST layer (and the hub itself) asks of the store: one read or one write, already
validated and converted to stored values, so the store only runs SQL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from hub.data.filters import Filter
from hub.data.rules import SERVICE, Caller, Clause
from hub.data.schema import Column, Table
from hub.data.values import Row


class Resolution(Enum):
    """PostgREST's `Prefer: resolution=...` for an upsert."""

    MERGE = "merge-duplicates"
    IGNORE = "ignore-duplicates"


@dataclass(frozen=True, slots=True)
class Insert:
    table: Table
    rows: tuple[dict[str, Any], ...]
    """Stored values for every column but the identity (defaults already filled in)."""
    given: tuple[str, ...]
    """The columns the request named: what a merge updates on a conflict."""
    conflict: tuple[str, ...] | None = None
    resolution: Resolution | None = None
    caller: Caller = SERVICE
    """Whose rules apply (hub.data.rules); the service role, the hub's own, bypasses them."""
    at: str | None = None
    """The statement's time (its `now()` defaults), stored form; None: when it runs."""


@dataclass(frozen=True, slots=True)
class Update:
    table: Table
    values: dict[str, Any]
    where: tuple[Filter, ...]
    caller: Caller = SERVICE


@dataclass(frozen=True, slots=True)
class Delete:
    table: Table
    where: tuple[Filter, ...]
    caller: Caller = SERVICE


Write = Insert | Update | Delete


@dataclass(frozen=True, slots=True)
class Order:
    column: Column
    descending: bool = False
    nulls_first: bool | None = None
    """None: PostgreSQL's default (NULLs sort as the largest value)."""

    def sql(self) -> str:
        clause = f"{self.column.quoted} {'DESC' if self.descending else 'ASC'}"
        if not self.column.nullable:
            return clause  # without NULLs, no clause, so an index can still give the order
        nulls_first = self.descending if self.nulls_first is None else self.nulls_first
        # SQLite sorts NULLs as the smallest value: first ascending, last descending.
        if nulls_first != (not self.descending):
            clause += " NULLS FIRST" if nulls_first else " NULLS LAST"
        return clause


@dataclass(frozen=True, slots=True)
class Select:
    table: Table
    positions: tuple[int, ...]
    where: tuple[Filter, ...] = ()
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int = 0
    count: bool = False
    caller: Caller = SERVICE


@dataclass(frozen=True, slots=True)
class ReadResult:
    rows: list[Row]
    total: int | None


def where_sql(filters: tuple[Filter | Clause, ...]) -> tuple[str, list[Any]]:
    if not filters:
        return "", []
    clauses, params = [], []
    for item in filters:
        clause, values = item.sql()
        clauses.append(clause)
        params.extend(values)
    return " WHERE " + " AND ".join(clauses), params
