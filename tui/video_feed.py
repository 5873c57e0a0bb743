"""From the render thread to the pane: a latest-frame slot and a converter thread.

The render thread only drops a frame in the slot (overwriting one not yet converted: a dropped
frame, never a wait). The converter turns the newest into cells and the terminal sequences that
draw them and posts one message, which Textual coalesces with any not yet handled
(`post_message` is thread-safe and never blocks; `call_from_thread` would block, and can
deadlock at shutdown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from player.frames import VideoFrame
from tui.video_cells import build_palette_table, palette_table_built, rgb0_to_cells
from tui.widgets.video_view import PaintedFrame

log = logging.getLogger(__name__)

FramePoster = Callable[[PaintedFrame], object]


def paint_frame(frame: VideoFrame, columns: int, rows: int) -> PaintedFrame:
    """The frame as cells and each row's terminal sequences."""
    cells = rgb0_to_cells(frame.pixels, frame.width, frame.height, frame.stride, columns, rows)
    return PaintedFrame(frame.number, cells, frame.due_at)


class LatestFrameFeed:
    """A latest-frame slot and the thread that converts what is in it; `put` is the render
    thread's sink. Subclasses say what converting is (`_convert`) and name their thread."""

    thread_name = "video-frames"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._latest: VideoFrame | None = None
        self._stopping = False
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def put(self, frame: VideoFrame) -> None:
        with self._lock:
            if self._latest is not None:
                self.dropped += 1
            self._latest = frame
        self._ready.set()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self._ready.set()
        self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _convert(self, frame: VideoFrame) -> None:
        raise NotImplementedError

    def _failed(self, error: Exception) -> None:
        log.exception("a video frame could not be drawn", exc_info=error)

    def _run(self) -> None:
        while True:
            self._ready.wait()
            self._ready.clear()
            with self._lock:
                if self._stopping:
                    return
                frame, self._latest = self._latest, None
            if frame is None:
                continue
            try:
                self._convert(frame)
            except Exception as error:
                self._failed(error)


class CellFeed(LatestFrameFeed):
    """Turns frames into half-block cells and the sequences that draw them."""

    thread_name = "video-cells"

    def __init__(self, post: FramePoster, wants_strips: Callable[[], bool] = lambda: True) -> None:
        self._post = post
        self._wants_strips = wants_strips
        super().__init__()
        if not palette_table_built():
            threading.Thread(target=build_palette_table, name="video-palette", daemon=True).start()

    def _convert(self, frame: VideoFrame) -> None:
        painted = paint_frame(frame, frame.width, (frame.height + 1) // 2)
        if self._wants_strips():
            painted.make_strips()  # here, not on the app's loop when Textual draws the frame
        self._post(painted)
