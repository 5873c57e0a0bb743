"""A committed row change and its postgres_changes `data` object.

`data` is what Supabase's `realtime.apply_rls` builds: schema, table, commit_timestamp, type,
columns (name and pg type, in column order), record (INSERT, UPDATE), old_record (UPDATE,
DELETE; the whole row, as with REPLICA IDENTITY FULL) and errors. It is encoded to JSON once per
change; each receiver's frame only adds its topic and matching binding ids around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hub.data.schema import SCHEMA, Table
from hub.data.values import Row, row_to_json
from hub.protocol import dumps


@cache
def columns_json(table: Table) -> str:
    return dumps([{"name": c.name, "type": c.type.value} for c in table.columns])


@dataclass(frozen=True, slots=True)
class Change:
    table: Table
    type: str
    """INSERT, UPDATE or DELETE."""
    new: Row | None
    old: Row | None
    data_json: str
    """The encoded `data` object."""

    @property
    def filtered_row(self) -> Row:
        """The row filters test: the new one, or for a DELETE the old one."""
        row = self.new if self.new is not None else self.old
        assert row is not None
        return row


def make_change(table: Table, kind: str, new: Row | None, old: Row | None, at: str) -> Change:
    head = dumps({"schema": SCHEMA, "table": table.name, "commit_timestamp": at, "type": kind})[:-1]
    parts = [head, ',"columns":', columns_json(table)]
    if new is not None:
        parts += [',"record":', dumps(row_to_json(table, new))]
    if old is not None:
        parts += [',"old_record":', dumps(row_to_json(table, old))]
    parts.append(',"errors":null}')
    return Change(table, kind, new, old, "".join(parts))
