"""Every broadcast event name on the room channel, spelled once.

The first group is the room's event spec, shared with the web client; the rest are ours,
which browsers ignore.
"""

from __future__ import annotations

from typing import Final

# The web client's events (reference/room-events-spec.md).
PLAY: Final = "play"
PAUSE: Final = "pause"
SEEK: Final = "seek"
MEMBER_JOINED: Final = "member_joined"
MEMBER_LEFT: Final = "member_left"
NEW_COMMENT: Final = "new_comment"
HEARTBEAT: Final = "heartbeat"

# Ours.
SYNC_ANCHOR: Final = "sync_anchor"
"""The host's silent anchor refresh (the same payload as play/pause/seek)."""
SYNC_PING: Final = "sync_ping"
"""A follower's clock ping to the host."""
SYNC_PONGS: Final = "sync_pongs"
"""The host's batched answers to clock pings."""
SPEED: Final = "speed"
"""The host changed its playback speed (the same payload as play/pause/seek; `rate` is the
new speed). Browsers ignore it and keep following positions from play/pause/seek."""
HOST_CHANGED: Final = "host_changed"
HOST_REQUEST: Final = "host_request"
ITEM_CHANGE: Final = "item_change"
"""The host moved the room to a queue item (room.wire.ItemChanged)."""

PLAYBACK_EVENTS: Final = frozenset({PLAY, PAUSE, SEEK, SYNC_ANCHOR, SPEED})
"""The events that carry a playback command or anchor (one payload shape)."""
WEB_PLAYBACK_EVENTS: Final = frozenset({PLAY, PAUSE, SEEK})
"""The playback events the web client sends and reads (and the ``rooms`` row records)."""
