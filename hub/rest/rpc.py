"""`POST /rest/v1/rpc/broadcast_room_event`: the one function the room calls.

On Supabase (supabase/migrations/*_broadcast_room_event.sql) it checks its arguments and runs
`realtime.send(p_payload, p_event_type, 'room:' || p_room_id, false)`; here the broadcast goes
straight into the hub's fan-out, to every subscriber of the public channel `room:{p_room_id}`.
The same argument checks (an event type of 1 to 64 characters, an object payload: 22023), and
like realtime.send an `id` added to the payload when it has none, and `meta: {id}`. Not checked:
that the caller is a member of the room (the hub has no sign-in to know the caller by).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from hub.channels import TOPIC_PREFIX
from hub.data.errors import DataError, invalid_text
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


def broadcast_room_event(hub: HubState, name: str, body: Any) -> None:
    args = list(body) if isinstance(body, dict) else []
    if name != FUNCTION or sorted(args) != sorted(PARAMETERS):
        raise _not_found(name, args)
    room_id, event, payload = (body[p] for p in PARAMETERS)
    for value in (room_id, event):
        if not isinstance(value, str):
            raise invalid_text("text", dumps(value)[:80])
    if not 1 <= len(event) <= 64:
        raise DataError(
            400, "22023", "broadcast_room_event: the event type must be 1 to 64 characters"
        )
    if not isinstance(payload, dict):
        raise DataError(400, "22023", "broadcast_room_event: the payload must be a JSON object")
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
