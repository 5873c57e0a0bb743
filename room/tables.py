"""The room's three tables over Supabase's REST API (postgrest-py), for the hub and Supabase alike.

Every call the app makes is here, so ``docs/data.md`` lists the same subset the hub serves.
Failures come back as ``TableError`` with a plain reason; the caller decides whether to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from postgrest import APIError
from postgrest.types import ReturnMethod
from pydantic import ValidationError
from supabase import AsyncClient

from room.queue.items import QueueItem, parse_rows
from room.wire import CommentRow, RoomRow
from room.write_order import WriteOrder

log = logging.getLogger(__name__)

MINIMAL = ReturnMethod.minimal
PAGE_SIZE = 50
MARKER_PAGE = 200
QUEUE_LIMIT = 1000
"""Supabase's default max_rows: a queue longer than that is not read past it."""
ONLY_THE_HOST = "only the host can change the queue"

T = TypeVar("T")


class TableError(Exception):
    """A table call failed; ``str()`` says why in plain words."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class CommentPage:
    rows: tuple[CommentRow, ...]
    """Oldest first."""
    more: bool
    """Older comments remain on the server."""


async def _call(what: str, request: Awaitable[T]) -> T:
    try:
        return await request
    except APIError as error:
        # PostgREST's own words, e.g. "new row violates row-level security policy".
        code = error.code or "?"
        retryable = code.startswith("PGRST0") or code in {"57014", "53300", "08006"}
        raise TableError(f"{what}: {error.message} ({code})", retryable=retryable) from error
    except httpx.HTTPError as error:
        raise TableError(f"{what}: {error or type(error).__name__}", retryable=True) from error


def _comments(data: Any) -> list[CommentRow]:
    rows = []
    for item in data if isinstance(data, list) else []:
        try:
            rows.append(CommentRow.model_validate(item))
        except ValidationError as error:
            log.warning("dropped a comment row the server sent: %s", error.errors()[:1])
    return rows


class RoomTables:
    """``rooms``, ``room_members`` and ``comments`` for one room."""

    def __init__(self, client: AsyncClient, room_id: str) -> None:
        self.client = client
        self.room_id = room_id
        self.item_id: str | None = None
        """The queue item whose comments are read (None: the comments of no item)."""
        self.writes = WriteOrder()
        """Writes a member makes go in order, after our member row (see ``room.write_order``);
        the room's row and our member row themselves do not wait."""

    # --- rooms ---------------------------------------------------------------------------

    async def ensure_room(self) -> None:
        """Create the room's row unless it exists (the first member in creates it)."""
        request = (
            self.client.table("rooms")
            .upsert(
                {"room_id": self.room_id},
                on_conflict="room_id",
                ignore_duplicates=True,
                returning=MINIMAL,
            )
            .execute()
        )
        await _call("could not create the room", request)

    async def room(self) -> RoomRow | None:
        """The room's row (None when we may not read it, or it is not valid)."""
        request = self.client.table("rooms").select("*").eq("room_id", self.room_id).execute()
        data = (await _call("could not read the room", request)).data
        try:
            return RoomRow.model_validate(data[0]) if data else None
        except ValidationError as error:
            log.warning("dropped the room row the server sent: %s", error.errors()[:1])
            return None

    async def update_room(self, fields: dict[str, Any]) -> None:
        """Write the room's row. Row-level security refuses by matching no row, not by an
        error, so the row is asked back and an empty answer is a refusal."""
        query = self.client.table("rooms").update(fields).eq("room_id", self.room_id)
        response = await self._member_write("could not save the room's playback", query)
        if not response.data:
            raise TableError(
                "the server did not let us update the room (only its host may)", retryable=False
            )

    # --- room_members --------------------------------------------------------------------

    async def upsert_member(self, row: dict[str, Any]) -> None:
        request = (
            self.client.table("room_members")
            .upsert(
                {**row, "room_id": self.room_id},
                on_conflict="room_id,user_id",
                returning=MINIMAL,
            )
            .execute()
        )
        await _call("could not join the room's member list", request)

    async def delete_member(self, user_id: str) -> None:
        request = (
            self.client.table("room_members")
            .delete(returning=MINIMAL)
            .eq("room_id", self.room_id)
            .eq("user_id", user_id)
            .execute()
        )
        await _call("could not leave the room's member list", request)

    # --- comments ------------------------------------------------------------------------

    async def comments_before(self, seq: int | None, limit: int = PAGE_SIZE) -> CommentPage:
        """The page of comments just older than ``seq`` (the newest page when None)."""
        query = self._of_item(self.client.table("comments").select("*").eq("room_id", self.room_id))
        if seq is not None:
            query = query.lt("seq", seq)
        request = query.order("seq", desc=True).limit(limit + 1).execute()
        response = await _call("could not load comments", request)
        rows = _comments(response.data)
        return CommentPage(tuple(reversed(rows[:limit])), more=len(response.data) > limit)

    async def markers(self) -> list[CommentRow]:
        request = (
            self._of_item(self.client.table("comments").select("*").eq("room_id", self.room_id))
            .eq("is_anchor", True)
            .order("video_timestamp")
            .limit(MARKER_PAGE)
            .execute()
        )
        return _comments((await _call("could not load the timeline markers", request)).data)

    async def insert_comment(self, row: dict[str, Any]) -> CommentRow | None:
        """Store a comment once: a retry of the same id is ignored by the server.

        Returns the stored row, or None when the server already had it."""
        query = self.client.table("comments").upsert(
            {**row, "room_id": self.room_id}, on_conflict="id", ignore_duplicates=True
        )
        response = await self._member_write("could not send the comment", query)
        rows = _comments(response.data)
        return rows[0] if rows else None

    def _of_item(self, query: Any) -> Any:
        """Each queue item has its own feed and markers."""
        if self.item_id is None:
            return query.is_("item_id", "null")
        return query.eq("item_id", self.item_id)

    # --- queue_items ---------------------------------------------------------------------

    async def queue(self) -> list[QueueItem]:
        request = (
            self.client.table("queue_items")
            .select("*")
            .eq("room_id", self.room_id)
            .order("position")
            .limit(QUEUE_LIMIT)
            .execute()
        )
        return parse_rows((await _call("could not load the queue", request)).data)

    async def add_item(self, row: dict[str, Any]) -> None:
        query = self.client.table("queue_items").insert({**row, "room_id": self.room_id})
        try:
            await self._member_write("could not add to the queue", query)
        except TableError as error:
            cause = error.__cause__
            if isinstance(cause, APIError) and cause.code == "42501":
                raise TableError(f"the server refused: {ONLY_THE_HOST}", retryable=False) from cause
            raise

    async def update_item(self, item_id: str, fields: dict[str, Any]) -> None:
        query = self.client.table("queue_items").update(fields).eq("id", item_id)
        response = await self._member_write("could not change the queue", query)
        if not response.data:
            raise TableError(
                f"the server did not change the queue ({ONLY_THE_HOST})", retryable=False
            )

    async def delete_item(self, item_id: str) -> None:
        query = self.client.table("queue_items").delete().eq("id", item_id)
        response = await self._member_write("could not remove from the queue", query)
        if not response.data:
            raise TableError(
                f"the server did not change the queue ({ONLY_THE_HOST})", retryable=False
            )

    # --- rpc -----------------------------------------------------------------------------

    async def broadcast(self, event: str, payload: dict[str, Any]) -> None:
        """``broadcast_room_event``: the server sends ``event`` to everyone in the room."""
        query = self.client.rpc(
            "broadcast_room_event",
            {"p_room_id": self.room_id, "p_event_type": event, "p_payload": payload},
        )
        await self._member_write(f"could not announce {event}", query)

    async def _member_write(self, what: str, query: Any) -> Any:
        """Run a write the rules allow only to members, in its turn (``self.writes``): the
        request is made only then, so the query is passed unexecuted."""
        return await self.writes.as_member(lambda: _call(what, query.execute()))
