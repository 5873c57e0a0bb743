"""Wire payloads of the room channel, validated once at the edge.

Names and fields follow the room's event spec (shared with the web client); we only add
fields. Anything from the network is untrusted: ``parse_broadcast`` turns a payload into a
model or returns None and logs why, so the rest of the app only sees good values.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from room import events
from room.member_drift import DriftMs, OffsetS, Reason
from room.queue.waiting import Readiness, WaitFor
from room.sync.anchor import Anchor

log = logging.getLogger(__name__)

MAX_MEDIA_SECONDS = 7 * 24 * 3600.0
"""Longest media time we accept (a week); anything beyond is hostile or broken."""
MAX_COMMENT_CHARS = 2000
"""The ``comments.message`` limit (docs/data.md): what we post is cut to it, and so are longer
bodies that arrive (kept, not dropped). The hub's schema and the migrations hold the same
number; tests/test_comment_cap.py checks that they agree."""


def _finite_time(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a finite, non-negative number of seconds")
    return min(value, MAX_MEDIA_SECONDS)


def _cut(limit: int) -> AfterValidator:
    return AfterValidator(lambda text: text[:limit])


def _not_bool(value: Any) -> Any:
    # JSON true/false must not pass as 1/0 seconds.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


MAX_URL_CHARS = 2048


def _media_url_or_none(value: Any) -> str | None:
    """An http(s) URL we could open, or nothing: a bad URL must not cost the whole command."""
    if (
        isinstance(value, str)
        and len(value) <= MAX_URL_CHARS
        and value.startswith(("http://", "https://"))
        and not any(char.isspace() for char in value)
    ):
        return value
    return None


MediaTime = Annotated[float, BeforeValidator(_not_bool), AfterValidator(_finite_time)]
UserId = Annotated[str, Field(min_length=1, max_length=128)]
Username = Annotated[str, _cut(64)]
ShortText = Annotated[str, _cut(512)]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)


class PlaybackEvent(WireModel):
    """``play``, ``pause`` and ``seek``: the web client's fields plus the sync anchor."""

    user_id: UserId
    username: Username = ""
    current_time: MediaTime
    # Added by us: the anchor the sync engine needs. The web client ignores them.
    is_playing: StrictBool | None = None
    at: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Host clock, ms since the epoch, at which the host was at ``current_time``."""
    seq: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, gt=0, le=4)
    media: ShortText | None = None
    media_url: Annotated[str | None, BeforeValidator(_media_url_or_none)] = None
    """The host's media when it is a URL, for members who opened nothing themselves."""
    duration: MediaTime | None = None
    undo: StrictBool = False
    """A ``seek`` that undoes the sender's last seek (the host's ``u``)."""
    sent_at: int | None = Field(default=None, ge=0)
    """The host's wall clock (ms since the epoch) at the action; the ``rooms`` row written for
    it has the same ``updated_at``, so a follower can tell that UPDATE (and older ones) apart."""

    def anchor(self) -> Anchor | None:
        """The sync anchor this event carries, or None for a web client's plain command."""
        if self.is_playing is None or self.at is None or self.seq is None:
            return None
        return Anchor(
            is_playing=self.is_playing,
            current_time=self.current_time,
            at=self.at,
            seq=self.seq,
            rate=self.rate or 1.0,
        )


class MemberEvent(WireModel):
    """``member_joined`` and ``member_left``."""

    user_id: UserId
    username: Username = ""
    is_host: StrictBool | None = None


def _readiness_or_none(value: Any) -> Readiness | None:
    """A readiness we know, or none: a newer client's new state must not cost its heartbeat."""
    try:
        return Readiness(value) if isinstance(value, str) else None
    except ValueError:
        return None


ItemId = Annotated[str, Field(min_length=1, max_length=128)]


def _wait_for_or_none(value: Any) -> str | None:
    """The host's ``room.wait_for``, or none when it is not one (followers use their own)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        WaitFor.parse(value)
    except ValueError:
        return None
    return str(value)


def _timeout_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 < value <= 3600 else None


class ReadinessFields(WireModel):
    """Ours (the queue): how a member stands for the room's current item. Browsers ignore
    them; a member that sends none is not waited for."""

    readiness: Annotated[Readiness | None, BeforeValidator(_readiness_or_none)] = None
    item_id: ItemId | None = None
    """The queue item ``readiness`` is about."""


class PresenceFields(ReadinessFields):
    """What every member publishes about itself: tracked in presence and sent as heartbeat."""

    user_id: UserId
    username: Username = ""
    current_time: MediaTime = 0.0
    is_playing: StrictBool = False
    last_update: int = Field(default=0, ge=0)
    """ms since the epoch."""
    # Added by us:
    is_host: StrictBool = False
    host_since: int | None = Field(default=None, ge=0)
    """When this member became host (ms since the epoch): the newest claim wins a tie."""
    is_synced: StrictBool | None = None
    buffering: StrictBool = False
    # Drift you can see (room.member_drift): how far off, and why.
    drift_ms: DriftMs = None
    """Our position minus the host's when last measured (ms); None: not measured."""
    off_reason: Reason = None
    offset_s: OffsetS = None
    """How far ahead of the host's timeline this member keeps its player (its copy's
    content sits that much later); None: no offset."""


class HeartbeatEvent(PresenceFields):
    """``heartbeat``: ``{user_id, is_synced, ...}`` every 3 s."""

    is_synced: StrictBool = True


class CommentRow(WireModel):
    """A row of ``comments``, as in ``new_comment`` and postgres_changes."""

    id: Annotated[str, Field(min_length=1, max_length=128)]
    user_id: UserId
    username: Username = ""
    message: Annotated[str, _cut(MAX_COMMENT_CHARS)]
    room_id: ShortText | None = None
    anime_id: ShortText | None = None
    episode_number: int | None = None
    parent_id: Annotated[str, Field(max_length=128)] | None = None
    avatar_url: ShortText | None = None
    video_timestamp: MediaTime | None = None
    is_anchor: StrictBool = False
    is_system_message: StrictBool = False
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    seq: int | None = Field(default=None, ge=0)
    """The table's insert order (the paging cursor); absent in a ``new_comment`` broadcast."""
    item_id: ItemId | None = None
    """The queue item the comment is about (ours; the web client sends none)."""


class RoomRow(WireModel):
    """A row of ``rooms``, as the host writes it and postgres_changes delivers it."""

    room_id: ShortText
    host_user_id: UserId | None = None
    current_time: MediaTime = 0.0
    is_playing: StrictBool = False
    media_url: Annotated[str | None, BeforeValidator(_media_url_or_none)] = None
    updated_at: datetime | None = None
    current_item_id: ItemId | None = None


class ItemChanged(PlaybackEvent):
    """``item_change`` (ours): the host moved the room to a queue item. It carries the
    host's anchor for the item's start (paused at 0), so followers stop where they are and
    load the item before anything can start it."""

    item_id: ItemId
    source: Annotated[str, Field(min_length=1, max_length=2048)]
    title: Annotated[str, _cut(512)] | None = None
    anime_id: ShortText | None = None
    episode_number: int | None = None
    # Added later: the host's rules for the start, so every member shows the same countdown.
    wait_for: Annotated[str | None, BeforeValidator(_wait_for_or_none)] = None
    """The host's ``room.wait_for``; None (absent, or not one): followers use their own."""
    first_start_timeout_s: Annotated[float | None, BeforeValidator(_timeout_or_none)] = None
    """The host's ``room.first_start_timeout_s``."""


class HostChanged(WireModel):
    """``host_changed`` (ours): who hosts now, announced to everyone."""

    user_id: UserId
    """The new host."""
    username: Username = ""
    by_user_id: UserId | None = None
    since: int | None = Field(default=None, ge=0)
    """When the role changed hands (ms since the epoch)."""


class HostRequested(WireModel):
    """``host_request`` (ours): a member asks the host for the role."""

    user_id: UserId
    username: Username = ""


BROADCAST_MODELS: dict[str, type[WireModel]] = {
    events.PLAY: PlaybackEvent,
    events.PAUSE: PlaybackEvent,
    events.SEEK: PlaybackEvent,
    events.SYNC_ANCHOR: PlaybackEvent,
    events.SPEED: PlaybackEvent,
    events.MEMBER_JOINED: MemberEvent,
    events.MEMBER_LEFT: MemberEvent,
    events.HEARTBEAT: HeartbeatEvent,
    events.NEW_COMMENT: CommentRow,
    events.HOST_CHANGED: HostChanged,
    events.HOST_REQUEST: HostRequested,
    events.ITEM_CHANGE: ItemChanged,
}


def describe_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "payload"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_broadcast(event: str, payload: object) -> WireModel | None:
    """The model for a broadcast, or None (logged) when the event is unknown or invalid."""
    model = BROADCAST_MODELS.get(event)
    if model is None:
        return None  # events we don't handle (the sync engine's pings have their own parser)
    if not isinstance(payload, dict):
        log.warning(
            "dropped %r broadcast: payload is %s, not an object", event, type(payload).__name__
        )
        return None
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        log.warning("dropped %r broadcast: %s", event, describe_error(error))
        return None
