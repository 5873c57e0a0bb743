"""The video, drawn as half-block cells; frames arrive ready-made as strips."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.filter import LineFilter
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.video_cells import CellFrame

HALF_BLOCK = "▀"

_STYLES: dict[int, Style] = {}


def cell_style(top: int, bottom: int) -> Style:
    """The style of a cell, from a fixed table: at most 240 x 240 styles ever exist, so
    Rich's and Textual's style caches stay small and warm."""
    key = top << 8 | bottom
    style = _STYLES.get(key)
    if style is None:
        style = Style(color=Color.from_ansi(top), bgcolor=Color.from_ansi(bottom))
        _STYLES[key] = style
    return style


def strips_of(cells: CellFrame) -> tuple[Strip, ...]:
    """One immutable strip a row, runs of equal cells merged (built off the UI thread)."""
    return tuple(
        Strip(
            [Segment(HALF_BLOCK * length, cell_style(t, b)) for t, b, length in cells.runs(row)],
            cells.columns,
        )
        for row in range(cells.rows)
    )


@dataclass(frozen=True, slots=True)
class PaintedFrame:
    """A frame ready to show: its strips, and when mpv meant it to be seen."""

    number: int
    columns: int
    rows: int
    strips: tuple[Strip, ...]
    due_at: float


@dataclass
class PaintStats:
    received: int = 0
    painted: int = 0
    offsets_s: list[float] = field(default_factory=list)
    """Paint instant minus due instant of each painted frame (kept for the benchmark)."""
    keep_offsets: bool = False


class VideoView(Widget):
    """Shows the newest frame it was given, or `notice` when there is none."""

    DEFAULT_CSS = """
    VideoView { width: 1fr; height: 1fr; background: black; color: $text-muted; }
    """

    notice: reactive[str] = reactive("")

    class FrameReady(Message):
        """A converted frame; a newer one waiting in the queue replaces it unseen."""

        def __init__(self, frame: PaintedFrame) -> None:
            super().__init__()
            self.frame = frame

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, VideoView.FrameReady)

    class Resized(Message):
        """The view's size in cells changed (the renderer wants it in pixels: rows x 2)."""

        def __init__(self, columns: int, rows: int) -> None:
            super().__init__()
            self.columns = columns
            self.rows = rows

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frame: PaintedFrame | None = None
        self.stats = PaintStats()
        self._last_painted = -1

    def on_resize(self) -> None:
        self.post_message(self.Resized(self.size.width, self.size.height))

    def on_video_view_frame_ready(self, message: FrameReady) -> None:
        message.stop()
        self.stats.received += 1
        self.frame = message.frame
        self.refresh()

    def clear_frame(self) -> None:
        self.frame = None
        self._last_painted = -1
        self.refresh()

    def get_line_filters(self) -> Sequence[LineFilter]:
        # The app's ANSI-to-truecolour filter keeps a 1,024-entry cache that video thrashes;
        # these cells are palette colours already and need no filtering.
        return ()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        frame = self.frame
        if frame is None:
            return self._notice_line(y, width)
        if y == 0 and frame.number != self._last_painted:
            self._last_painted = frame.number
            self.stats.painted += 1
            if self.stats.keep_offsets:
                self.stats.offsets_s.append(time.monotonic() - frame.due_at)
        if y >= len(frame.strips):
            return Strip.blank(width, Style(bgcolor=Color.from_ansi(16)))
        strip = frame.strips[y]
        return strip if frame.columns == width else strip.crop_extend(0, width, None)

    def _notice_line(self, y: int, width: int) -> Strip:
        style = self.rich_style
        if not self.notice or y != self.size.height // 2:
            return Strip.blank(width, style)
        text = self.notice[:width].center(width)
        return Strip([Segment(text, style)], width)
