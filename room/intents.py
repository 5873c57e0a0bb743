"""What a member asks the room to do, and whether the room lets them."""

from __future__ import annotations

from dataclasses import dataclass

from room.notices import NO_CHAPTERS
from room.state import RoomState


@dataclass(frozen=True, slots=True)
class TogglePlay:
    pass


@dataclass(frozen=True, slots=True)
class SeekBy:
    seconds: float


@dataclass(frozen=True, slots=True)
class SeekTo:
    position: float


@dataclass(frozen=True, slots=True)
class SetOffset:
    """Keep our own player ``offset_s`` ahead of the host (our copy is another release)."""

    offset_s: float


@dataclass(frozen=True, slots=True)
class UndoSeek:
    """Back to where the room was before the last seek (again: forward to where it went)."""


@dataclass(frozen=True, slots=True)
class SkipChapter:
    """To the next chapter (``direction`` 1, PgUp) or the previous one (-1, PgDn), by
    mpv's rule (``room.chapters``): a seek like any other."""

    direction: int


@dataclass(frozen=True, slots=True)
class SetSpeed:
    """Play the room at ``rate`` (clamped to ``SPEED_RANGE``)."""

    rate: float


@dataclass(frozen=True, slots=True)
class StepSpeed:
    """One step along ``SPEED_STEPS`` (``[``: -1, ``]``: +1) from the room's speed."""

    direction: int


SPEED_RANGE = (0.5, 2.0)
SPEED_STEPS = (0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)


def stepped_speed(current: float, direction: int) -> float:
    """The next step up (``direction`` > 0) or down from ``current``, within the range."""
    if direction > 0:
        return next((step for step in SPEED_STEPS if step > current + 1e-6), SPEED_STEPS[-1])
    return next((step for step in reversed(SPEED_STEPS) if step < current - 1e-6), SPEED_STEPS[0])


def clamped_speed(rate: float) -> float:
    low, high = SPEED_RANGE
    return min(high, max(low, rate))


@dataclass(frozen=True, slots=True)
class PostComment:
    message: str
    parent_id: str | None = None
    is_marker: bool = False
    """Mark the moment: the comment shows as a marker on the progress bar."""
    video_timestamp: float | None = None
    """The video time the comment is about (where the player was when the user started
    writing); None: wherever the player is when the comment is sent."""


@dataclass(frozen=True, slots=True)
class LoadOlderComments:
    """Page the comment window back by one page of history."""


@dataclass(frozen=True, slots=True)
class LoadNewestComments:
    """Return the comment window to the newest comments."""


@dataclass(frozen=True, slots=True)
class ClaimHost:
    """Take the host role in a room that has none."""


@dataclass(frozen=True, slots=True)
class RequestHost:
    """Ask the current host to hand the role over."""


@dataclass(frozen=True, slots=True)
class HandOverHost:
    user_id: str


@dataclass(frozen=True, slots=True)
class AddToQueue:
    source: str
    """A file path or an http(s) URL."""
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveFromQueue:
    item_id: str


@dataclass(frozen=True, slots=True)
class MoveInQueue:
    item_id: str
    by: int
    """-1: one place up (earlier), 1: one place down."""


@dataclass(frozen=True, slots=True)
class PlayItem:
    item_id: str


@dataclass(frozen=True, slots=True)
class NextItem:
    pass


@dataclass(frozen=True, slots=True)
class PreviousItem:
    pass


@dataclass(frozen=True, slots=True)
class GoOnWithoutWaiting:
    """Start the item now, without the members the room still waits for."""


QUEUE_INTENTS = (
    AddToQueue,
    RemoveFromQueue,
    MoveInQueue,
    PlayItem,
    NextItem,
    PreviousItem,
    GoOnWithoutWaiting,
)

Intent = (
    TogglePlay
    | SeekBy
    | SeekTo
    | UndoSeek
    | SkipChapter
    | SetOffset
    | SetSpeed
    | StepSpeed
    | PostComment
    | LoadOlderComments
    | LoadNewestComments
    | ClaimHost
    | RequestHost
    | HandOverHost
    | AddToQueue
    | RemoveFromQueue
    | MoveInQueue
    | PlayItem
    | NextItem
    | PreviousItem
    | GoOnWithoutWaiting
)
PLAYBACK_INTENTS = (TogglePlay, SeekBy, SeekTo, UndoSeek, SkipChapter, SetSpeed, StepSpeed)


def refusal(state: RoomState, intent: Intent) -> str | None:
    """Why ``intent`` can't be done now, in words for the user; None when it can.

    A comment needs no connection: written offline, it waits in the outbox."""
    if isinstance(intent, PostComment):
        return "The comment is empty." if not intent.message.strip() else None
    if isinstance(intent, SetOffset):
        return None  # our own player only: offline too
    if not state.is_connected:
        detail = f" ({state.connection.detail})" if state.connection.detail else ""
        return f"Not connected to the room{detail}: try again once connected."
    host = state.host
    if isinstance(intent, PLAYBACK_INTENTS) and not state.may_control_playback:
        assert host is not None
        return f"{host.username} is the host and controls playback. Press h to ask for the role."
    if isinstance(intent, SkipChapter) and not state.playback.chapters:
        return NO_CHAPTERS
    if isinstance(intent, SetSpeed | StepSpeed) and host is None:
        return "The room's speed is the host's to set: press h to take the role."
    if isinstance(intent, ClaimHost) and host is not None and not state.is_self_host:
        return f"{host.username} is already the host. Press h to ask for the role."
    if isinstance(intent, HandOverHost):
        if not state.is_self_host:
            return "Only the host can hand the host role over."
        if intent.user_id == state.self_user_id or state.member(intent.user_id) is None:
            return "Pick another member of the room to hand the host role to."
    if isinstance(intent, QUEUE_INTENTS):
        return _queue_refusal(state, intent)
    if isinstance(intent, RequestHost) and (host is None or state.is_self_host):
        return "There is no other host to ask: press h to take the role."
    return None


def _queue_refusal(state: RoomState, intent: Intent) -> str | None:
    if not state.is_self_host:
        who = f"{state.host.username} is the host" if state.host else "The room has no host"
        return f"{who}: only the host changes the queue. Press h for the role."
    queue = state.queue
    if isinstance(intent, AddToQueue) and not intent.source.strip():
        return "Type a file path or a URL to add."
    if isinstance(intent, NextItem):
        index = queue.current_index
        if not queue.items or (index is not None and index + 1 >= len(queue.items)):
            return "There is no next item in the queue."
    if isinstance(intent, PreviousItem) and not queue.current_index:
        return "There is no previous item in the queue."
    if isinstance(intent, GoOnWithoutWaiting) and queue.waiting is None:
        return "The room is not waiting for anyone."
    return None
