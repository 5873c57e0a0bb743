"""Open a room: work out who we are, start the live room, run the app."""

from __future__ import annotations

import logging

from room.state import Member, RoomState
from tui.app import WatchPartyApp
from tui.config import Settings
from tui.identity import data_dir, resolve_identity
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


def run_room(settings: Settings, room_id: str, *, claim_host: bool = False) -> int:
    log_to_file()
    user_id, name = resolve_identity(settings)
    room = RoomState(
        room_id=room_id,
        self_user_id=user_id,
        self_username=name,
        members=(Member(user_id=user_id, username=name),),
    )
    app = WatchPartyApp(room, settings, LiveRoom(settings, room, claim_host=claim_host))
    app.run()
    return 0
