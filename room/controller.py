"""The contract between the app and whatever runs the room (the network layer, or a test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from room.intents import Intent
from room.state import RoomState

StateSink = Callable[[RoomState], None]
NoticeSink = Callable[[str], None]


class RoomController(Protocol):
    """Runs a room: feeds the app new room states and notices, and carries out intents.

    ``start`` is given two sinks; both may be called from the app's event loop only.
    """

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None: ...

    async def submit(self, intent: Intent) -> None: ...

    async def stop(self) -> None: ...
