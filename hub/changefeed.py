"""postgres_changes: the bindings each channel join asked for, and the delivery of committed
row changes to the joins whose bindings match.

A binding is `{event, schema, table, filter}` with the id the join reply echoed. For each change
a channel gets one frame whose `ids` lists its matching bindings, as the server sends it. The
`data` object is encoded once per change (by the store); a frame is built once per protocol
version, topic and ids, so a room whose members all asked the same thing costs one encoding.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from hub.channels import ChannelJoin
from hub.data.changes import Change
from hub.data.errors import DataError
from hub.data.filters import Filter, parse_binding_filter
from hub.data.schema import SCHEMA, TABLES, Table
from hub.data.values import Row
from hub.limits import RateCounter
from hub.protocol import JsonObject, Vsn, dumps
from hub.wsframe import text_frame

log = logging.getLogger("hub.changefeed")

EVENTS = frozenset({"*", "INSERT", "UPDATE", "DELETE"})


class BindingError(Exception):
    """A binding the hub cannot serve; the message goes to the client as is."""


@dataclass(frozen=True, slots=True)
class Binding:
    id: int
    table: Table | None
    """None: every table of the schema."""
    event: str
    filter: Filter | None

    def matches(self, change: Change, row: Row) -> bool:
        if self.event != "*" and self.event != change.type:
            return False
        return self.filter is None or self.filter.matches(row)


def _describe(raw: JsonObject) -> str:
    parts = (f"{key}: {str(raw.get(key))[:80]}" for key in ("event", "schema", "table"))
    return f"[{', '.join(parts)}, filters: [{str(raw.get('filter') or '')[:120]}]]"


def parse_binding(raw: JsonObject, binding_id: int) -> Binding:
    unable = (
        "Unable to subscribe to changes with given parameters. Please check Realtime is "
        f"enabled for the given connect parameters: {_describe(raw)}"
    )
    event = raw.get("event")
    if not isinstance(event, str) or event.upper() not in EVENTS:
        raise BindingError(f"{unable} (event must be *, INSERT, UPDATE or DELETE)")
    schema = raw.get("schema", SCHEMA)
    if schema not in (SCHEMA, "*"):
        raise BindingError(f"{unable} (only the public schema has tables)")
    table_name = raw.get("table")
    table: Table | None = None
    if table_name not in (None, "*"):
        table = TABLES.get(table_name) if isinstance(table_name, str) else None
        if table is None:
            raise BindingError(f"{unable} (no such table)")
    text = raw.get("filter")
    if text is not None and not isinstance(text, str):
        raise BindingError("Error parsing `filter` params: the filter must be a string")
    row_filter = None
    if text is not None and text.strip():
        if table is None:
            raise BindingError("Error parsing `filter` params: a filter needs a table")
        try:
            row_filter = parse_binding_filter(table, text.strip())
        except DataError as error:
            reason = error.message + (f" ({error.details})" if error.details else "")
            raise BindingError(f"Error parsing `filter` params: {reason}") from None
    return Binding(binding_id, table, event.upper(), row_filter)


def _frame(vsn: Vsn, topic: str, ids: tuple[int, ...], data_json: str) -> bytes:
    payload = f'{{"ids":{dumps(list(ids))},"data":{data_json}}}'
    if vsn is Vsn.V1:
        text = (
            f'{{"topic":{dumps(topic)},"event":"postgres_changes","payload":{payload},"ref":null}}'
        )
    else:
        text = f'[null,null,{dumps(topic)},"postgres_changes",{payload}]'
    return text_frame(text.encode())


class ChangeFeed:
    def __init__(self) -> None:
        # table name -> channel join (member id) -> that join's bindings for the table.
        self._by_table: dict[str, dict[int, tuple[ChannelJoin, tuple[Binding, ...]]]] = {
            name: {} for name in TABLES
        }

    def listen(
        self, channel: ChannelJoin, raw_bindings: list[JsonObject], ids: list[int]
    ) -> tuple[int, list[str]]:
        """Register a join's bindings; returns how many are served and why the others are not."""
        bindings: list[Binding] = []
        errors: list[str] = []
        for raw, binding_id in zip(raw_bindings, ids, strict=True):
            try:
                bindings.append(parse_binding(raw, binding_id))
            except BindingError as error:
                errors.append(str(error))
        for name, table in TABLES.items():
            relevant = tuple(b for b in bindings if b.table is None or b.table is table)
            if relevant:
                self._by_table[name][channel.member_id] = (channel, relevant)
        return len(bindings), errors

    def forget(self, channel: ChannelJoin) -> None:
        for listeners in self._by_table.values():
            listeners.pop(channel.member_id, None)

    def deliver(self, db_events: RateCounter, changes: Iterable[Change]) -> int:
        """Send each change to the joins whose bindings match; returns the frames written.

        As the server's poller (replication_poller.ex:404-421): postgres_changes have the
        tenant's own `db_events` counter; while it is triggered a poll's changes are skipped
        (channels stay open), otherwise each change adds its matching subscriptions."""
        changes = [change for change in changes if self._by_table[change.table.name]]
        if changes and db_events.is_triggered():
            log.warning("postgres_changes skipped: too many postgres changes messages per second")
            return 0
        reached = 0
        for change in changes:
            listeners = self._by_table[change.table.name]
            row = change.filtered_row
            frames: dict[tuple[Vsn, str, tuple[int, ...]], bytes] = {}
            for channel, bindings in list(listeners.values()):
                ids = tuple(dict.fromkeys(b.id for b in bindings if b.matches(change, row)))
                if not ids:
                    continue
                db_events.add(len(ids))
                key = (channel.peer.vsn, channel.topic, ids)
                frame = frames.get(key)
                if frame is None:
                    frame = frames[key] = _frame(key[0], key[1], ids, change.data_json)
                if channel.peer.write(frame):
                    reached += 1
        return reached
