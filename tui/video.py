"""Where the video goes, and turning it on and off (the app's loop thread only).

In the terminal, frames flow: mpv's render thread -> `CellFeed` (converter thread) -> the
`VideoView`. With kitty graphics (`tui.graphics_probe` chose them before the app started) the
converter is a `KittyFeed` and the view sends each frame through Textual's output while its
cells hold kitty's placeholders; if that fails, the pane goes back to cells. Whenever no video
is shown (hidden with `v`, no view, no colours, no player), both threads stop, the render
context is freed, the terminal's image is deleted and mpv decodes no video.
"""

from __future__ import annotations

import logging
import random
from typing import Protocol

from player.errors import PlayerError
from player.frames import FrameRenderer, FrameSink
from player.settings import PlayerSettings, VideoPlace, resolve_video
from tui.graphics_probe import KittyTerminal
from tui.kitty_feed import KittyFeed, image_size
from tui.kitty_graphics import ImageId
from tui.kitty_output import GraphicsFrame, KittyOutput, terminal_backlog, terminal_write
from tui.video_feed import CellFeed, LatestFrameFeed
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


def new_image_id() -> ImageId:
    return ImageId(colour=random.randrange(16, 256), high=random.randrange(1, 256))


class VideoOutput:
    def __init__(
        self,
        settings: PlayerSettings,
        place: VideoPlace | None = None,
        graphics: KittyTerminal | None = None,
    ) -> None:
        self.place: VideoPlace = place or resolve_video(settings)
        self.shown = self.place != "off"
        self.problem: str | None = None
        self.graphics = graphics
        """Kitty graphics in the pane; None: half-block cells."""
        self.graphics_problem: str | None = None
        self._image = new_image_id()
        self._player: VideoPlayer | None = None
        self._view: VideoView | None = None
        self._size = (0, 0)
        self._feed: LatestFrameFeed | None = None

    @property
    def in_terminal(self) -> bool:
        """Whether the pane has a video area (frames, or a notice why there are none)."""
        return self.place == "terminal" and self.shown

    @property
    def drawing(self) -> bool:
        return self._feed is not None

    @property
    def feed(self) -> LatestFrameFeed | None:
        return self._feed

    @property
    def image(self) -> ImageId:
        """The id of the pane's picture in the terminal (kitty graphics)."""
        return self._image

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
        if self.graphics is not None:
            size = image_size(columns, rows, self.graphics.cell_px)
            feed: LatestFrameFeed = self._kitty_feed(view, self.graphics)
        else:
            size = (columns, rows * 2)
            feed = self._cell_feed(view)
        try:
            player.start_frames(feed.put, size=size)  # resizes when already running
        except PlayerError as error:
            log.warning("no video in the pane: %s", error)
            self._stop()
            self.problem = f"No video in the pane: {error}. The sound plays."
            view.notice = self.problem

    def _cell_feed(self, view: VideoView) -> LatestFrameFeed:
        if self._feed is None:

            def post(frame: PaintedFrame) -> None:
                view.post_message(VideoView.FrameReady(frame))

            self._feed = CellFeed(post, lambda: view.wants_strips)
        return self._feed

    def _kitty_feed(self, view: VideoView, graphics: KittyTerminal) -> LatestFrameFeed:
        columns, rows = self._size
        if self._feed is None:

            def post(frame: GraphicsFrame) -> None:
                view.post_message(VideoView.GraphicsReady(frame))

            def failed(reason: str) -> None:
                view.post_message(VideoView.GraphicsFailed(reason))

            output = KittyOutput(
                terminal_write(view),
                self._image,
                tmux=graphics.tmux,
                on_failure=self._graphics_failed,
                backlog=terminal_backlog(view),
            )
            view.show_graphics(output)
            self._feed = KittyFeed(
                self._image, post, failed, tmux=graphics.tmux, compress=graphics.compress
            )
        assert isinstance(self._feed, KittyFeed)
        self._feed.set_grid(columns, rows)
        return self._feed

    def _graphics_failed(self, reason: str) -> None:
        """Kitty graphics failed: the pane goes back to cells, and says so once."""
        log.warning("kitty graphics failed, drawing cells: %s", reason)
        self.graphics = None
        self.graphics_problem = f"Kitty graphics failed ({reason}): the pane draws cells."
        self._stop()
        self._apply()
        if self._view is not None:
            self._view.notify(self.graphics_problem, severity="warning", timeout=6)

    def _stop(self) -> None:
        if self._player is not None:
            self._player.stop_frames()
        if self._feed is not None:
            self._feed.stop()
            self._feed = None
        if self._view is not None:
            self._view.show_graphics(None)  # deletes the terminal's image
            self._view.clear_frame()
