"""The room's table writes reach the server one at a time, in the order they were made, and
none that needs membership goes before our member row.

Why: the rules (on Supabase and the hub alike, see ``docs/data.md``) let only members write
the ``rooms`` row, comments and the queue, and only the host write the queue. A host claimed
on joining (``--host``) wrote the rooms row while the join's member row was on its way; the
server refused it, and the room's row named no host, so the host's queue writes that followed
were refused too ("only the host can change the queue"). Holding only the rooms row back is
not enough: the queue writes made after the claim then overtook it, and were refused for the
same reason. So every such write waits its turn behind the ones made before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

MEMBER_ROW_WAIT_S = 10.0
"""How long writes wait for a join's member row; past it they go, and a refusal is told."""


class WriteOrder:
    """A queue of writes: ``as_member`` runs each after the one made before it has finished,
    and after our member row while a join is writing it (``hold`` .. ``release``)."""

    def __init__(self, member_wait_s: float = MEMBER_ROW_WAIT_S) -> None:
        self._member_wait_s = member_wait_s
        self._member_row = asyncio.Event()
        self._member_row.set()
        self._held_since: float | None = None
        self._last: asyncio.Future[None] | None = None

    def hold(self) -> None:
        """A join has begun: writes made from now on wait for its member row."""
        if self._held_since is None:
            self._held_since = asyncio.get_running_loop().time()
            self._member_row.clear()

    def release(self) -> None:
        """The join's member row is written (or failed to be: its writes go and are told)."""
        self._held_since = None
        self._member_row.set()

    async def as_member(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run ``write()`` in its turn and return what it returns (or raise what it raised)."""
        before = self._last
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last = mine
        try:
            if before is not None:
                await asyncio.shield(before)
            await self._member_row_written()
            return await write()
        finally:
            if before is None or before.done():
                mine.set_result(None)
            else:  # cancelled while waiting: the next still goes only after the one before
                before.add_done_callback(lambda _: mine.set_result(None))

    async def _member_row_written(self) -> None:
        if self._held_since is None:
            return
        left_s = self._held_since + self._member_wait_s - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(self._member_row.wait(), max(left_s, 0.0))
        except TimeoutError:
            log.warning("our member row is not written yet; the room's writes go anyway")
            self.release()  # the writes behind this one need not wait again
