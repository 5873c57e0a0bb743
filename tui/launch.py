"""Open a room: work out who we are, pick the room's controller, run the app."""

from __future__ import annotations

from room.controller import OfflineRoom
from room.state import Member, RoomState
from tui.app import WatchPartyApp
from tui.config import Settings
from tui.identity import resolve_identity

NOT_BUILT = "live rooms are not part of this version yet"


def run_room(settings: Settings, room_id: str, *, claim_host: bool = False) -> int:
    user_id, name = resolve_identity(settings)
    room = RoomState(
        room_id=room_id,
        self_user_id=user_id,
        self_username=name,
        members=(Member(user_id=user_id, username=name),),
    )
    app = WatchPartyApp(room, settings, OfflineRoom(room, NOT_BUILT))
    app.run()
    return 0
