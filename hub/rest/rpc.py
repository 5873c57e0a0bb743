"""`POST /rest/v1/rpc/broadcast_room_event`: the one function the room calls.

On Supabase (supabase/migrations/*_broadcast_room_event.sql) it checks its arguments and runs
`realtime.send(p_payload, p_event_type, 'room:' || p_room_id, false)`; here the broadcast goes
straight into the hub's fan-out, to every subscriber of the public channel `room:{p_room_id}`.
The same argument checks (an event type of 1 to 64 characters, an object payload: 22023), and
like realtime.send an `id` added to the payload when it has none, and `meta: {id}`. Only a
member of the room may call it (42501, with the migration's message and hint), and, as
everywhere on the hub, a payload's `user_id` must be the caller's own.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from hub.channels import TOPIC_PREFIX
from hub.data.errors import DataError, invalid_text
from hub.data.filters import Filter
from hub.data.ops import Select
from hub.data.rules import Caller
from hub.data.schema import TABLES
from hub.hub_state import HubState
from hub.protocol import dumps
from hub.rooms import EncodedOnce

log = logging.getLogger("hub.rest")

FUNCTION = "broadcast_room_event"
PARAMETERS = ("p_room_id", "p_event_type", "p_payload")


def _not_found(name: str, args: list[str]) -> DataError:
    shown = name[:80]
    listed = ", ".join(sorted(a[:40] for a in args))
    return DataError(
        404,
        "PGRST202",
        f"Could not find the function public.{shown}({listed}) in the schema cache",
        f"Searched for the function public.{shown} with parameters {listed or 'none'}, but no "
        "matches were found in the schema cache.",
        f"Perhaps you meant to call the function public.{FUNCTION}",
    )


async def _is_member(hub: HubState, room_id: str, user_id: str) -> bool:
    members = TABLES["room_members"]
    where = tuple(
        Filter(column, members.names.index(column.name), "eq", value)
        for column, value in (
            (members.columns[members.names.index("room_id")], room_id),
            (members.columns[members.names.index("user_id")], user_id),
        )
    )
    if hub.store is None:
        raise DataError(503, "PGRST000", "The hub's database is not open")
    result = await hub.store.read(Select(members, (0,), where, limit=1))
    return bool(result.rows)


async def broadcast_room_event(hub: HubState, caller: Caller, name: str, body: Any) -> None:
    args = list(body) if isinstance(body, dict) else []
    if name != FUNCTION or sorted(args) != sorted(PARAMETERS):
        raise _not_found(name, args)
    if caller.role == "anon":
        # Granted to authenticated only (the migration revokes it from public and anon).
        raise DataError(401, "42501", f"permission denied for function {FUNCTION}")
    room_id, event, payload = (body[p] for p in PARAMETERS)
    for value in (room_id, event):
        if not isinstance(value, str):
            raise invalid_text("text", dumps(value)[:80])
    if not caller.bypasses_rules and (
        caller.user_id is None or not await _is_member(hub, room_id, caller.user_id)
    ):
        raise DataError(
            403,
            "42501",
            f"broadcast_room_event: you are not a member of room {room_id[:80]}",
            hint="Join the room (insert your room_members row) before broadcasting to it.",
        )
    if not 1 <= len(event) <= 64:
        raise DataError(
            400, "22023", "broadcast_room_event: the event type must be 1 to 64 characters"
        )
    if not isinstance(payload, dict):
        raise DataError(400, "22023", "broadcast_room_event: the payload must be a JSON object")
    claimed = payload.get("user_id")
    if not caller.bypasses_rules and claimed is not None and claimed != caller.user_id:
        raise DataError(
            403, "42501", "broadcast_room_event: the payload's user_id must be your own"
        )
    message_id = str(uuid.uuid4())
    payload = payload if "id" in payload else {**payload, "id": message_id}
    broadcast = {
        "type": "broadcast",
        "event": event,
        "payload": payload,
        "meta": {"id": message_id},
    }
    if len(dumps(broadcast).encode()) > hub.settings.max_payload_bytes:
        raise DataError(
            413,
            "54000",
            "broadcast payload too large",
            f"A broadcast payload is at most {hub.settings.max_payload_bytes} bytes.",
        )
    # As realtime.send's broadcast (replication_connection.ex:418-432, check_rate_limit 501-506):
    # dropped while the tenant's message limit is triggered, else counted once, then each
    # delivery counts. The call itself succeeds either way (the message row was written).
    if hub.events.is_triggered():
        log.warning("broadcast_room_event dropped: too many messages per second")
        return
    hub.events.add()
    room = hub.rooms.get((False, f"room:{room_id}"))
    if room is not None:
        message = EncodedOnce.push(f"{TOPIC_PREFIX}room:{room_id}", "broadcast", broadcast)
        hub.fan_out_broadcast(room, message, None)
