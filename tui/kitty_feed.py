"""Frames as kitty graphics, made on the converter thread (the render thread never waits).

Each frame becomes the complete escape sequences for the terminal (`tui.kitty_graphics`), so
the app's loop only hands one string to Textual's output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from player.frames import VideoFrame
from tui.kitty_graphics import MAX_GRID, ImageId, transmit
from tui.kitty_output import GraphicsFrame
from tui.video_cells import rgb_of
from tui.video_feed import LatestFrameFeed

DEFAULT_CELL_PX = (8, 16)
"""A cell's pixel size when the terminal does not say: a common monospace cell."""

MAX_IMAGE_PX = (480, 270)
"""The largest picture sent, whatever the pane. The app's CPU and the bytes to the terminal
grow with the pixels (benchmarks/terminal_video.py, a full 80x24 pane at 15 fps: 320x180
12 %, 480x270 17 %, 640x360 24 % of a core; 3, 7 and 13 MB/s): 480x270 costs about what
cells do and is three times as sharp as a 160x48 pane of cells."""


def image_size(
    columns: int,
    rows: int,
    cell_px: tuple[int, int] | None = None,
    largest: tuple[int, int] = MAX_IMAGE_PX,
) -> tuple[int, int]:
    """The pixels to render for a pane of `columns` x `rows` cells: the pane's own pixels
    (its shape, so mpv's letterboxing is the pane's), scaled down to fit `largest`."""
    cell_width, cell_height = cell_px or DEFAULT_CELL_PX
    columns, rows = min(columns, MAX_GRID), min(rows, MAX_GRID)
    width, height = columns * cell_width, rows * cell_height
    if width <= 0 or height <= 0:
        return 0, 0
    scale = min(1.0, largest[0] / width, largest[1] / height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def rgb_bytes(frame: VideoFrame) -> bytes:
    """The frame's pixels as packed RGB (kitty's `f=24`), the `rgb0` padding dropped.

    Copied a channel at a time: numpy copies a 3-of-4-bytes view in one go about 15 times
    slower (2.5 ms against 0.16 ms for 480x270 here)."""
    rgb = rgb_of(frame.pixels, frame.width, frame.height, frame.stride)
    packed = np.empty((frame.height, frame.width, 3), dtype=np.uint8)
    for channel in range(3):
        packed[..., channel] = rgb[..., channel]
    return packed.tobytes()


GraphicsPoster = Callable[[GraphicsFrame], object]
FailurePoster = Callable[[str], object]


class KittyFeed(LatestFrameFeed):
    """Encodes each newest frame for a placeholder of the pane's size (`set_grid`)."""

    thread_name = "video-kitty"

    def __init__(
        self,
        image: ImageId,
        post: GraphicsPoster,
        failed: FailurePoster,
        *,
        tmux: bool = False,
        compress: bool = False,
    ) -> None:
        self._image = image
        self._post = post
        self._post_failure = failed
        self._tmux = tmux
        self._compress = compress
        self._grid_lock = threading.Lock()
        self._grid = (0, 0)
        super().__init__()

    def set_grid(self, columns: int, rows: int) -> None:
        with self._grid_lock:
            self._grid = (min(columns, MAX_GRID), min(rows, MAX_GRID))

    def _convert(self, frame: VideoFrame) -> None:
        with self._grid_lock:
            columns, rows = self._grid
        if columns <= 0 or rows <= 0:
            return
        sequences = transmit(
            self._image,
            rgb_bytes(frame),
            frame.width,
            frame.height,
            columns,
            rows,
            compress=self._compress,
            tmux=self._tmux,
        )
        self._post(GraphicsFrame(frame.number, columns, rows, sequences, frame.due_at))

    def _failed(self, error: Exception) -> None:
        super()._failed(error)
        self._post_failure(f"a frame could not be encoded: {error}")
