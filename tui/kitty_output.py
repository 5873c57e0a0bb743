"""The terminal side of the pane's kitty graphics, on the app's loop thread.

A frame's sequences go through Textual's own output (`terminal_write`): its driver queues
whole strings for its writer thread, and Textual draws the screen from this same thread, so a
frame never lands inside another write. The pane's cells are `placeholder_strips`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from tui.kitty_graphics import MAX_GRID, ImageId, delete, placeholder_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GraphicsFrame:
    """A frame as kitty graphics sequences for a placeholder of `columns` x `rows` cells."""

    number: int
    columns: int
    rows: int
    sequences: str
    due_at: float


TerminalWrite = Callable[[str], None]
Backlog = Callable[[], int]

MAX_BACKLOG = 8
"""Writes Textual's writer thread may have waiting before a frame is dropped rather than
queued: its queue holds 30 and then blocks the app's loop (a screen update is 3 writes)."""


def terminal_write(widget: Widget) -> TerminalWrite:
    """Write through the app's driver, the one output Textual itself draws with (Textual 8
    has no public name for it: `App._driver`, as its own `copy_to_clipboard` uses)."""
    app = widget.app

    def write(data: str) -> None:
        driver = app._driver
        if driver is None:
            raise RuntimeError("the app has no terminal")
        driver.write(data)

    return write


def terminal_backlog(widget: Widget) -> Backlog:
    """How many writes wait in Textual's writer thread (`LinuxDriver._writer_thread`, a
    queue of whole strings); 0 when this Textual has none to ask."""
    app = widget.app

    def backlog() -> int:
        queue = getattr(getattr(app._driver, "_writer_thread", None), "_queue", None)
        size = getattr(queue, "qsize", None)
        return int(size()) if callable(size) else 0

    return backlog


class KittyOutput:
    """Sends the pane's frames, deletes its image, and asks once for the fallback to cells."""

    def __init__(
        self,
        write: TerminalWrite,
        image: ImageId,
        *,
        tmux: bool,
        on_failure: Callable[[str], None],
        backlog: Backlog = lambda: 0,
    ) -> None:
        self.image = image
        self.tmux = tmux
        self._write = write
        self._on_failure = on_failure
        self._backlog = backlog
        self.dropped = 0
        """Frames not sent because the terminal was still taking earlier writes."""
        self.shown = False
        """Whether an image has been sent (and not deleted since)."""
        self.failed = False

    def show(self, frame: GraphicsFrame) -> bool:
        """Send `frame`; False when it was dropped (a slow terminal) or can't be sent (then
        the fallback was asked for, once)."""
        if self.failed:
            return False
        if self._backlog() >= MAX_BACKLOG:
            self.dropped += 1  # a slow terminal costs frames, never the app's loop
            return False
        try:
            self._write(frame.sequences)
        except Exception as error:
            self.fail(f"writing to the terminal failed: {error}")
            return False
        self.shown = True
        return True

    def delete(self) -> None:
        """Delete the image and free its data in the terminal, if one was sent."""
        if not self.shown:
            return
        self.shown = False
        try:
            self._write(delete(self.image, tmux=self.tmux))
        except Exception as error:
            # Leaving the app clears the screen; the image is then only memory in the terminal.
            self.failed = True
            log.info("could not delete the kitty image: %s", error)

    def fail(self, reason: str) -> None:
        if not self.failed:
            self.failed = True
            self._on_failure(reason)


def placeholder_strips(image: ImageId, columns: int, rows: int) -> tuple[Strip, ...]:
    """The pane's placeholder cells: `columns` x `rows` (at most kitty's 297 each; the rest
    of a larger pane stays black), the image id in the foreground colour."""
    style = Style(color=Color.from_ansi(image.colour), bgcolor=Color.from_ansi(16))
    shown_columns, shown_rows = min(columns, MAX_GRID), min(rows, MAX_GRID)
    blank = Style(bgcolor=Color.from_ansi(16))
    strips = []
    for text in placeholder_rows(image, shown_columns, shown_rows):
        segments = [Segment(text, style)]
        if columns > shown_columns:
            segments.append(Segment(" " * (columns - shown_columns), blank))
        strips.append(Strip(segments, columns))
    strips += [Strip.blank(columns, blank)] * (rows - shown_rows)
    return tuple(strips)
