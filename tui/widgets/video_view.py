"""The video, drawn as half-block cells (frames arrive ready-made as strips), or as kitty
graphics: then the cells are kitty's Unicode placeholders, plain text to Textual, and each frame
goes to the terminal out of band (`tui.kitty_output`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.filter import LineFilter
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.kitty_graphics import ImageId
from tui.kitty_output import (
    MAX_BACKLOG,
    Backlog,
    GraphicsFrame,
    KittyOutput,
    placeholder_strips,
    terminal_backlog,
)
from tui.video_cells import CellFrame

HALF_BLOCK = "▀"

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


def _blocks(length: int) -> str:
    return _BLOCKS[length] if length < len(_BLOCKS) else HALF_BLOCK * length


class CellStrip(Strip):
    """A row of video cells that carries its terminal sequences ready-made.

    Textual writes a strip it did not cut with `render()`, which for a plain strip styles
    every run on its own (both colours, the run, a reset). A video row changes colour at
    every run, so this row is written once, on the converter thread, the way a terminal
    needs it: each colour only when it changes, one reset at the end (a fifth fewer bytes,
    and that work off the app's loop). The colours are palette entries 16-255, which Rich
    writes the same in 256 colours and truecolour. Cut or restyled by Textual (an overlay's
    edge), it is a plain strip of the same segments again.
    """

    __slots__ = ("_sequences",)

    def __init__(self, segments: list[Segment], cell_length: int, sequences: str) -> None:
        super().__init__(segments, cell_length)
        self._sequences = sequences

    def render(self, console: Console) -> str:
        return self._sequences


_SET_TOP = [f"\x1b[38;5;{index}m" for index in range(256)]
_SET_BOTTOM = [f"\x1b[48;5;{index}m" for index in range(256)]
_SET_BOTH: dict[int, str] = {}
_SEGMENTS: dict[int, Segment] = {}
"""A run's segment by `code << 11 | length`: video repeats a few thousand of them (5,990 in
150 frames of the test pattern at 160x48), and making a segment costs five times finding one.
Only the converter thread makes strips."""
_MAX_SEGMENTS = 100_000


def _new_segment(code: int, length: int) -> Segment:
    segment = Segment(_blocks(length), _STYLES[code] or _style(code))
    if length < 1 << 11:  # the key's room for a length
        if len(_SEGMENTS) >= _MAX_SEGMENTS:
            _SEGMENTS.clear()
        _SEGMENTS[code << 11 | length] = segment
    return segment


def _new_set_both(code: int) -> str:
    sequence = _SET_BOTH[code] = f"\x1b[38;5;{code >> 8};48;5;{code & 255}m"
    return sequence


def cell_strip(runs: list[tuple[int, int]], columns: int) -> CellStrip:
    """A row's runs (top << 8 | bottom, length) as a strip: its segments, and the same cells
    as terminal sequences, where each colour is set only when it changes.

    The converter's inner loop (a 160x48 frame has about 1,300 runs), so the tables are
    looked up inline."""
    segments: list[Segment] = []
    parts: list[str] = []
    add_segment, add = segments.append, parts.append
    find_segment, find_both = _SEGMENTS.get, _SET_BOTH.get
    set_top, set_bottom, blocks = _SET_TOP, _SET_BOTTOM, _BLOCKS
    made_blocks = len(blocks)  # `_blocks`, inline
    last_top = last_bottom = -1
    for code, length in runs:
        top, bottom = code >> 8, code & 255
        add_segment(find_segment(code << 11 | length) or _new_segment(code, length))
        # Neighbouring runs differ: in the upper colour, the lower one, or both.
        if top != last_top and bottom != last_bottom:
            add(find_both(code) or _new_set_both(code))
        elif top != last_top:
            add(set_top[top])
        else:
            add(set_bottom[bottom])
        add(blocks[length] if length < made_blocks else HALF_BLOCK * length)
        last_top, last_bottom = top, bottom
    if parts:
        add("\x1b[0m")
    return CellStrip(segments, columns, "".join(parts))


def strips_of(
    cells: CellFrame, reuse: dict[bytes, Strip] | None = None, keys: tuple[bytes, ...] = ()
) -> tuple[Strip, ...]:
    """One immutable strip a row, runs of equal cells merged (built off the UI thread).

    With `reuse` (row key -> strip of the previous frame) and this frame's `keys`, a row
    that did not change keeps its strip instead of being built again.
    """
    strips: list[Strip] = []
    for row, runs in enumerate(cells.row_runs()):
        if reuse is not None and keys and keys[row] in reuse:
            strips.append(reuse[keys[row]])
        else:
            strips.append(cell_strip(runs, cells.columns))
    return tuple(strips)


@dataclass(frozen=True, slots=True)
class PaintedFrame:
    """A frame ready to show: its strips, and when mpv meant it to be seen."""

    number: int
    columns: int
    rows: int
    strips: tuple[Strip, ...]
    due_at: float
    row_keys: tuple[bytes, ...] = ()
    """Equal keys, equal rows: the pane redraws only the rows whose key changed."""


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

    def on_mount(self) -> None:
        self._backlog = terminal_backlog(self)

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
        if changed is None:
            self.refresh()
        elif not changed:
            self._painted(new)  # the same picture: nothing to send to the terminal
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
