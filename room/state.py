"""The room as the panes show it: a pure, immutable model the network layer feeds.

Widgets render from a ``RoomState``; every change makes a new one (``dataclasses.replace``),
so a pane never sees a half-applied update and tests can build any room by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from room.chapters import Chapter
from room.member_drift import OffReason
from room.queue.items import QueueItem
from room.queue.waiting import Readiness

COMMENT_WINDOW = 500
"""How many comments the room keeps in memory; the rest stay on the server, paged in on demand."""

MARKER_LIMIT = 200
"""How many timeline markers (comments that mark a moment) the room keeps."""


class SyncStatus(StrEnum):
    """How a member's player stands against the host's."""

    SYNCED = "synced"
    OUT_OF_SYNC = "out_of_sync"
    BUFFERING = "buffering"
    STALE = "stale"
    """Not heard from for several heartbeats: its state is unknown, not out of sync."""
    UNKNOWN = "unknown"


class ConnectionStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    username: str
    is_host: bool = False
    is_playing: bool = False
    current_time: float = 0.0
    sync: SyncStatus = SyncStatus.UNKNOWN
    last_update_ms: int | None = None
    """When ``current_time`` was true (ms since the epoch)."""
    drift_ms: float | None = None
    """Its position minus the host's as it last measured (ms); None: not measured."""
    off_reason: OffReason | None = None
    """Why it is off the host's timeline, when it says."""
    offset_s: float | None = None
    """It keeps its player this far ahead of the host's timeline (another release)."""
    readiness: Readiness | None = None
    """How it stands for the queue item ``item_id`` (None: it does not say, e.g. a browser)."""
    item_id: str | None = None

    def position_at(self, wall_ms: int | None) -> float:
        """Where the member is at ``wall_ms``: a playing member moves on from its report."""
        if wall_ms is None or not self.is_playing or self.last_update_ms is None:
            return self.current_time
        return self.current_time + max(0, wall_ms - self.last_update_ms) / 1000


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    user_id: str
    username: str
    message: str
    created_at: datetime
    video_timestamp: float | None = None
    parent_id: str | None = None
    is_system: bool = False
    is_marker: bool = False
    """Marks its moment on the timeline (the table's ``is_anchor``)."""
    seq: int | None = None
    """The server's insert order (the paging cursor); None until the server has the comment."""
    pending: bool = False
    """Written here and waiting in the outbox for the server to confirm it."""


@dataclass(frozen=True, slots=True)
class Playback:
    media_title: str | None = None
    position: float = 0.0
    duration: float | None = None
    is_playing: bool = False
    buffering: bool = False
    speed: float = 1.0
    """The room's playback speed (the host's; a follower's own nudges are not shown)."""
    chapters: tuple[Chapter, ...] = ()
    """The chapters of the media our own player has open (in order of start)."""


@dataclass(frozen=True, slots=True)
class Connection:
    status: ConnectionStatus = ConnectionStatus.CONNECTING
    detail: str = ""
    """Why we are offline or what we are waiting for, in plain words."""
    retry_in_s: float | None = None
    server: str = ""
    """Where we connect to, shown to the user (never with a key in it)."""


def readiness_for_item(member: Member, item_id: str | None) -> Readiness | None:
    """A member's readiness for the item ``item_id``: a report about another is loading."""
    if member.readiness is None or item_id is None:
        return member.readiness
    return member.readiness if member.item_id == item_id else Readiness.LOADING


@dataclass(frozen=True, slots=True)
class Waiting:
    """Whom the room waits for before it starts the current item, and until when."""

    names: tuple[str, ...]
    deadline_ms: int | None = None
    """Our wall clock (ms since the epoch) at which the room goes on without them."""


@dataclass(frozen=True, slots=True)
class QueueState:
    items: tuple[QueueItem, ...] = ()
    """In queue order."""
    current_item_id: str | None = None
    waiting: Waiting | None = None
    problem: str | None = None
    """Why our own player can't play the current item, in plain words."""

    @property
    def current_index(self) -> int | None:
        return next(
            (i for i, item in enumerate(self.items) if item.id == self.current_item_id), None
        )

    @property
    def current(self) -> QueueItem | None:
        index = self.current_index
        return None if index is None else self.items[index]

    def readiness_of(self, member: Member) -> Readiness | None:
        return readiness_for_item(member, self.current_item_id)


@dataclass(frozen=True, slots=True)
class RoomState:
    room_id: str
    self_user_id: str
    self_username: str = ""
    members: tuple[Member, ...] = ()
    comments: tuple[Comment, ...] = ()
    """A window of the room's comments, oldest first, at most ``COMMENT_WINDOW``."""
    has_older: bool = False
    """The server has comments older than the window (page them in with LoadOlderComments)."""
    has_newer: bool = False
    """The window was paged back and newer comments are not in it (LoadNewestComments)."""
    markers: tuple[Comment, ...] = ()
    """Marker comments by video time, for the progress bar."""
    playback: Playback = field(default_factory=Playback)
    connection: Connection = field(default_factory=Connection)
    members_as_of_ms: int | None = None
    """When ``members`` was drawn up (ms since the epoch): positions are shown as of then."""
    queue: QueueState = field(default_factory=QueueState)

    @property
    def host(self) -> Member | None:
        return next((member for member in self.members if member.is_host), None)

    @property
    def is_self_host(self) -> bool:
        host = self.host
        return host is not None and host.user_id == self.self_user_id

    @property
    def may_control_playback(self) -> bool:
        """The host drives playback; in a room with no host, anyone may (as the web client does)."""
        return self.host is None or self.is_self_host

    @property
    def is_connected(self) -> bool:
        return self.connection.status is ConnectionStatus.CONNECTED

    def member(self, user_id: str) -> Member | None:
        return next((member for member in self.members if member.user_id == user_id), None)

    def with_member(self, member: Member) -> RoomState:
        """Add ``member`` or replace the member with the same user id, keeping list order."""
        if self.member(member.user_id) is None:
            return replace(self, members=(*self.members, member))
        members = tuple(member if m.user_id == member.user_id else m for m in self.members)
        return replace(self, members=members)

    def without_member(self, user_id: str) -> RoomState:
        return replace(self, members=tuple(m for m in self.members if m.user_id != user_id))

    def with_comment(self, comment: Comment) -> RoomState:
        """A comment that just arrived: added once (a repeated id replaces it in place).

        The window keeps the newest ``COMMENT_WINDOW``. While it is paged back into history
        (``has_newer``) a new comment stays on the server until the feed returns to the end;
        a replacement of one already shown (say, a pending comment confirmed) still applies.
        """
        markers = _with_marker(self.markers, comment)
        if any(c.id == comment.id for c in self.comments):
            comments = tuple(comment if c.id == comment.id else c for c in self.comments)
            return replace(self, comments=comments, markers=markers)
        if self.has_newer:
            return replace(self, markers=markers)
        comments = (*self.comments, comment)
        trimmed = len(comments) > COMMENT_WINDOW
        return replace(
            self,
            comments=comments[-COMMENT_WINDOW:],
            has_older=self.has_older or trimmed,
            markers=markers,
        )

    def with_older_comments(self, page: tuple[Comment, ...], *, more: bool) -> RoomState:
        """Prepend a page of older comments (oldest first); ``more`` when older ones remain.

        If the window overflows, the newest comments leave it (``has_newer``)."""
        known = {c.id for c in self.comments}
        comments = (*(c for c in page if c.id not in known), *self.comments)
        trimmed = len(comments) > COMMENT_WINDOW
        return replace(
            self,
            comments=comments[:COMMENT_WINDOW],
            has_older=more,
            has_newer=self.has_newer or trimmed,
        )

    def with_newest_comments(self, page: tuple[Comment, ...], *, more: bool) -> RoomState:
        """Replace the window with the newest page (oldest first), keeping pending comments."""
        known = {c.id for c in page}
        pending = tuple(c for c in self.comments if c.pending and c.id not in known)
        comments = (*page, *pending)[-COMMENT_WINDOW:]
        return replace(self, comments=comments, has_older=more, has_newer=False)

    def with_markers(self, markers: tuple[Comment, ...]) -> RoomState:
        merged: tuple[Comment, ...] = ()
        for marker in markers:
            merged = _with_marker(merged, marker)
        return replace(self, markers=merged)

    def with_playback(self, playback: Playback) -> RoomState:
        return replace(self, playback=playback)

    def with_connection(self, connection: Connection) -> RoomState:
        return replace(self, connection=connection)


def _with_marker(markers: tuple[Comment, ...], comment: Comment) -> tuple[Comment, ...]:
    """``markers`` with ``comment`` in video-time order if it is a marker, at most MARKER_LIMIT."""
    if not comment.is_marker or comment.video_timestamp is None:
        return markers
    kept = [m for m in markers if m.id != comment.id]
    kept.append(comment)
    kept.sort(key=lambda a: (a.video_timestamp or 0.0, a.id))
    return tuple(kept[:MARKER_LIMIT])


MAX_THREAD_DEPTH = 4


def threaded(comments: tuple[Comment, ...]) -> Iterator[tuple[Comment, int]]:
    """Comments in reading order with their indent depth: replies under their parent.

    Top-level comments keep their order; a reply whose parent is not in the window is shown
    at the top level rather than lost.
    """
    by_id = {comment.id: comment for comment in comments}
    children: dict[str, list[Comment]] = {}
    roots: list[Comment] = []
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in by_id:
            children.setdefault(comment.parent_id, []).append(comment)
        else:
            roots.append(comment)

    def walk(comment: Comment, depth: int, seen: frozenset[str]) -> Iterator[tuple[Comment, int]]:
        yield comment, min(depth, MAX_THREAD_DEPTH)
        for child in children.get(comment.id, ()):
            if child.id not in seen:  # a reply cycle in hostile data must not loop forever
                yield from walk(child, depth + 1, seen | {child.id})

    for root in roots:
        yield from walk(root, 0, frozenset({root.id}))
