"""Where the video goes, and turning it on and off (the app's loop thread only).

In the terminal, frames flow: mpv's render thread -> `CellFeed` (converter thread) -> the
`VideoView`. Whenever no video is shown (hidden with `v`, no view, no colours, no player),
both threads stop, the render context is freed and mpv decodes no video.
"""

from __future__ import annotations

import logging
from typing import Protocol

from player.errors import PlayerError
from player.frames import FrameRenderer, FrameSink
from player.settings import PlayerSettings, VideoPlace, resolve_video
from tui.video_feed import CellFeed
from tui.widgets.video_view import PaintedFrame, VideoView

log = logging.getLogger(__name__)


class VideoPlayer(Protocol):
    """What the video needs of a player (`MpvPlayer` has it)."""

    def start_frames(self, sink: FrameSink, *, size: tuple[int, int]) -> FrameRenderer: ...

    def stop_frames(self) -> None: ...

    def set_window_video(self, shown: bool) -> None: ...


def colour_problem(color_system: str | None, no_color: bool) -> str | None:
    """Why frames can't be drawn in this terminal, or None when they can (256 colours up)."""
    if no_color:
        return "No video in the pane: NO_COLOR is set. The sound plays; v hides this."
    if color_system not in ("256", "truecolor"):
        return "No video in the pane: this terminal shows 16 colours or fewer. The sound plays."
    return None


class VideoOutput:
    def __init__(self, settings: PlayerSettings, place: VideoPlace | None = None) -> None:
        self.place: VideoPlace = place or resolve_video(settings)
        self.shown = self.place != "off"
        self.problem: str | None = None
        self._player: VideoPlayer | None = None
        self._view: VideoView | None = None
        self._size = (0, 0)
        self._feed: CellFeed | None = None

    @property
    def in_terminal(self) -> bool:
        """Whether the pane has a video area (frames, or a notice why there are none)."""
        return self.place == "terminal" and self.shown

    @property
    def drawing(self) -> bool:
        return self._feed is not None

    @property
    def feed(self) -> CellFeed | None:
        return self._feed

    def check_colours(self, color_system: str | None, no_color: bool) -> None:
        self.problem = colour_problem(color_system, no_color)
        self._apply()

    def attach(self, player: VideoPlayer) -> None:
        self._player = player
        self._apply()

    def detach(self) -> None:
        self._stop()
        self._player = None

    def set_view(self, view: VideoView | None) -> None:
        if view is None:
            self._stop()
        self._view = view
        self._apply()

    def resize(self, columns: int, rows: int) -> None:
        self._size = (columns, rows)
        self._apply()

    def toggle(self) -> str:
        """Show or hide the video; what to tell the user."""
        if self.place == "off":
            return "Video is off in the settings (player.video = off)."
        self.shown = not self.shown
        self._apply()
        where = "in the pane" if self.place == "terminal" else "in mpv's window"
        return f"Video shown {where}." if self.shown else "Video hidden: no video is decoded."

    # ---------------------------------------------------------------------------------

    def _apply(self) -> None:
        player, view = self._player, self._view
        if self.place == "window":
            if player is not None:
                player.set_window_video(self.shown)
            return
        if view is not None:
            view.notice = self.problem or ("" if player else "The video starts with the player.")
        columns, rows = self._size
        want = (
            self.in_terminal
            and self.problem is None
            and player is not None
            and view is not None
            and columns > 0
            and rows > 0
        )
        if not want:
            self._stop()
            return
        assert player is not None and view is not None
        size = (columns, rows * 2)
        if self._feed is None:

            def post(frame: PaintedFrame, view: VideoView = view) -> None:
                view.post_message(VideoView.FrameReady(frame))

            self._feed = CellFeed(post)
        try:
            player.start_frames(self._feed.put, size=size)  # resizes when already running
        except PlayerError as error:
            log.warning("no video in the pane: %s", error)
            self._stop()
            self.problem = f"No video in the pane: {error}. The sound plays."
            view.notice = self.problem

    def _stop(self) -> None:
        if self._player is not None:
            self._player.stop_frames()
        if self._feed is not None:
            self._feed.stop()
            self._feed = None
        if self._view is not None:
            self._view.clear_frame()
