"""The comment feed: history and paging, posting through the outbox, and arrivals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from room import events
from room.intents import PostComment
from room.notices import comment_notice
from room.roomdata import RETRY_S, RoomData
from room.session.context import RoomContext
from room.state import Comment
from room.tables import CommentPage, TableError
from room.wire import MAX_COMMENT_CHARS, CommentRow

log = logging.getLogger(__name__)


class VideoClock(Protocol):
    """Where our video is: comments are stamped with it."""

    def position_now(self) -> float | None: ...

    @property
    def duration(self) -> float | None: ...


def comment_of(row: CommentRow, *, pending: bool = False) -> Comment:
    return Comment(
        id=row.id,
        user_id=row.user_id,
        username=row.username or row.user_id,
        message=row.message,
        created_at=row.created_at,
        video_timestamp=row.video_timestamp,
        parent_id=row.parent_id,
        is_system=row.is_system_message,
        is_marker=row.is_anchor,
        seq=row.seq,
        pending=pending,
    )


class Comments:
    """With ``data`` (the room's tables) comments are stored and paged; without, they are
    broadcast only."""

    def __init__(self, ctx: RoomContext, video: VideoClock, data: RoomData | None) -> None:
        self.ctx = ctx
        self._video = video
        self._data = data
        self._outbox_kick = asyncio.Event()
        self._paging = False
        self.item_id: str | None = None
        """The queue item whose feed is shown: each item has its own comments and markers."""

    # --- arrivals -----------------------------------------------------------------------

    def on_comment(self, row: CommentRow, *, pending: bool = False) -> None:
        if row.item_id is not None and row.item_id != self.item_id:
            return  # another item's feed (a browser's comment, with none, shows everywhere)
        store = self.ctx.store
        comment = comment_of(row, pending=pending)
        shown = next((c for c in store.state.comments if c.id == comment.id), None)
        if shown is not None and not pending and comment.seq is None and shown.seq is not None:
            # The broadcast and the table's INSERT both bring it: keep the one with the cursor.
            comment = replace(comment, seq=shown.seq)
        store.set(store.state.with_comment(comment))
        if shown is None and not row.is_system_message and row.user_id != self.ctx.user_id:
            self.ctx.notices.notice(comment_notice(row.username, row.message))

    async def load(self, member_row: dict[str, Any]) -> None:
        """Joined: write our member row, read the history and markers, send the outbox."""
        if self._data is None:
            return
        try:
            page, markers = await self._data.join(member_row)
        except TableError as error:
            self.ctx.notices.notice(f"Comment history is unavailable: {error}", force=True)
            return
        self._show_page(page, newest=True)
        store = self.ctx.store
        store.set(store.state.with_markers(tuple(comment_of(row) for row in markers)))
        self._outbox_kick.set()

    def switch_item(self, item_id: str | None) -> None:
        """The room moved to another queue item: show its feed and markers."""
        if item_id == self.item_id:
            return
        self.item_id = item_id
        store = self.ctx.store
        store.set(replace(store.state, comments=(), markers=(), has_older=False, has_newer=False))
        if self._data is not None:
            self._data.tables.item_id = item_id
            self.ctx.tasks.spawn(self._reload())

    async def _reload(self) -> None:
        assert self._data is not None
        try:
            page = await self._data.newest()
            markers = await self._data.tables.markers()
        except TableError as error:
            self.ctx.notices.notice(f"This item's comments are unavailable: {error}", force=True)
            return
        self._show_page(page, newest=True)
        store = self.ctx.store
        store.set(store.state.with_markers(tuple(comment_of(row) for row in markers)))

    def _show_page(self, page: CommentPage, *, newest: bool) -> None:
        store = self.ctx.store
        comments = tuple(comment_of(row) for row in page.rows)
        if newest:
            store.set(store.state.with_newest_comments(comments, more=page.more))
        else:
            store.set(store.state.with_older_comments(comments, more=page.more))

    async def page(self, *, older: bool) -> None:
        data = self._data
        if data is None or self._paging:
            return
        self._paging = True
        try:
            if older:
                comments = self.ctx.store.state.comments
                cursor = next((c.seq for c in comments if c.seq is not None), None)
                page = await data.older(cursor)
            else:
                page = await data.newest()
        except TableError as error:
            self.ctx.notices.notice(str(error), force=True)
            return
        finally:
            self._paging = False
        self._show_page(page, newest=not older)

    # --- posting ------------------------------------------------------------------------

    async def post(self, intent: PostComment) -> None:
        row = CommentRow(
            id=str(uuid.uuid4()),
            user_id=self.ctx.user_id,
            username=self.ctx.username,
            message=intent.message.strip()[:MAX_COMMENT_CHARS],
            room_id=self.ctx.store.state.room_id,
            parent_id=intent.parent_id,
            video_timestamp=self._stamp(intent.video_timestamp),
            is_anchor=intent.is_marker,
            created_at=datetime.now(UTC),
            item_id=self.item_id,
        )
        if self._data is None:
            self.on_comment(row)
            await self.ctx.link.send(events.NEW_COMMENT, row.model_dump(mode="json"))
            return
        # On disk first: from here on the comment survives a crash, a kill or a lost answer.
        await self._data.queue_comment(row.model_dump(mode="json", exclude={"seq", "created_at"}))
        self.on_comment(row, pending=True)
        self._outbox_kick.set()

    def _stamp(self, chosen: float | None) -> float | None:
        """The comment's video time: the one chosen when writing began, else now; clamped."""
        if chosen is None or not math.isfinite(chosen):
            chosen = self._video.position_now()
        if chosen is None:
            return None
        duration = self._video.duration
        if duration:
            chosen = min(chosen, duration)
        return max(0.0, chosen)

    async def run_outbox(self) -> None:
        """Send waiting comments when asked, and retry every few seconds while any wait."""
        data = self._data
        if data is None:
            return
        waiting = True  # comments left by an earlier run are sent as soon as we can
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_S if waiting else None):
                    await self._outbox_kick.wait()
            self._outbox_kick.clear()
            problem = await data.deliver(self._on_stored)
            waiting = problem is not None
            if problem is not None and self.ctx.store.state.is_connected:
                self.ctx.notices.notice(f"A comment waits to be sent: {problem}")

    def _on_stored(self, row: CommentRow, first_time: bool) -> None:
        self.on_comment(row)
        if first_time:
            self.ctx.tasks.spawn(self._announce(row))

    async def _announce(self, row: CommentRow) -> None:
        if self._data is None:
            return
        try:
            await self._data.announce_comment(row)
        except TableError as error:  # the table's INSERT reaches our own app anyway
            log.info("%s", error)
