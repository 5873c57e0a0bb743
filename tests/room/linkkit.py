"""A real RoomLink (realtime-py) running against a hub, and a listener recording what it hears."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from room.backend import Backend
from room.link import LinkStatus, RoomLink

WAIT_S = 20.0


class Listener:
    """A LinkListener that records what the link hears."""

    def __init__(self) -> None:
        self.broadcasts: list[tuple[str, object]] = []
        self.statuses: list[LinkStatus] = []
        self.changed = asyncio.Event()

    def on_broadcast(self, event: str, payload: object) -> None:
        self.broadcasts.append((event, payload))
        self.changed.set()

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        pass

    def on_postgres_change(self, payload: dict[str, Any]) -> None:
        pass

    def on_status(self, status: LinkStatus) -> None:
        self.statuses.append(status)
        self.changed.set()

    async def on_joined(self) -> None:
        self.changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@contextlib.asynccontextmanager
async def running_link(
    url: str,
    key: str,
    room_id: str,
    user_id: str,
    backend: Backend | None = None,
    access_token: Callable[[], Awaitable[str | None]] | None = None,
) -> AsyncIterator[tuple[RoomLink, Listener]]:
    """A link kept running (joined, or trying to) until the block ends."""
    listener = Listener()
    link = RoomLink(
        url,
        key,
        room_id,
        user_id,
        listener,
        access_token=access_token or (backend.access_token if backend else None),
        ssl_context=backend.ssl_context if backend else None,
    )
    running = asyncio.create_task(link.run())
    try:
        yield link, listener
    finally:
        await link.stop()
        await running
