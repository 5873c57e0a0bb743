"""Frames out of libmpv's software renderer, on a render thread of their own.

The thread only renders and copies: each rendered frame goes to a sink that must return at once
(the app's latest-frame slot), so a slow consumer costs frames, never playback. Frames over the
rate cap are passed to mpv with `skip_rendering` rather than ignored, because mpv's video output
waits up to 200 ms for every frame it queued (vo_libmpv.c `flip_page`, v0.35.1 line 505).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from player.errors import PlayerError
from player.render_api import FrameBuffer, SoftwareRenderContext

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One rendered picture: `height` rows of `stride` bytes, `rgb0` (red, green, blue, pad)."""

    number: int
    width: int
    height: int
    stride: int
    pixels: bytes
    due_at: float
    """`time.monotonic()` instant at which mpv meant this frame to be on screen."""
    rendered_at: float


FrameSink = Callable[[VideoFrame], None]
"""Called on the render thread with each frame; must return at once."""


class Signal(Protocol):
    """What wakes the render thread: `player.render_api.Wakeup`, or a `threading.Event`."""

    def set(self) -> None: ...

    def wait(self, timeout: float) -> bool: ...

    def clear(self) -> None: ...


class FramePacer:
    """Which frames to render under a rate cap, decided on the frames' own due times.

    A 25 fps source under a 15 fps cap renders 3 frames of every 5, evenly; a source slower
    than the cap renders every frame. A jump (seek, long pause) restarts the schedule.
    """

    def __init__(self, fps_cap: float) -> None:
        if fps_cap <= 0:
            raise ValueError("the frame rate cap must be positive")
        self.interval = 1.0 / fps_cap
        self._next: float | None = None

    def wants(self, due_at: float) -> bool:
        # A little slack for timestamp jitter, so 15 fps content under a 15 fps cap keeps all.
        slack = self.interval * 0.25
        jumped = self._next is not None and not (
            self._next - 2 * self.interval <= due_at <= self._next + 2 * self.interval
        )
        if self._next is None or jumped:
            self._next = due_at + self.interval
            return True
        if due_at >= self._next - slack:
            self._next = max(self._next + self.interval, due_at + slack)
            return True
        return False


@dataclass
class RenderStats:
    rendered: int = 0
    skipped: int = 0
    """New frames left undrawn by the rate cap."""
    repeats_skipped: int = 0
    """mpv's redraws of a picture already drawn, not drawn again."""


class FrameRenderer:
    """Runs the render loop for one `SoftwareRenderContext` until `stop()`."""

    def __init__(
        self,
        context: SoftwareRenderContext,
        wake: Signal,
        sink: FrameSink,
        *,
        fps_cap: float,
        size: tuple[int, int] = (0, 0),
    ) -> None:
        self._context = context
        self._wake = wake
        self._sink = sink
        self._pacer = FramePacer(fps_cap)
        self._lock = threading.Lock()
        self._size = size
        self._redraw = False
        self._had_frame = False
        self._stopping = False
        self.stats = RenderStats()
        self._thread = threading.Thread(target=self._run, name="video-render", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def resize(self, width: int, height: int) -> None:
        """Render at `width` x `height` pixels from now on, at once even while paused."""
        with self._lock:
            if (width, height) == self._size:
                return
            self._size = (width, height)
            # Redrawing before mpv's first frame would only show black.
            self._redraw = self._had_frame
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most one frame's blocking render)."""
        with self._lock:
            self._stopping = True
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        buffer: FrameBuffer | None = None
        current_drawn = False  # whether the buffer holds mpv's current picture
        number = 0
        while True:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            with self._lock:
                if self._stopping:
                    return
                width, height = self._size
                redraw, self._redraw = self._redraw, False
            try:
                new_frame = self._context.update()
                if not new_frame and not redraw:
                    continue
                if width <= 0 or height <= 0:
                    if new_frame:
                        self._context.render(_SKIP_BUFFER, skip=True)
                    continue
                if buffer is None or (buffer.width, buffer.height) != (width, height):
                    buffer = FrameBuffer(width, height)
                    current_drawn = False
                queued = self._context.next_frame() if new_frame else None
                target_us = queued.target_us if queued is not None else None
                due_at = self._due_at(target_us)
                if new_frame and not redraw and queued is not None and queued.redraw:
                    # mpv's own redraw of the current picture (after an unpause, say): drawn
                    # already, it would only repeat a frame; one the pacer skipped is drawn
                    # now. Redraws carry no timing, so the pacer never sees them.
                    if current_drawn:
                        self._context.render(buffer, skip=True)
                        self.stats.repeats_skipped += 1
                        continue
                elif new_frame and not redraw:
                    # Paced on mpv's own target times: mapping them to our clock adds jitter.
                    pace_at = due_at if target_us is None else target_us / 1_000_000
                    if not self._pacer.wants(pace_at):
                        self._context.render(buffer, skip=True)
                        self.stats.skipped += 1
                        current_drawn = False
                        continue
                self._context.render(buffer)
                current_drawn = True
                with self._lock:
                    self._had_frame = True
                number += 1
                self.stats.rendered += 1
                frame = VideoFrame(
                    number, width, height, buffer.stride, buffer.copy(), due_at, time.monotonic()
                )
                self._sink(frame)
            except PlayerError:
                log.exception("video rendering failed; the picture stops, playback goes on")
                return
            except Exception:
                log.exception("video frame sink failed")

    def _due_at(self, target_us: int | None) -> float:
        """A frame's due time in `time.monotonic()`'s clock (mpv's clock mapped)."""
        now = time.monotonic()
        if target_us is None:
            return now
        return now + (target_us - self._context.now_us()) / 1_000_000


_SKIP_BUFFER = FrameBuffer(1, 1)
"""Passed with `skip_rendering` when nothing is on screen to draw into."""
