"""A live room: the channel, the player and the sync engine, wired together.

``RoomSession`` (``coordinator.py``) is the ``RoomController`` the app runs: a thin
coordinator over one component per job, which share a ``RoomContext`` (``context.py``):

- ``roster.py``: who is here (presence, heartbeats) and what we publish about ourselves;
- ``host_role.py``: who hosts (claims, hand-overs, elections);
- ``playback.py``: our player (samples, the user's play/pause/seek, the host's anchors);
- ``following.py``: the host's commands and ``rooms`` rows, applied to our player;
- ``clock_sync.py``: pings and pongs that estimate the host's clock;
- ``comments.py``: history, paging, posting through the outbox.

It knows no Textual and no mpv: the app feeds it player samples and gives it
``PlayerControls``.
"""

from room.session.coordinator import RoomSession
from room.session.playback import MediaInfo, PlayerControls

__all__ = ["MediaInfo", "PlayerControls", "RoomSession"]
