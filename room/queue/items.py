"""Queue rows (``queue_items`` in docs/data.md) as the client sees them, and which of them a
member's app may open by itself.

A row comes from the network, so its ``source`` and ``title`` are untrusted: validated here
once, shown literally by the TUI, and opened only when ``may_open`` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, ValidationError

from room.wire import MediaTime, ShortText, UserId, WireModel, describe_error

log = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 2048
"""``queue_items.source`` (the hub's schema and the migration hold the same number)."""
MAX_TITLE_CHARS = 512
OPENED_BY_ITSELF = ("http://", "https://")
"""Sources a member's app opens without the member's own say-so: they name nothing on the
member's machine. Paths, ``file://`` and mpv's other protocols (``ytdl://``, ``lavfi://``,
``av://``, ``dvd://``...) do, so they need ``room.open_paths``."""


class QueueItemRow(WireModel):
    """A row of ``queue_items``, as REST reads and postgres_changes deliver it."""

    id: Annotated[str, Field(min_length=1, max_length=128)]
    room_id: ShortText | None = None
    position: float = Field(default=0.0, allow_inf_nan=False)
    source: Annotated[str, Field(min_length=1, max_length=MAX_SOURCE_CHARS)]
    title: Annotated[str, Field(max_length=MAX_TITLE_CHARS)] | None = None
    duration: MediaTime | None = None
    anime_id: ShortText | None = None
    episode_number: int | None = None
    added_by: UserId | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: str
    source: str
    position: float = 0.0
    title: str | None = None
    duration: float | None = None
    anime_id: str | None = None
    episode_number: int | None = None

    @property
    def shown_title(self) -> str:
        return self.title or self.source


def item_of(row: QueueItemRow) -> QueueItem:
    return QueueItem(
        id=row.id,
        source=row.source,
        position=row.position,
        title=row.title,
        duration=row.duration,
        anime_id=row.anime_id,
        episode_number=row.episode_number,
    )


def parse_rows(data: object) -> list[QueueItem]:
    """The valid rows of a REST answer; the others are logged and left out."""
    items = []
    for raw in data if isinstance(data, list) else []:
        try:
            items.append(item_of(QueueItemRow.model_validate(raw)))
        except ValidationError as error:
            log.warning("dropped a queue row the server sent: %s", describe_error(error))
    return items


def in_order(items: Iterable[QueueItem]) -> tuple[QueueItem, ...]:
    return tuple(sorted(items, key=lambda item: (item.position, item.id)))


def loaded_title(title: str | None, source: str) -> str | None:
    """A title the player reported for ``source``, fit to store in the row: without control
    characters (PostgreSQL refuses NUL in text), at most ``MAX_TITLE_CHARS``; None when it
    says nothing the source does not."""
    if title is None:
        return None
    printable = "".join(char for char in title if ord(char) >= 32 and ord(char) != 127)
    printable = printable.strip()[:MAX_TITLE_CHARS]
    return printable if printable and printable != source else None


def may_open(source: str, *, open_paths: bool) -> str | None:
    """Why our app must not open ``source`` by itself (None: it may).

    A URL on the web is safe to hand to mpv; anything that names the member's own disk or
    devices is opened only when the member allowed it in their own config."""
    if any(ord(char) < 32 or ord(char) == 127 for char in source):
        return "its source has control characters in it"
    if source.startswith(OPENED_BY_ITSELF):
        return None
    if open_paths:
        return None
    return (
        "it is a file path or a non-web address on this machine; set room.open_paths = true "
        "in your config to open such items from the queue"
    )
