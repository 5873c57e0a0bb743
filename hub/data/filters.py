"""Row filters in PostgREST's syntax (`column=op.value`), shared by the REST subset (compiled to
SQL) and postgres_changes bindings (evaluated against a changed row in Python).

Values are converted to the column's type once, when the filter is parsed, so both sides compare
stored values: a uuid filter matches whatever case the client wrote, a timestamp filter the
instant, not the spelling. NULL never matches a comparison, as in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.data.errors import DataError, bad_query, undefined_column
from hub.data.schema import Column, PgType, Table
from hub.data.values import from_text

COMPARISONS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
REST_OPS = frozenset({*COMPARISONS, "in", "is"})
REALTIME_OPS = frozenset({*COMPARISONS, "in"})
MAX_REALTIME_IN = 100
MAX_REST_IN = 1000
# PostgREST operators the hub does not serve; named so the error says so instead of "unknown".
_UNSERVED = frozenset(
    {"like", "ilike", "match", "imatch", "fts", "plfts", "phfts", "wfts", "cs", "cd", "ov"}
    | {"sl", "sr", "nxr", "nxl", "adj", "isdistinct", "or", "and"}
)
_IS_VALUES = {"null": None, "unknown": None, "true": 1, "false": 0}


@dataclass(frozen=True, slots=True)
class Filter:
    column: Column
    position: int
    op: str
    value: Any
    """The stored value; a tuple of them for `in`; None, 1 or 0 for `is`."""
    negated: bool = False

    def sql(self) -> tuple[str, list[Any]]:
        name = self.column.quoted
        if self.op == "is":
            clause = f"{name} IS NULL" if self.value is None else f"{name} IS {self.value}"
            params: list[Any] = []
        elif self.op == "in":
            clause = f"{name} IN ({','.join('?' * len(self.value))})" if self.value else "0"
            params = list(self.value)
        else:
            clause, params = f"{name} {COMPARISONS[self.op]} ?", [self.value]
        return (f"NOT ({clause})" if self.negated else clause), params

    def matches(self, row: Sequence[Any]) -> bool:
        """SQL's three-valued result, kept only when true (so NOT of NULL is still out)."""
        stored = row[self.position]
        result: bool | None
        if self.op == "is":
            result = stored is None if self.value is None else stored == self.value
        elif stored is None:
            result = None
        elif self.op == "in":
            result = stored in self.value
        else:
            result = _compare(self.op, stored, self.value)
        if result is None:
            return False
        return not result if self.negated else result


def _compare(op: str, stored: Any, value: Any) -> bool:
    if op == "eq":
        return bool(stored == value)
    if op == "neq":
        return bool(stored != value)
    if op == "lt":
        return bool(stored < value)
    if op == "lte":
        return bool(stored <= value)
    if op == "gt":
        return bool(stored > value)
    return bool(stored >= value)


def parse_in_list(text: str) -> list[str]:
    """`(a,"b,c","d\\"e")` -> ['a', 'b,c', 'd"e']: PostgREST's list, double quotes for values
    holding `,` `)` or `"`, backslash escapes inside them."""
    if len(text) < 2 or text[0] != "(" or text[-1] != ")":
        raise ValueError("an in list is written (a,b,...)")
    body = text[1:-1]
    if body == "":
        return []
    items: list[str] = []
    index = 0
    while True:
        if index < len(body) and body[index] == '"':
            chars: list[str] = []
            index += 1
            while index < len(body) and body[index] != '"':
                if body[index] == "\\" and index + 1 < len(body):
                    index += 1
                chars.append(body[index])
                index += 1
            if index >= len(body):
                raise ValueError("unterminated double quote in an in list")
            index += 1
            item = "".join(chars)
        else:
            end = index
            while end < len(body) and body[end] not in ',)"':
                end += 1
            item, index = body[index:end], end
        items.append(item)
        if index == len(body):
            return items
        if body[index] != ",":
            raise ValueError(f"unexpected {body[index]!r} in an in list")
        index += 1


def parse_filter(
    table: Table,
    name: str,
    expression: str,
    *,
    ops: frozenset[str] = REST_OPS,
    allow_not: bool = True,
    max_in: int = MAX_REST_IN,
) -> Filter:
    """One filter: `name` is the column, `expression` is `[not.]op.value`."""
    position = table.position(name)
    if position is None:
        raise undefined_column(table.name, name)
    column = table.columns[position]
    negated = False
    rest = expression
    if allow_not and rest.startswith("not."):
        negated, rest = True, rest[4:]
    op, dot, text = rest.partition(".")
    if not dot or op not in ops:
        shown = f"{name}={expression}"[:120]
        detail = (
            f"the hub does not serve the operator {op!r}"
            if op in _UNSERVED or op in REST_OPS
            else f"expected one of {', '.join(sorted(ops))}, then a dot and a value"
        )
        raise bad_query(f"failed to parse filter ({shown})", detail)
    if op == "is":
        if text not in _IS_VALUES:
            raise bad_query(
                f"failed to parse filter ({name}={expression[:80]})",
                "is takes null, true, false or unknown",
            )
        value = _IS_VALUES[text]
        if value is not None and column.type is not PgType.BOOL:
            raise DataError(400, "42804", f"argument of IS {text.upper()} must be type boolean")
        return Filter(column, position, op, value, negated)
    if op == "in":
        try:
            items = parse_in_list(text)
        except ValueError as error:
            raise bad_query(
                f"failed to parse filter ({name}={expression[:80]})", str(error)
            ) from None
        if len(items) > max_in:
            raise bad_query(
                f"failed to parse filter ({name}=in...)", f"at most {max_in} values in an in list"
            )
        return Filter(
            column, position, op, tuple(from_text(column, item) for item in items), negated
        )
    return Filter(column, position, op, from_text(column, text), negated)


def parse_binding_filter(table: Table, text: str) -> Filter:
    """A postgres_changes binding's filter, `column=op.value` (one condition, no `not.`)."""
    name, equals, expression = text.partition("=")
    if not equals or not name:
        raise bad_query(f"filter {text[:120]!r} is not of the form column=op.value")
    return parse_filter(
        table, name, expression, ops=REALTIME_OPS, allow_not=False, max_in=MAX_REALTIME_IN
    )
