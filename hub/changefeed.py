"""postgres_changes: the bindings each channel join asked for, and the delivery of committed
row changes to the joins whose bindings match.

Each change reaches only the joins whose user may read the row, as Supabase Realtime applies
the tables' SELECT policies per subscriber (supabase/migrations/*_room_access.sql, the same
rules as hub.data.rules): a room's members read its rows, a member its own row, a host its
room; a join with only the API key reads nothing (anon has no privilege); the service role
reads everything. Membership is kept in memory from the change feed itself (the start-up
sweep leaves no member rows, so it starts right); a DELETE is judged on the membership
before it, so the others in the room see a member leave.

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


class Readers:
    """Who may read a changed row: the SELECT policies, on membership kept in memory."""

    def __init__(self) -> None:
        self._members: dict[str, set[str]] = {}
        members = TABLES["room_members"]
        self._member_room = members.names.index("room_id")
        self._member_user = members.names.index("user_id")
        self._host = TABLES["rooms"].names.index("host_user_id")
        self._room_of = {name: table.names.index("room_id") for name, table in TABLES.items()}

    def may_read(self, channel: ChannelJoin, change: Change) -> bool:
        if channel.service:
            return True
        user_id = channel.user_id
        if user_id is None:
            return False
        row = change.filtered_row
        table = change.table.name
        room_id = row[self._room_of[table]]
        if user_id in self._members.get(room_id, ()):
            return True
        if table == "rooms":
            return bool(row[self._host] == user_id)
        return table == "room_members" and row[self._member_user] == user_id

    def note(self, change: Change) -> None:
        """Keep the membership up to date (after the change was delivered)."""
        if change.table.name != "room_members":
            return
        if change.old is not None:
            room = self._members.get(change.old[self._member_room])
            if room is not None:
                room.discard(change.old[self._member_user])
                if not room:
                    del self._members[change.old[self._member_room]]
        if change.new is not None:
            room_id = change.new[self._member_room]
            self._members.setdefault(room_id, set()).add(change.new[self._member_user])


class ChangeFeed:
    def __init__(self) -> None:
        self.readers = Readers()
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
        changes = list(changes)
        heard = [change for change in changes if self._by_table[change.table.name]]
        if heard and db_events.is_triggered():
            log.warning("postgres_changes skipped: too many postgres changes messages per second")
            for change in changes:
                self.readers.note(change)
            return 0
        reached = 0
        for change in changes:
            listeners = self._by_table[change.table.name]
            row = change.filtered_row
            frames: dict[tuple[Vsn, str, tuple[int, ...]], bytes] = {}
            for channel, bindings in list(listeners.values()):
                ids = tuple(dict.fromkeys(b.id for b in bindings if b.matches(change, row)))
                if not ids or not self.readers.may_read(channel, change):
                    continue
                db_events.add(len(ids))
                key = (channel.peer.vsn, channel.topic, ids)
                frame = frames.get(key)
                if frame is None:
                    frame = frames[key] = _frame(key[0], key[1], ids, change.data_json)
                if channel.peer.write(frame):
                    reached += 1
            self.readers.note(change)
        return reached
