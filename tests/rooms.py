"""Rooms built by hand for tests: fixed ids, fixed times, nothing random."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from room.controller import NoticeSink, StateSink
from room.intents import Intent
from room.state import (
    Comment,
    Connection,
    ConnectionStatus,
    Member,
    Playback,
    RoomState,
    SyncStatus,
)

SELF_ID = "u-self"
T0 = datetime(2026, 11, 26, 20, 15, tzinfo=UTC)
CONNECTED = Connection(ConnectionStatus.CONNECTED, server="127.0.0.1:54321")


def empty_room(**changes: object) -> RoomState:
    room = RoomState(
        room_id="demo",
        self_user_id=SELF_ID,
        self_username="you",
        members=(Member(SELF_ID, "you"),),
        connection=CONNECTED,
    )
    return _replace(room, changes)


def busy_room(*, self_is_host: bool = False, **changes: object) -> RoomState:
    """Six members in mixed states, a thread and a system message."""
    members = (
        Member(
            "u-alice",
            "alice",
            is_host=not self_is_host,
            is_playing=True,
            current_time=754.2,
            sync=SyncStatus.SYNCED,
        ),
        Member("u-bob", "bob", is_playing=True, current_time=754.1, sync=SyncStatus.SYNCED),
        Member(
            "u-carol", "carol", is_playing=False, current_time=702.0, sync=SyncStatus.OUT_OF_SYNC
        ),
        Member(
            "u-dave",
            "dave_the_extremely_long_named_viewer",
            is_playing=True,
            current_time=751.0,
            sync=SyncStatus.OUT_OF_SYNC,
        ),
        Member("u-erin", "erin", is_playing=True, current_time=750.0, sync=SyncStatus.BUFFERING),
        Member(
            SELF_ID,
            "you",
            is_host=self_is_host,
            is_playing=True,
            current_time=754.2,
            sync=SyncStatus.SYNCED,
        ),
    )
    comments = (
        Comment("c1", "u-alice", "alice", "alice joined the room", T0, is_system=True),
        Comment("c2", "u-bob", "bob", "This opening is amazing!", T0 + timedelta(minutes=1), 120.5),
        Comment(
            "c3",
            "u-carol",
            "carol",
            "agreed, best one this season",
            T0 + timedelta(minutes=2),
            131.0,
            parent_id="c2",
        ),
        Comment(
            "c4",
            "u-bob",
            "bob",
            "the drums at 2:15!",
            T0 + timedelta(minutes=3),
            135.0,
            parent_id="c3",
        ),
        Comment(
            "c5", "u-erin", "erin", "who is the guy in the hat?", T0 + timedelta(minutes=4), 600.0
        ),
    )
    room = RoomState(
        room_id="demo",
        self_user_id=SELF_ID,
        self_username="you",
        members=members,
        comments=comments,
        playback=Playback("Demo: test pattern with a tone", 754.2, 1440.0, is_playing=True),
        connection=CONNECTED,
    )
    return _replace(room, changes)


def _replace(room: RoomState, changes: dict[str, object]) -> RoomState:
    from dataclasses import replace

    return replace(room, **changes)  # type: ignore[arg-type]


@dataclass
class RecordingRoom:
    """A controller that publishes one state and records every intent it is handed."""

    state: RoomState
    intents: list[Intent] = field(default_factory=list)

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None:
        on_state(self.state)

    async def submit(self, intent: Intent) -> None:
        self.intents.append(intent)

    async def stop(self) -> None:
        return None
