"""The playback pane's progress bar: played part, play head, chapters, marked moments."""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import groupby

from rich.text import Text

HEAD = ("●", "bold cyan")
MARK = ("▼", "bold yellow")
"""The comment a follower picked, to show where it is."""
MARKER = ("◆", "magenta")
"""A moment someone marked on the timeline (a marker comment)."""
CHAPTER = ("┃", "bold green")
"""Where a chapter of the media starts (not drawn for one at 0: the bar starts there)."""
PLAYED = ("━", "bold cyan")
UNPLAYED = ("─", "dim bold cyan")


def cell_of(time: float, duration: float | None, width: int) -> int | None:
    """The cell of a ``width``-cell bar that shows ``time``; None when the bar has no scale.

    Times outside the media are clamped to its ends, as everywhere else in the app.
    """
    if width <= 0 or not duration or not math.isfinite(duration) or duration <= 0:
        return None
    if not math.isfinite(time):
        return None
    fraction = min(max(time / duration, 0.0), 1.0)
    return min(int(fraction * width), width - 1)


def marker_cells(times: Iterable[float], duration: float | None, width: int) -> frozenset[int]:
    """The cells that show a marker for one or more of ``times`` (several in a cell show once)."""
    cells = (cell_of(time, duration, width) for time in times)
    return frozenset(cell for cell in cells if cell is not None)


def progress_bar(
    position: float,
    duration: float | None,
    width: int,
    markers: Iterable[float] = (),
    mark: float | None = None,
    chapters: Iterable[float] = (),
) -> Text:
    """A one-line bar with a marker per time in ``markers``, one for ``mark`` and a tick at
    each chapter start in ``chapters``.

    The play head wins its cell, then the mark, then markers, then chapters. Unknown
    duration: an empty track.
    """
    head = cell_of(position, duration, width)
    if head is None:
        return Text("─" * max(width, 0), style="dim")
    mark_cell = None if mark is None else cell_of(mark, duration, width)
    marked_cells = marker_cells(markers, duration, width)
    chapter_cells = marker_cells((start for start in chapters if start > 0), duration, width)

    def glyph(cell: int) -> tuple[str, str]:
        if cell == head:
            return HEAD
        if cell == mark_cell:
            return MARK
        if cell in marked_cells:
            return MARKER
        if cell in chapter_cells:
            return CHAPTER
        return PLAYED if cell < head else UNPLAYED

    bar = Text()
    for (char, style), run in groupby(glyph(cell) for cell in range(width)):
        bar.append(char * len(list(run)), style=style)
    return bar
