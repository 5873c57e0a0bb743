"""The embedded default: the first app starts the hub, others use it, and the room outlives
the app that started it."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from room.state import ConnectionStatus, Member, RoomState
from tests.live.harness import LiveMember
from tui.config import load_settings
from tui.live import LiveRoom


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def embedded_member(port: int, media: Path, profile: str) -> LiveMember:
    """An app as a user starts it: it signs in to the embedded hub (a session of its own per
    --user-id), and the hub's user id becomes its id in the room."""
    settings, _ = load_settings(
        {
            "hub": {"port": port},
            "user": {"id": profile},
            "player": {"vo": "null", "ao": "null", "media": str(media)},
        }
    )
    initial = RoomState("embedded", profile, profile, members=(Member(profile, profile),))
    member = LiveMember(profile, profile, LiveRoom(settings, initial))
    await member.room.start(member._on_state, member._on_notice)
    return member


@pytest.mark.slow
async def test_room_outlives_the_app_that_started_the_hub(media) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    first = await embedded_member(port, media, "u-first")
    second = await embedded_member(port, media, "u-second")
    try:
        first_id = (await first.joined()).self_user_id
        second_id = (await second.joined()).self_user_id
        # Signed in to the hub: the ids are the hub's (uuids), not the profiles' names.
        assert uuid.UUID(first_id) and uuid.UUID(second_id) and first_id != second_id
        assert first.state.connection.server == f"127.0.0.1:{port}"
        await second.until(lambda s: {m.user_id for m in s.members} == {first_id, second_id})
        assert (
            first.room._hub is not None and first.room._hub.running is not None
        )  # it runs the hub
        assert second.room._hub is not None and second.room._hub.running is None  # it uses it

        await first.stop()  # quits, taking its hub with it
        await second.until(lambda s: s.connection.status is not ConnectionStatus.CONNECTED)
        await second.joined()  # ... and the second app runs one itself
        assert second.room._hub is not None and second.room._hub.running is not None
    finally:
        await second.stop()
