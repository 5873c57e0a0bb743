"""The Textual app: shows the room a controller feeds it and hands it the user's intents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from textual import on
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen

from room.controller import RoomController
from room.state import RoomState
from tui.config import Settings
from tui.keys import ROOM_KEYS
from tui.screens.room import RoomScreen


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
    ) -> None:
        super().__init__()
        self.settings = settings
        self.controller = controller
        self.room_screen = RoomScreen(settings.ui.seek_small_s, settings.ui.seek_large_s, tz)
        self._initial_room = room

    async def on_mount(self) -> None:
        await self.push_screen(self.room_screen)
        self.room_screen.room = self._initial_room
        # Start the room once the first frame is on screen: joining can take a moment.
        self.call_after_refresh(
            self.run_worker, self.controller.start(self._publish_state, self._publish_notice)
        )

    async def on_unmount(self) -> None:
        await self.controller.stop()

    def _publish_state(self, state: RoomState) -> None:
        self.post_message(self.RoomUpdated(state))

    def _publish_notice(self, text: str) -> None:
        if self.settings.ui.notifications:
            self.notify(text, markup=False)

    @on(RoomUpdated)
    def room_updated(self, message: RoomUpdated) -> None:
        self.room_screen.room = message.state

    @on(RoomScreen.IntentRequested)
    async def intent_requested(self, message: RoomScreen.IntentRequested) -> None:
        await self.controller.submit(message.intent)

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
