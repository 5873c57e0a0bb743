"""The video, drawn as half-block cells (frames arrive ready-made as strips), or as kitty
graphics: then the cells are kitty's Unicode placeholders, plain text to Textual, and each frame
goes to the terminal out of band (`tui.kitty_output`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.filter import LineFilter
from textual.geometry import Offset, Region
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from tui.kitty_graphics import ImageId
from tui.kitty_output import (
    MAX_BACKLOG,
    Backlog,
    GraphicsFrame,
    KittyOutput,
    TerminalWrite,
    placeholder_strips,
    terminal_backlog,
    terminal_write,
)
from tui.video_cells import HALF_BLOCK, CellFrame

SYNC_START, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"
"""Synchronized output (DEC mode 2026), which Textual brackets its own updates in."""

_STYLES: list[Style | None] = [None] * (256 * 256)
_BLOCKS: list[str] = [HALF_BLOCK * length for length in range(1024)]


def cell_style(top: int, bottom: int) -> Style:
    """The style of a cell, from a fixed table: at most 240 x 240 styles ever exist, so
    Rich's and Textual's style caches stay small and warm."""
    return _style(top << 8 | bottom)


def _style(code: int) -> Style:
    style = _STYLES[code]
    if style is None:
        style = Style(color=Color.from_ansi(code >> 8), bgcolor=Color.from_ansi(code & 255))
        _STYLES[code] = style
    return style


class CellStrip(Strip):
    """A row of video cells that carries its terminal sequences ready-made.

    Textual writes a strip it did not cut with `render()`, which for a plain strip styles
    every run on its own (both colours, the run, a reset). This row is written as
    `tui.video_cells.row_sequences` made it on the converter thread: each colour only when it
    changes, spaces for runs of one colour, one reset at the end. The colours are palette
    entries 16-255, which Rich writes the same in 256 colours and truecolour. Cut or restyled
    by Textual (an overlay's edge), it is a plain strip of the same cells again.
    """

    __slots__ = ("_sequences",)

    def __init__(self, segments: list[Segment], cell_length: int, sequences: str) -> None:
        super().__init__(segments, cell_length)
        self._sequences = sequences

    def render(self, console: Console) -> str:
        return self._sequences


def cell_strip(runs: list[tuple[int, int]], columns: int, sequences: str) -> CellStrip:
    """A row's runs (top << 8 | bottom, length) as a strip of half-block segments, written
    to the terminal as `sequences` (the same cells)."""
    blocks, made = _BLOCKS, len(_BLOCKS)
    segments = [
        Segment(blocks[length] if length < made else HALF_BLOCK * length, _style(code))
        for code, length in runs
    ]
    return CellStrip(segments, columns, sequences)


def strips_of(cells: CellFrame, sequences: Sequence[str] | None = None) -> tuple[Strip, ...]:
    """One immutable strip a row, runs of equal cells merged; `sequences` are the rows'
    `row_sequences`, made here when not given."""
    if sequences is None:
        sequences = cells.row_sequences()
    return tuple(
        cell_strip(runs, cells.columns, row)
        for runs, row in zip(cells.row_runs(), sequences, strict=True)
    )


class PaintedFrame:
    """A frame ready to show: its cells, each row's terminal sequences (made on the converter
    thread), and when mpv meant it to be seen. Its strips, which only Textual's own drawing
    needs, are made the first time they are asked for (on the app's thread)."""

    __slots__ = ("_strips", "cells", "due_at", "number", "row_keys", "sequences")

    def __init__(
        self,
        number: int,
        cells: CellFrame,
        due_at: float,
        *,
        sequences: tuple[str, ...] | None = None,
        row_keys: tuple[bytes, ...] | None = None,
    ) -> None:
        self.number = number
        self.cells = cells
        self.due_at = due_at
        self.sequences = cells.row_sequences() if sequences is None else sequences
        self.row_keys = cells.row_keys() if row_keys is None else row_keys
        """Equal keys, equal rows: only the rows whose key changed are drawn again."""
        self._strips: tuple[Strip, ...] | None = None

    @property
    def columns(self) -> int:
        return self.cells.columns

    @property
    def rows(self) -> int:
        return self.cells.rows

    @property
    def strips(self) -> tuple[Strip, ...]:
        return self.make_strips()

    def make_strips(self) -> tuple[Strip, ...]:
        """The frame's strips, made once."""
        if self._strips is None:
            self._strips = strips_of(self.cells, self.sequences)
        return self._strips


def _unobstructed_region(
    view: Widget, visible: Mapping[Widget, tuple[Region, Region]]
) -> Region | None:
    """`view`'s region on the screen when it is wholly shown and no widget in front of it
    (`visible` lists them first) covers any of its cells; else None."""
    placed = visible.get(view)
    if placed is None:
        return None
    region, clip = placed
    if clip.intersection(region) != region or region.size != view.size:
        return None  # scrolled partly out of sight, or drawn with a border or padding
    for widget, (other, other_clip) in visible.items():
        if widget is view:
            return region
        if other.intersection(other_clip).overlaps(region):
            return None
    return None


def changed_rows(old: PaintedFrame | None, new: PaintedFrame) -> list[tuple[int, int]] | None:
    """The (first row, row count) spans that differ; None when everything must be redrawn."""
    if (
        old is None
        or (old.columns, old.rows) != (new.columns, new.rows)
        or not old.row_keys
        or len(old.row_keys) != len(new.row_keys)
    ):
        return None
    spans: list[tuple[int, int]] = []
    for row, (before, after) in enumerate(zip(old.row_keys, new.row_keys, strict=True)):
        if before == after:
            continue
        if spans and spans[-1][0] + spans[-1][1] == row:
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((row, 1))
    return spans


@dataclass
class PaintStats:
    received: int = 0
    painted: int = 0
    written_directly: int = 0
    """Frames written to the terminal by the view itself, not drawn by Textual."""
    dropped_slow: int = 0
    """Frames not sent because the terminal had not taken the earlier writes yet."""
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

    class GraphicsReady(Message):
        """A frame as kitty graphics; a newer one waiting in the queue replaces it unsent."""

        def __init__(self, frame: GraphicsFrame) -> None:
            super().__init__()
            self.frame = frame

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, VideoView.GraphicsReady)

    class GraphicsFailed(Message):
        """A frame could not be made into kitty graphics: back to cells."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

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
        self.kitty: KittyOutput | None = None
        """Set while the pane draws kitty graphics."""
        self.graphics_frame: GraphicsFrame | None = None
        self._placeholders: tuple[Strip, ...] = ()
        self._placeholders_for: tuple[ImageId, int, int] | None = None
        self._backlog: Backlog = lambda: 0
        self._write: TerminalWrite | None = None
        """Set when there is a terminal to write frames to directly (not in a headless test)."""
        self.wants_strips = True
        """Whether Textual draws the frames (not the view itself): then the converter makes
        each frame's strips too, off this thread (read there, written here: a plain flag)."""
        self._screen: Screen[object] | None = None
        self._layout_seen: object = None
        self._placed: Region | None = None

    def on_mount(self) -> None:
        self._backlog = terminal_backlog(self)
        if not self.app.is_headless:
            self._write = terminal_write(self)
            self._screen = self.screen

    def _own_cells(self) -> Offset | None:
        """Where this view's cells are on the terminal, when the frame in `self.frame` can be
        written there directly, rows and all, without Textual drawing it; else None.

        That is when the view draws cells at the frame's size on the screen being shown, and
        nothing Textual draws lies over any of it (a notification, a tooltip, a menu): the
        compositor's map, front to back (`Compositor.visible_widgets`, Textual 8's
        `_compositor.py`; it has no public name), is checked once per layout. Textual's own
        updates go through the same driver queue from this same thread, so when it draws
        the view again (a resize, a toast gone) it draws the same, current frame.
        """
        frame, screen = self.frame, self._screen
        if (
            self._write is None
            or self.kitty is not None
            or frame is None
            or screen is None
            or self.app.screen is not screen
        ):
            return None
        visible = screen._compositor.visible_widgets
        if visible is not self._layout_seen:
            self._layout_seen = visible
            self._placed = _unobstructed_region(self, visible)
        placed = self._placed  # not self.size: Textual works that out anew at every call
        if placed is None or (frame.columns, frame.rows) != placed.size:
            return None
        return placed.offset

    def _write_direct(
        self, frame: PaintedFrame, spans: list[tuple[int, int]], origin: Offset
    ) -> None:
        """Write `frame`'s rows in `spans` at `origin`, then put the cursor back where
        Textual keeps it (as its own updates end), inside synchronized output where the
        terminal has it (as Textual's updates are)."""
        write, app, screen = self._write, self.app, self._screen
        assert write is not None and screen is not None
        x, y = origin
        parts = [SYNC_START] if app._sync_available else []
        sequences = frame.sequences
        for top, height in spans:
            for row in range(top, top + height):
                parts.append(f"\x1b[{y + row + 1};{x + 1}H")
                parts.append(sequences[row])
        cursor = screen.outer_size.clamp_offset(app.cursor_position)
        parts.append(f"\x1b[{cursor.y + 1};{cursor.x + 1}H")
        if app._sync_available:
            parts.append(SYNC_END)
        write("".join(parts))

    def on_resize(self) -> None:
        self.post_message(self.Resized(self.size.width, self.size.height))

    def on_video_view_frame_ready(self, message: FrameReady) -> None:
        message.stop()
        self.stats.received += 1
        if self._backlog() >= MAX_BACKLOG:
            # A slow terminal (a thin SSH link): Textual's writer queue blocks the app's loop,
            # sync and all, once full. Keep the picture it has; a later frame goes instead.
            self.stats.dropped_slow += 1
            return
        old, new = self.frame, message.frame
        self.frame = new
        changed = changed_rows(old, new)
        if changed == []:
            self._painted(new)  # the same picture: nothing to send to the terminal
        elif (origin := self._own_cells()) is not None:
            self.wants_strips = False
            self._write_direct(new, changed or [(0, new.rows)], origin)
            self.stats.written_directly += 1
            self._painted(new)
        else:
            self.wants_strips = True
            if changed is None:
                self.refresh()
            else:
                width = self.size.width
                self.refresh(*(Region(0, top, width, height) for top, height in changed))

    def on_video_view_graphics_ready(self, message: GraphicsReady) -> None:
        message.stop()
        self.stats.received += 1
        kitty, new = self.kitty, message.frame
        if kitty is None or not kitty.show(new):
            return
        old, self.graphics_frame = self.graphics_frame, new
        if old is None or (old.columns, old.rows) != (new.columns, new.rows):
            self.refresh()  # the placeholders appear, or change size
        self._painted(new)

    def on_video_view_graphics_failed(self, message: GraphicsFailed) -> None:
        message.stop()
        if self.kitty is not None:
            self.kitty.fail(message.reason)

    def show_graphics(self, kitty: KittyOutput | None) -> None:
        """Draw kitty graphics through `kitty` from the next frame on; None: cells again."""
        if kitty is self.kitty:
            return
        if self.kitty is not None:
            self.kitty.delete()
        self.kitty = kitty
        self.graphics_frame = None
        self.refresh()

    def clear_frame(self) -> None:
        self.frame = None
        self.graphics_frame = None
        if self.kitty is not None:
            self.kitty.delete()
        self._last_painted = -1
        self.refresh()

    def get_line_filters(self) -> Sequence[LineFilter]:
        # The app's ANSI-to-truecolour filter keeps a 1,024-entry cache that video thrashes;
        # these cells are palette colours already and need no filtering.
        return ()

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's own strips, passed to Textual as they are, so that it writes each
        `CellStrip`'s ready-made sequences; anything else (a notice, kitty's placeholders, a
        frame of another size, a border or padding) goes through `render_line`."""
        frame, (width, height) = self.frame, self.size
        if (
            self.kitty is not None
            or frame is None
            or (frame.columns, frame.rows) != (width, height)
            or self.region.size != self.size
        ):
            return super().render_lines(crop)
        if frame.number != self._last_painted:
            self._painted(frame)
        strips = list(frame.strips[crop.y : crop.bottom])
        if (crop.x, crop.width) != (0, width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self.kitty is not None:
            return self._placeholder_line(y, width)
        frame = self.frame
        if frame is None:
            return self._notice_line(y, width)
        if frame.number != self._last_painted:
            self._painted(frame)
        if y >= len(frame.strips):
            return Strip.blank(width, Style(bgcolor=Color.from_ansi(16)))
        strip = frame.strips[y]
        return strip if frame.columns == width else strip.crop_extend(0, width, None)

    def _placeholder_line(self, y: int, width: int) -> Strip:
        graphics, kitty = self.graphics_frame, self.kitty
        if graphics is None or kitty is None:
            return self._notice_line(y, width)
        wanted = (kitty.image, graphics.columns, graphics.rows)
        if self._placeholders_for != wanted:
            self._placeholders = placeholder_strips(*wanted)
            self._placeholders_for = wanted
        if y >= len(self._placeholders):
            return Strip.blank(width, Style(bgcolor=Color.from_ansi(16)))
        strip = self._placeholders[y]
        return strip if graphics.columns == width else strip.crop_extend(0, width, None)

    def _painted(self, frame: PaintedFrame | GraphicsFrame) -> None:
        self._last_painted = frame.number
        self.stats.painted += 1
        if self.stats.keep_offsets:
            self.stats.offsets_s.append(time.monotonic() - frame.due_at)

    def _notice_line(self, y: int, width: int) -> Strip:
        style = self.rich_style
        if not self.notice or y != self.size.height // 2:
            return Strip.blank(width, style)
        text = self.notice[:width].center(width)
        return Strip([Segment(text, style)], width)
