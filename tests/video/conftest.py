from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from player.frames import VideoFrame
from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.sources import clock_source, read_clock, render_demo_file
from tui.video_cells import rgb_of

CLOCK_FPS = 25
FRAME_S = 1 / CLOCK_FPS
WAIT_S = 20.0


@pytest.fixture(autouse=True)
def _terminal_of_256_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """The apps here see a 256-colour terminal, whatever TERM the test run has."""
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 s whose every frame shows its own number (`read_clock`), 25 fps, with a tone."""
    path = tmp_path_factory.mktemp("media") / "clock-25fps-30s.mkv"
    return render_demo_file(
        path, duration_s=30, fps=CLOCK_FPS, source=clock_source(fps=CLOCK_FPS, size="64x36")
    )


@pytest.fixture(scope="session")
def pattern_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's test pattern, 10 s at 25 fps, for pictures a person can judge."""
    path = tmp_path_factory.mktemp("media") / "pattern-25fps-10s.mkv"
    return render_demo_file(path, duration_s=10, fps=25, size="320x180")


@pytest.fixture
async def player() -> AsyncIterator[MpvPlayer]:
    instance = MpvPlayer(settings=PlayerSettings(video="terminal", ao="null", video_fps=25))
    yield instance
    instance.close()


def clock_of(frame: VideoFrame) -> int:
    """The frame number a clock frame shows (read in the middle of each half)."""
    rgb = rgb_of(frame.pixels, frame.width, frame.height, frame.stride)
    row = rgb[frame.height // 2]
    left = tuple(int(v) for v in row[frame.width // 4])
    right = tuple(int(v) for v in row[3 * frame.width // 4])
    return read_clock(left, right)  # type: ignore[arg-type]


class FrameCatcher:
    """A render-thread sink that keeps every frame and lets the loop await the next ones."""

    def __init__(self) -> None:
        self.frames: list[VideoFrame] = []
        self._lock = threading.Lock()
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def __call__(self, frame: VideoFrame) -> None:
        with self._lock:
            self.frames.append(frame)
        self._loop.call_soon_threadsafe(self._changed.set)

    async def wait(self, condition: Callable[[list[VideoFrame]], bool]) -> list[VideoFrame]:
        async with asyncio.timeout(WAIT_S):
            while True:
                with self._lock:
                    frames = list(self.frames)
                if condition(frames):
                    return frames
                self._changed.clear()
                await self._changed.wait()


def video_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("video-")]
