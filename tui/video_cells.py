"""A video frame as terminal cells: half-blocks in the xterm 256-colour palette (pure).

Each cell is `▀` with the upper pixel as its foreground and the lower one as its background,
so a pane of C x R cells shows C x 2R pixels, in plain text that tmux and SSH carry unchanged.
Colours are the xterm palette's, as Rich writes them (`rich/_palettes.py`,
`EIGHT_BIT_PALETTE`, line 50; a test compares every entry): a 6x6x6 cube at channel levels
0, 95, 135, 175, 215, 255 as indices 16-231, and 24 greys `8 + 10 * i` as indices 232-255.
Each pixel takes the nearest cube colour or grey (squared RGB distance; a tie goes to the cube).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

CUBE_LEVELS = (0, 95, 135, 175, 215, 255)
GREY_LEVELS = tuple(8 + 10 * i for i in range(24))
CUBE_BASE = 16
GREY_BASE = 232
LETTERBOX = CUBE_BASE  # black

Pixels = npt.NDArray[np.uint8]


def _channel_table() -> Pixels:
    values = np.arange(256)
    levels = np.array(CUBE_LEVELS)
    nearest: Pixels = np.abs(values[:, None] - levels[None, :]).argmin(axis=1).astype(np.uint8)
    return nearest


_NEAREST_LEVEL = _channel_table()
_LEVEL_VALUES = np.array(CUBE_LEVELS, dtype=np.int32)

# Per channel value, looked up rather than computed for every pixel: the squared error to the
# nearest cube level, the value squared (for the error to a grey), and the channel's share of
# the cube colour's index (red's share carrying the cube's base, so they add up to 16-231).
_CUBE_ERROR = ((np.arange(256) - _LEVEL_VALUES[_NEAREST_LEVEL]) ** 2).astype(np.int32)
_SQUARE = (np.arange(256) ** 2).astype(np.int32)
_RED_INDEX = (CUBE_BASE + 36 * _NEAREST_LEVEL.astype(np.int32)).astype(np.uint8)
_GREEN_INDEX = (6 * _NEAREST_LEVEL).astype(np.uint8)
_BLUE_INDEX = _NEAREST_LEVEL


def palette_colour(index: int) -> tuple[int, int, int]:
    """The RGB of palette entry `index` (16-255)."""
    if index >= GREY_BASE:
        grey = GREY_LEVELS[index - GREY_BASE]
        return grey, grey, grey
    red, rest = divmod(index - CUBE_BASE, 36)
    green, blue = divmod(rest, 6)
    return CUBE_LEVELS[red], CUBE_LEVELS[green], CUBE_LEVELS[blue]


def quantise(rgb: Pixels) -> Pixels:
    """Palette indices (16-255) for an (h, w, 3) RGB array.

    The cube's error is the sum of each channel's own (a table); a pixel's grey is the one
    nearest its mean, `(r + g + b - 9) // 30` (the grey levels are 8 + 10 i), and its error
    the sum of (channel - grey)**2 expanded, so that only tables and integer sums run per
    pixel (checked against the plain nearest-colour search for all 2**24 colours).
    """
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    cube_error = _CUBE_ERROR[red] + _CUBE_ERROR[green] + _CUBE_ERROR[blue]
    total = red.astype(np.int32) + green + blue
    grey_step = np.clip((total - 9) // 30, 0, 23)
    grey = 8 + 10 * grey_step
    grey_error = _SQUARE[red] + _SQUARE[green] + _SQUARE[blue] - 2 * grey * total + 3 * grey * grey
    cube_index = _RED_INDEX[red] + _GREEN_INDEX[green] + _BLUE_INDEX[blue]
    index: Pixels = np.where(
        grey_error < cube_error, (GREY_BASE + grey_step).astype(np.uint8), cube_index
    )
    return index


@dataclass(frozen=True, slots=True)
class CellFrame:
    """`rows` x `columns` cells; `top[y][x]` and `bottom[y][x]` are palette indices."""

    columns: int
    rows: int
    top: Pixels
    bottom: Pixels

    def runs(self, row: int) -> list[tuple[int, int, int]]:
        """Row `row` as (top, bottom, length) runs of identical cells, left to right."""
        top, bottom = self.top[row], self.bottom[row]
        if self.columns == 0:
            return []
        pair = top.astype(np.int32) * 256 + bottom
        starts = np.flatnonzero(np.diff(pair)) + 1
        edges = [0, *starts.tolist(), self.columns]
        return [
            (int(top[start]), int(bottom[start]), end - start)
            for start, end in itertools.pairwise(edges)
        ]

    def run_starts(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[Any]]:
        """Every run of equal cells, rows never joined, found in one vectorised pass: where
        each starts (a cell index, row by row), its length and its code (top << 8 | bottom).
        The frame must have cells."""
        flat = (self.top.astype(np.int32) << 8 | self.bottom).ravel()
        opens = np.empty(flat.size, dtype=bool)  # where a run starts: a change, or a new row
        opens[0] = True
        np.not_equal(flat[1:], flat[:-1], out=opens[1:])
        opens[:: self.columns] = True
        starts = np.flatnonzero(opens)
        return starts, np.diff(starts, append=flat.size), flat[starts]

    def row_runs(self) -> list[list[tuple[int, int]]]:
        """Every row's runs as (top << 8 | bottom, length)."""
        if self.columns == 0 or self.rows == 0:
            return [[] for _ in range(self.rows)]
        starts, lengths, codes = self.run_starts()
        row_breaks = np.searchsorted(starts, np.arange(self.rows + 1) * self.columns).tolist()
        code_list, length_list = codes.tolist(), lengths.tolist()
        return [
            list(zip(code_list[a:b], length_list[a:b], strict=True))
            for a, b in itertools.pairwise(row_breaks)
        ]

    def row_sequences(self) -> tuple[str, ...]:
        """Every row as the terminal sequences that draw it (`row_sequences`, below)."""
        return row_sequences(self)

    def row_keys(self) -> tuple[bytes, ...]:
        """One key a row: equal keys, equal cells (lets the pane redraw changed rows only)."""
        return tuple(
            self.top[row].tobytes() + self.bottom[row].tobytes() for row in range(self.rows)
        )


def rgb_of(pixels: bytes, width: int, height: int, stride: int) -> Pixels:
    """An (height, width, 3) view of `rgb0` rows of `stride` bytes."""
    rows = np.frombuffer(pixels, dtype=np.uint8, count=stride * height).reshape(height, stride)
    return rows[:, : width * 4].reshape(height, width, 4)[..., :3]


def frame_to_cells(rgb: Pixels, columns: int, rows: int) -> CellFrame:
    """Cells for `columns` x `rows`, the picture centred and the rest letterboxed in black.

    A picture larger than the pane is cropped around its centre (mpv normally renders at the
    pane's exact size, so this only happens for a frame from before a resize); an odd number
    of pixel rows leaves the last cell's lower half black.
    """
    return _placed(rgb, columns, rows, quantise)


def rgb0_to_cells(
    pixels: bytes, width: int, height: int, stride: int, columns: int, rows: int
) -> CellFrame:
    """`frame_to_cells` for `rgb0` rows of `stride` bytes (what mpv renders): each pixel's
    colour looked up in `palette_table` once it is built, computed by `quantise` until then."""
    table = _TABLE
    if table is None:
        return frame_to_cells(rgb_of(pixels, width, height, stride), columns, rows)
    words = np.frombuffer(pixels, dtype="<u4", count=stride // 4 * height)
    packed = words.reshape(height, stride // 4)[:, :width]
    return _placed(packed, columns, rows, lambda picture: table[picture & 0xFFFFFF])


def _placed(
    picture: npt.NDArray[Any], columns: int, rows: int, nearest: Callable[[Any], Pixels]
) -> CellFrame:
    if columns <= 0 or rows <= 0:
        empty = np.zeros((max(rows, 0), max(columns, 0)), dtype=np.uint8)
        return CellFrame(max(columns, 0), max(rows, 0), empty, empty)
    height, width = picture.shape[:2]
    pane_height = rows * 2
    if (width, height) == (columns, pane_height):  # as mpv renders: the pane's own size
        indices = nearest(picture)
        return CellFrame(columns, rows, indices[0::2], indices[1::2])
    canvas = np.full((pane_height, columns), LETTERBOX, dtype=np.uint8)
    shown_w, shown_h = min(width, columns), min(height, pane_height)
    source_x, source_y = (width - shown_w) // 2, (height - shown_h) // 2
    target_x, target_y = (columns - shown_w) // 2, (pane_height - shown_h) // 2
    if shown_w > 0 and shown_h > 0:
        canvas[target_y : target_y + shown_h, target_x : target_x + shown_w] = nearest(
            picture[source_y : source_y + shown_h, source_x : source_x + shown_w]
        )
    return CellFrame(columns, rows, canvas[0::2], canvas[1::2])


_TABLE: Pixels | None = None
_TABLE_LOCK = threading.Lock()


def palette_table_built() -> bool:
    return _TABLE is not None


def build_palette_table() -> Pixels:
    """`quantise` for all 2**24 colours, by `red | green << 8 | blue << 16` (an `rgb0`
    pixel read as a little-endian word, its pad masked off): 16 MiB, built once, in under a
    second of one core, in slices of a million colours. Until it is built, `rgb0_to_cells`
    computes each pixel (thirty array operations a frame where the table takes two)."""
    global _TABLE
    with _TABLE_LOCK:
        if _TABLE is not None:
            return _TABLE
        table = np.empty(1 << 24, dtype=np.uint8)
        step = 1 << 20
        for start in range(0, 1 << 24, step):
            colours = np.arange(start, start + step, dtype=np.uint32)
            rgb = np.empty((step, 3), dtype=np.uint8)
            rgb[:, 0], rgb[:, 1], rgb[:, 2] = colours & 255, (colours >> 8) & 255, colours >> 16
            table[start : start + step] = quantise(rgb)
        _TABLE = table
        return table


HALF_BLOCK = "▀"
RESET = "\x1b[0m"


class _Tokens(dict[int, str]):
    """The pieces rows are made of, by number, each made the first time it is asked for:
    `(top << 8) | bottom` sets both colours, `SET_TOP + top` or `SET_BOTTOM + bottom` one,
    `BLOCKS + n` is n half-blocks and `SPACES + n` n spaces."""

    SET_TOP: ClassVar[int] = 1 << 16
    SET_BOTTOM: ClassVar[int] = SET_TOP + 256
    BLOCKS: ClassVar[int] = 1 << 20
    SPACES: ClassVar[int] = 1 << 21

    def __missing__(self, token: int) -> str:
        if token < self.SET_TOP:
            text = f"\x1b[38;5;{token >> 8};48;5;{token & 255}m"
        elif token < self.SET_BOTTOM:
            text = f"\x1b[38;5;{token - self.SET_TOP}m"
        elif token < self.BLOCKS:
            text = f"\x1b[48;5;{token - self.SET_BOTTOM}m"
        elif token < self.SPACES:
            text = HALF_BLOCK * (token - self.BLOCKS)
        else:
            text = " " * (token - self.SPACES)
        self[token] = text
        return text


_TOKENS = _Tokens()
_NONE = -1


def row_sequences(cells: CellFrame) -> tuple[str, ...]:
    """Each row as terminal sequences (256 colours), built for the whole frame at once.

    A cell is `▀`, its upper pixel the foreground and its lower one the background; a run of
    cells whose halves are one colour is spaces on that background (a third of the bytes,
    and the foreground is left alone). A colour is set only when the run before it in the row
    left another, each row ends with a reset, and nothing else is written. Decided for every
    run at once with array operations (a frame's cost is their count more than its size), so
    that Python only joins the pieces (`_Tokens`); `CellStrip` writes these as they are.
    """
    columns, rows = cells.columns, cells.rows
    if columns == 0 or rows == 0:
        return ("",) * rows
    starts, lengths, pair = cells.run_starts()
    top, bottom = pair >> 8, pair & 255
    opens_row = starts % columns == 0
    solid = top == bottom
    # What the run before (in this row) left set: its lower colour as the background, and,
    # unless it was solid (spaces), its upper one as the foreground; nothing after a reset.
    bottom_before = np.where(opens_row, _NONE, np.roll(bottom, 1))
    top_before = np.where(opens_row | np.roll(solid, 1), _NONE, np.roll(top, 1))
    set_bottom = bottom != bottom_before
    set_top = ~solid & (top != top_before)
    prefix = np.where(
        set_top,
        np.where(set_bottom, pair, _Tokens.SET_TOP + top),
        np.where(set_bottom, _Tokens.SET_BOTTOM + bottom, _NONE),
    )
    body = np.where(solid, _Tokens.SPACES, _Tokens.BLOCKS) + lengths
    tokens = np.stack((prefix, body), axis=1).ravel()
    kept = tokens[tokens != _NONE].tolist()
    pieces = list(map(_TOKENS.__getitem__, kept))
    # Where each row's pieces end: after its last run's, counting one or two a run.
    ends = np.cumsum(1 + (prefix != _NONE))[np.append(np.flatnonzero(opens_row[1:]), -1)]
    bounds = [0, *ends.tolist()]
    return tuple("".join(pieces[a:b]) + RESET for a, b in itertools.pairwise(bounds))
