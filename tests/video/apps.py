"""The real app around a real player, for Pilot tests of the video."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC

from textual.drivers._writer_thread import WriterThread
from textual.pilot import Pilot

from player.settings import PlayerSettings
from room.state import RoomState
from tests.rooms import RecordingRoom
from tui.app import WatchPartyApp
from tui.config import PlayerSection, Settings
from tui.graphics_probe import KittyTerminal
from tui.video import VideoOutput

WAIT_S = 20.0


def video_app(
    room: RoomState,
    player_settings: PlayerSettings | None = None,
    graphics: KittyTerminal | None = None,
) -> tuple[WatchPartyApp, RecordingRoom]:
    fields = (player_settings or PlayerSettings(video="terminal", ao="null")).model_dump()
    settings = Settings(player=PlayerSection(**fields))
    controller = RecordingRoom(room)
    video = VideoOutput(settings.player, graphics=graphics)
    app = WatchPartyApp(room, settings, controller, tz=UTC, video=video)
    return app, controller


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until `condition` holds (checked after each round of its messages)."""
    async with asyncio.timeout(WAIT_S):
        while not condition():
            await pilot.pause(0.02)


def stalled_writer(app: WatchPartyApp) -> WriterThread:
    """Give the app Textual's own writer thread, not started: what it holds is what a slow
    terminal has not taken yet (Pilot's driver has none)."""
    writer = WriterThread(io.StringIO())
    app._driver._writer_thread = writer  # type: ignore[union-attr]
    return writer
