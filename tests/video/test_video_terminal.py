"""The pane writes its frames to a real terminal: the app in a pty, its output read back by a
terminal emulator (pyte), cell by cell. Frames go straight to the terminal while nothing lies
over the view, and through Textual while something does (a notification)."""

from __future__ import annotations

import json
import os
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyte

from tests.ptys import ROOT, start_in_pty
from tests.video.terminal_app import COLUMNS, FRAMES, ROWS
from tui.video_cells import CellFrame, palette_colour

WAIT_S = 30.0


def hex_of(index: int) -> str:
    return "{:02x}{:02x}{:02x}".format(*palette_colour(index))


def halves(screen: pyte.Screen, row: int) -> list[tuple[str, str]]:
    """The colours shown in each cell's upper and lower half on `row`."""
    shown = []
    for column in range(COLUMNS):
        char = screen.buffer[row][column]
        shown.append((char.fg, char.bg) if char.data == "▀" else (char.bg, char.bg))
    return shown


def expected(cells: CellFrame, row: int) -> list[tuple[str, str]]:
    return [
        (hex_of(int(top)), hex_of(int(bottom)))
        for top, bottom in zip(cells.top[row], cells.bottom[row], strict=True)
    ]


def shows(cells: CellFrame, rows: range = range(ROWS)) -> Callable[[pyte.Screen], bool]:
    return lambda screen: all(halves(screen, row) == expected(cells, row) for row in rows)


class Terminal:
    def __init__(self, report: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
        env.update(TERM="xterm-256color", PYTHONPATH=str(ROOT))
        argv = [sys.executable, "-m", "tests.video.terminal_app", str(report)]
        self.app = start_in_pty(argv, COLUMNS, ROWS, env)
        self.process, self.controller = self.app.process, self.app.controller
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def until(self, condition: Callable[[pyte.Screen], bool], what: str) -> None:
        """Read what the app writes until the screen satisfies `condition`."""
        deadline = time.monotonic() + WAIT_S
        while not condition(self.screen):
            left = deadline - time.monotonic()
            assert left > 0 and self.process.poll() is None, (
                f"the terminal never showed {what}: {self.screen.display}"
            )
            ready, _, _ = select.select([self.controller], [], [], left)
            if ready:
                self.stream.feed(os.read(self.controller, 1 << 16))

    def press(self, key: str) -> None:
        os.write(self.controller, key.encode())

    def close(self) -> None:
        self.app.close()


def test_frames_reach_the_terminal_directly_and_through_textual_under_a_notification(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.json"
    terminal = Terminal(report)
    try:
        terminal.until(shows(FRAMES[0]), "the first frame")
        terminal.press("n")  # one row changes: only it is written
        terminal.until(shows(FRAMES[1]), "the second frame")
        terminal.press("t")
        terminal.until(lambda screen: "Hello" in "".join(screen.display), "the notification")
        terminal.press("n")  # drawn by Textual around the notification
        terminal.until(shows(FRAMES[2], range(2)), "the third frame above the notification")
        assert "Hello" in "".join(terminal.screen.display)
        terminal.press("q")
        terminal.process.wait(timeout=WAIT_S)
    finally:
        terminal.close()
    # The last frame went through Textual: the converter makes strips again.
    assert json.loads(report.read_text()) == {"painted": 3, "written": 2, "wants_strips": True}
