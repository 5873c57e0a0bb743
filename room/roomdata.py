"""What a session keeps in the room's tables: history, its outbox, its member row, the room row.

``RoomSession`` owns one ``RoomData`` and calls it at the moments that matter (joined, a
comment written, a host action, leaving). Nothing here touches the room state: it returns
rows and the session decides what the panes show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from room import events
from room.outbox import Outbox
from room.tables import CommentPage, RoomTables, TableError
from room.wire import CommentRow

log = logging.getLogger(__name__)

MEMBER_REFRESH_S = 30.0
"""How often our member row is refreshed when nothing changed in kind (see docs/data.md)."""
RETRY_S = 5.0
"""How long a comment waits before the outbox tries the server again."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class RoomData:
    def __init__(self, tables: RoomTables, outbox: Outbox, user_id: str) -> None:
        self.tables = tables
        self.outbox = outbox
        self.user_id = user_id
        self._flushing = asyncio.Lock()
        self._member_kind: tuple[Any, ...] | None = None
        self._member_saved_at = 0.0

    @property
    def room_id(self) -> str:
        return self.tables.room_id

    # --- joining and leaving ------------------------------------------------------------

    def joining(self) -> None:
        """The channel is joined and ``join`` will follow: writes made from now on (a host
        claimed on joining writes the room's row) wait for our member row."""
        self.tables.writes.hold()

    async def join(self, member: dict[str, Any]) -> tuple[CommentPage, list[CommentRow]]:
        """Create the room's row if needed, write our member row, and read the newest
        comments and the timeline's markers."""
        self.joining()
        try:
            await self.tables.ensure_room()
            await self.save_member(member, force=True)
        finally:
            self.tables.writes.release()
        page = await self.tables.comments_before(None)
        markers = await self.tables.markers()
        return page, markers

    async def save_member(self, member: dict[str, Any], *, force: bool = False) -> None:
        """Write our member row when it changed in kind, or every ``MEMBER_REFRESH_S``."""
        kind = (member.get("username"), member.get("is_host"), member.get("is_synced"))
        now = time.monotonic()
        if (
            not force
            and kind == self._member_kind
            and now - self._member_saved_at < MEMBER_REFRESH_S
        ):
            return
        row = {**member, "user_id": self.user_id, "last_heartbeat": now_iso()}
        await self.tables.upsert_member(row)
        self._member_kind, self._member_saved_at = kind, now

    async def leave(self) -> None:
        await self.tables.delete_member(self.user_id)
        self._member_kind = None

    # --- the room row -------------------------------------------------------------------

    async def save_playback(
        self,
        *,
        host_user_id: str | None,
        current_time: float,
        is_playing: bool,
        media_url: str | None,
        at_ms: int,
    ) -> None:
        """Write the room's playback as of ``at_ms`` (our wall clock, ms since the epoch: the
        ``sent_at`` of the broadcast for the same action, so followers can match the two)."""
        fields: dict[str, Any] = {
            "host_user_id": host_user_id,
            "current_time": current_time,
            "is_playing": is_playing,
            "updated_at": datetime.fromtimestamp(at_ms / 1000, UTC).isoformat(),
        }
        if media_url is not None:
            fields["media_url"] = media_url
        await self.tables.update_room(fields)

    async def save_item(
        self,
        *,
        host_user_id: str | None,
        item_id: str,
        anime_id: str | None,
        episode_number: int | None,
        media_url: str | None,
        at_ms: int,
    ) -> None:
        """The room moved to a queue item: the row names it, paused at its start."""
        fields: dict[str, Any] = {
            "host_user_id": host_user_id,
            "current_item_id": item_id,
            "anime_id": anime_id,
            "episode_number": episode_number,
            "current_time": 0.0,
            "is_playing": False,
            "updated_at": datetime.fromtimestamp(at_ms / 1000, UTC).isoformat(),
        }
        if media_url is not None:
            fields["media_url"] = media_url
        await self.tables.update_room(fields)

    # --- comments -----------------------------------------------------------------------

    async def queue_comment(self, row: dict[str, Any]) -> None:
        """Keep ``row`` on disk until the server has it (call ``deliver`` to send)."""
        await self.outbox.add(self.room_id, row)

    async def deliver(self, on_stored: Callable[[CommentRow, bool], None]) -> str | None:
        """Send every waiting comment, oldest first. ``on_stored(row, first_time)`` for each
        the server confirmed. Returns why it stopped early (the rest waits), or None."""
        problem: str | None = None
        async with self._flushing:
            for row in await self.outbox.pending(self.room_id, self.user_id):
                try:
                    stored = await self.tables.insert_comment(row)
                except TableError as error:
                    log.warning("comment %s waits in the outbox: %s", row.get("id"), error)
                    problem = problem or str(error)
                    if error.retryable:
                        break  # the server is away: the rest would fail the same way
                    continue  # refused (it stays on disk and is tried again next time)
                await self.outbox.remove(row["id"])
                first_time = stored is not None
                if stored is None:  # the server had it already (sent before a crash)
                    stored = CommentRow.model_validate({**row, "room_id": self.room_id})
                on_stored(stored, first_time)
        return problem

    async def older(self, before_seq: int | None) -> CommentPage:
        return await self.tables.comments_before(before_seq)

    async def newest(self) -> CommentPage:
        return await self.tables.comments_before(None)

    async def announce_comment(self, row: CommentRow) -> None:
        """Tell browsers that listen only to broadcasts (the server sends ``new_comment``)."""
        await self.tables.broadcast(
            events.NEW_COMMENT, row.model_dump(mode="json", exclude={"seq"})
        )
