"""Snapshots of a frame from the real libmpv render path: the pane alone, and the whole app.

The frame is pinned (2.0 s into the generated test pattern, paused, fixed size), so the
picture is the same on every run with the same libmpv and libswscale.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from tests.rooms import busy_room
from tests.video.apps import until, video_app
from tests.video.conftest import FrameCatcher
from tui.video_feed import paint_frame
from tui.widgets.video_view import PaintedFrame, VideoView


async def pinned_frame(path: Path, columns: int, rows: int) -> PaintedFrame:
    player = MpvPlayer(settings=PlayerSettings(video="terminal", ao="null"))
    try:
        await player.load(str(path))
        await player.seek_and_wait(2.0)
        catcher = FrameCatcher()
        player.start_frames(catcher, size=(columns, rows * 2))
        frames = await catcher.wait(lambda frames: len(frames) >= 1)
    finally:
        player.close()
    return paint_frame(frames[-1], columns, rows)


class ViewApp(App[None]):
    def __init__(self, frame: PaintedFrame) -> None:
        super().__init__()
        self.frame = frame

    def compose(self) -> ComposeResult:
        view = VideoView()
        view.frame = self.frame
        yield view


@pytest.fixture(scope="module")
def pane_frame(pattern_file: Path) -> PaintedFrame:
    return asyncio.run(pinned_frame(pattern_file, 60, 17))


def test_the_pane_shows_the_pinned_frame(snap_compare, pane_frame: PaintedFrame) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ViewApp(pane_frame), terminal_size=(60, 17))


def test_the_app_at_80x24_with_video(snap_compare, pattern_file: Path) -> None:  # type: ignore[no-untyped-def]
    app, _ = video_app(busy_room())

    async def show_frame(pilot: Pilot[None]) -> None:
        await pilot.pause()
        view = app.room_screen.query_one(VideoView)
        view.frame = await pinned_frame(pattern_file, view.size.width, view.size.height)
        view.refresh()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show_frame)


def test_the_larger_view_at_80x24(snap_compare, pattern_file: Path) -> None:  # type: ignore[no-untyped-def]
    app, _ = video_app(busy_room())

    async def show_frame(pilot: Pilot[None]) -> None:
        await pilot.press("f")
        await pilot.pause()
        view = app.room_screen.query_one(VideoView)
        view.frame = await pinned_frame(pattern_file, view.size.width, view.size.height)
        view.refresh()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show_frame)


def test_the_app_at_80x24_with_kitty_graphics(  # type: ignore[no-untyped-def]
    snap_compare, pattern_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pane's cells are kitty's placeholders (the picture itself goes out of band and is
    not in a snapshot): the layout around them is the same as with cells."""
    import tui.video
    from tui.graphics_probe import KittyTerminal
    from tui.kitty_graphics import ImageId

    monkeypatch.setattr(tui.video, "new_image_id", lambda: ImageId(colour=42, high=2))
    app, _ = video_app(busy_room(), graphics=KittyTerminal())
    players: list[MpvPlayer] = []

    async def show_frame(pilot: Pilot[None]) -> None:
        player = MpvPlayer(settings=PlayerSettings(video="terminal", ao="null"))
        players.append(player)
        await player.load(str(pattern_file))
        await player.seek_and_wait(2.0)  # paused: one frame, then none
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        await until(pilot, lambda: view.graphics_frame is not None)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=show_frame)
    finally:
        app.video.detach()
        for player in players:
            player.close()
