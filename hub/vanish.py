"""Members whose presence vanished from a room lose their `room_members` row.

The app deletes its own row when it leaves; one that crashes, loses its network or is killed
cannot. So when the last presence under a key (the app's user id) leaves `room:X` (untrack,
leave, socket closed), the hub deletes the row (room_id X, user_id key), which other members
see as a postgres_changes DELETE. The delete is queued behind earlier writes, so a row the
member upserted before leaving is deleted after it was written.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from hub.channels import TOPIC_PREFIX
from hub.data.filters import Filter
from hub.data.ops import Delete
from hub.data.schema import ROOM_MEMBERS
from hub.data.store import Store
from hub.data.values import Row
from hub.presence import TopicPresence
from hub.protocol import JsonObject

log = logging.getLogger("hub.vanish")

ROOM_TOPIC = "room:"


def _eq(name: str, value: str) -> Filter:
    position = ROOM_MEMBERS.position(name)
    assert position is not None
    return Filter(ROOM_MEMBERS.columns[position], position, "eq", value)


def _logged(future: Future[list[Row]]) -> None:
    error = future.exception()
    if error is not None:
        log.warning("deleting a vanished member's row failed: %s", error)
    elif rows := future.result():
        log.info("deleted the row of vanished member %s in room %s", rows[0][2], rows[0][1])


def forget_vanished_members(
    store: Store, topic: str, presence: TopicPresence, leaves: dict[str, list[JsonObject]]
) -> None:
    sub_topic = topic.removeprefix(TOPIC_PREFIX)
    if not sub_topic.startswith(ROOM_TOPIC) or store.closed:
        return
    room_id = sub_topic.removeprefix(ROOM_TOPIC)
    for key in leaves:
        if presence.tracks(key):
            continue  # another tab or device of the same user is still here
        try:
            future = store.submit(
                Delete(ROOM_MEMBERS, (_eq("room_id", room_id), _eq("user_id", key)))
            )
        except RuntimeError:
            return  # the store is shutting down
        future.add_done_callback(_logged)
