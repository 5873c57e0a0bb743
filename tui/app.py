"""The Textual app: shows the room a controller feeds it and hands it the user's intents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import tzinfo

from textual import on
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen

from room.controller import RoomController
from room.intents import Intent
from room.state import RoomState
from tui.config import Settings
from tui.keys import ROOM_KEYS
from tui.screens.room import RoomScreen
from tui.video import VideoOutput

log = logging.getLogger(__name__)


class WatchPartyApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "watchparty-tui"

    class RoomUpdated(Message):
        """A new room state from the controller."""

        def __init__(self, state: RoomState) -> None:
            super().__init__()
            self.state = state

    def __init__(
        self,
        room: RoomState,
        settings: Settings,
        controller: RoomController,
        *,
        tz: tzinfo | None = None,
        video: VideoOutput | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.controller = controller
        self.video = video or VideoOutput(settings.player)
        self.room_screen = RoomScreen(
            settings.ui.seek_small_s, settings.ui.seek_large_s, tz, self.video
        )
        self._initial_room = room
        self._intents: asyncio.Queue[Intent] = asyncio.Queue()
        self._intent_runner: asyncio.Task[None] | None = None

    async def on_mount(self) -> None:
        self.video.check_colours(self.console.color_system, self.no_color)
        self._intent_runner = asyncio.create_task(self._carry_out_intents())
        await self.push_screen(self.room_screen)
        self.room_screen.room = self._initial_room
        # Start the room once the first frame is on screen: joining can take a moment.
        self.call_after_refresh(
            self.run_worker, self.controller.start(self._publish_state, self._publish_notice)
        )

    async def on_unmount(self) -> None:
        if self._intent_runner is not None:
            self._intent_runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._intent_runner
        await self.controller.stop()

    async def _carry_out_intents(self) -> None:
        """The keys never wait on the network: intents queue here and go to the controller
        one at a time, in the order they were asked for."""
        while True:
            intent = await self._intents.get()
            try:
                await self.controller.submit(intent)
            except Exception:
                log.exception("could not carry out %r", intent)

    def _publish_state(self, state: RoomState) -> None:
        self.post_message(self.RoomUpdated(state))

    def _publish_notice(self, text: str) -> None:
        if self.settings.ui.notifications:
            self.notify(text, markup=False)

    @on(RoomUpdated)
    def room_updated(self, message: RoomUpdated) -> None:
        self.room_screen.room = message.state

    @on(RoomScreen.IntentRequested)
    def intent_requested(self, message: RoomScreen.IntentRequested) -> None:
        self._intents.put_nowait(message.intent)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.room_screen:
            return
        for key in ROOM_KEYS:
            if key.action in ("help", "quit") or "(" in key.action:
                continue
            action = key.action
            yield SystemCommand(
                f"{key.description} ({key.shown_as})",
                key.help,
                lambda action=action: self.room_screen.run_action(action),
            )
