"""A `VideoView` alone in a real terminal, run by `test_video_terminal.py` in a pty.

It shows frame 0 once the screen is drawn; each key it reads shows the next (`FRAMES`); "t"
puts a notification over the view; "q" writes the view's paint counts to the file named by
argv[1] and quits.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from textual import events
from textual.app import App, ComposeResult

from tui.video_cells import CellFrame
from tui.widgets.video_view import PaintedFrame, VideoView

COLUMNS, ROWS = 24, 6


def frame(seed: int, changed_row: int | None = None, base: int = 0) -> CellFrame:
    """A test card: colours that change along each row, runs of one colour, and runs whose
    halves are one colour (drawn as spaces)."""
    rng = np.random.default_rng(base)
    top = rng.integers(16, 256, (ROWS, COLUMNS), dtype=np.uint8)
    bottom = rng.integers(16, 256, (ROWS, COLUMNS), dtype=np.uint8)
    top[:, 4:9] = 40
    bottom[:, 4:9] = 40  # solid
    bottom[:, 12:16] = 200  # the upper half changes alone
    if changed_row is not None:
        top[changed_row] = np.random.default_rng(seed).integers(16, 256, COLUMNS)
    return CellFrame(COLUMNS, ROWS, top, bottom)


FRAMES = [frame(0), frame(1, changed_row=2), frame(0, base=7)]


class TerminalApp(App[None]):
    def __init__(self, report: str) -> None:
        super().__init__()
        self.report = report
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield VideoView()

    def on_mount(self) -> None:
        self.call_after_refresh(self.show, 0)  # once the screen is laid out

    def show(self, index: int) -> None:
        self.query_one(VideoView).post_message(
            VideoView.FrameReady(PaintedFrame(index + 1, FRAMES[index], 0.0))
        )

    def on_key(self, event: events.Key) -> None:
        view = self.query_one(VideoView)
        if event.key == "q":
            stats = {
                "painted": view.stats.painted,
                "written": view.stats.written_directly,
                "wants_strips": view.wants_strips,
            }
            with open(self.report, "w") as report:
                json.dump(stats, report)
            self.exit()
        elif event.key == "t":
            self.notify("Hello", timeout=60)
        else:
            self.shown += 1
            self.show(self.shown)


if __name__ == "__main__":
    TerminalApp(sys.argv[1]).run()
