"""Open a room: work out who we are, start the live room, run the app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from player.settings import resolve_video
from room.controller import NoticeSink, StateSink
from room.intents import Intent
from room.state import Member, RoomState
from tui.app import WatchPartyApp
from tui.config import Settings
from tui.graphics_probe import detect_graphics
from tui.identity import data_dir, resolve_identity
from tui.video import VideoOutput

if TYPE_CHECKING:
    from tui.live import LiveRoom


def log_to_file() -> None:
    """Logs go to a file: anything written to the terminal would tear the app's screen."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=folder / "watchparty-tui.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


class LiveRoomAfterFirstFrame:
    """The live room, imported once the app has drawn its first frame: the hub's server,
    libmpv and the realtime client take longer to import than Textual takes to draw."""

    def __init__(
        self,
        settings: Settings,
        initial: RoomState,
        *,
        claim_host: bool,
        video: VideoOutput | None = None,
    ) -> None:
        self._arguments = (settings, initial, claim_host)
        self._video = video
        self.room: LiveRoom | None = None

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None:
        from tui.live import LiveRoom

        settings, initial, claim_host = self._arguments
        self.room = LiveRoom(settings, initial, claim_host=claim_host, video=self._video)
        await self.room.start(on_state, on_notice)

    async def submit(self, intent: Intent) -> None:
        if self.room is not None:
            await self.room.submit(intent)

    async def stop(self) -> None:
        if self.room is not None:
            await self.room.stop()


def run_room(settings: Settings, room_id: str, *, claim_host: bool = False) -> int:
    log_to_file()
    user_id, name = resolve_identity(settings)
    room = RoomState(
        room_id=room_id,
        self_user_id=user_id,
        self_username=name,
        members=(Member(user_id=user_id, username=name),),
    )
    place = resolve_video(settings.player)
    # Asked now, while stdin is still ours: Textual's input thread reads it once the app runs.
    graphics = detect_graphics(settings.player.video_graphics) if place == "terminal" else None
    video = VideoOutput(settings.player, place, graphics)
    app = WatchPartyApp(
        room,
        settings,
        LiveRoomAfterFirstFrame(settings, room, claim_host=claim_host, video=video),
        video=video,
    )
    app.run()
    return 0
