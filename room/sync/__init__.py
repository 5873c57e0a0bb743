"""Keeping a follower's player on the host's frame: pure policy, no I/O, no mpv, no Textual.

A host publishes `Anchor`s (`HostAnchorPublisher`); followers estimate the host's clock by
ping/pong (`ClockSync`), turn anchors and player samples into `Decision`s (`Follower`), and
never mistake their own applied commands for user intents (`EchoGuard`). Every function
takes the current time as a parameter, in milliseconds of the caller's monotonic clock.
"""

from room.sync.anchor import Anchor, anchor_position
from room.sync.clock import ClockSync, SyncPing, SyncPong, answer_ping
from room.sync.echo import EchoGuard, IntentKind, LocalIntent
from room.sync.follower import Follower, Reaction
from room.sync.host import AnchorUpdate, HostAnchorPublisher
from room.sync.policy import Decision
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings
from room.sync.status import DriftVerdict

__all__ = [
    "Anchor",
    "AnchorUpdate",
    "ClockSync",
    "Decision",
    "DriftVerdict",
    "EchoGuard",
    "Follower",
    "HostAnchorPublisher",
    "IntentKind",
    "LocalIntent",
    "PlaybackSample",
    "Reaction",
    "SyncPing",
    "SyncPong",
    "SyncSettings",
    "anchor_position",
    "answer_ping",
]
