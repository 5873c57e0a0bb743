"""The hub dies mid-film and comes back: the follower rejoins, re-appears, and resyncs."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub import HubSettings, start_hub
from room.intents import TogglePlay
from room.state import ConnectionStatus
from tests.live.harness import LIVE_JWT_SECRET, WAIT_S, host_and_follower, within

RESTART_AFTER_S = 10.0


@pytest.mark.slow
async def test_follower_rejoins_after_the_hub_restarts(
    media, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "hub.sqlite3"
    hub = await start_hub(HubSettings(port=0, jwt_secret=LIVE_JWT_SECRET, db_path=db))
    port = hub.port
    try:
        async with host_and_follower(hub.url, media) as (ann, bob):
            await ann.submit(TogglePlay())
            assert bob.room.player is not None and ann.room.player is not None
            await within(bob.room.player.wait_for(lambda s: not s.paused))

            await hub.close()
            await bob.until(lambda s: s.connection.status is ConnectionStatus.RECONNECTING)
            await asyncio.sleep(RESTART_AFTER_S)  # the outage itself is what this test is about
            hub = await start_hub(HubSettings(port=port, jwt_secret=LIVE_JWT_SECRET, db_path=db))

            await bob.joined()
            await ann.joined()
            state = await bob.until(
                lambda s: (
                    sorted(m.user_id for m in s.members) == ["u-ann", "u-bob"]
                    and s.host is not None
                ),
            )
            assert len(state.members) == 2  # no duplicate after the rejoin
            # Both agree on one host (the host who came back keeps the role unless it was away
            # longer than the grace period, when the room elects another).
            host = state.host
            assert host is not None
            await ann.until(lambda s: s.host is not None and s.host.user_id == host.user_id)
            leader, follower = (ann, bob) if host.user_id == "u-ann" else (bob, ann)

            def drift_ms() -> float:
                now = time.monotonic()
                lead = leader.room.player.state.position_now(now)  # type: ignore[union-attr]
                follow = follower.room.player.state.position_now(now)  # type: ignore[union-attr]
                return abs((follow or 0) - (lead or 0)) * 1000

            async with asyncio.timeout(WAIT_S):
                while drift_ms() > 40:
                    player = follower.room.player
                    assert player is not None
                    seen = player.state
                    await player.wait_for(lambda s, seen=seen: s is not seen)
            assert "Traceback" not in caplog.text
    finally:
        await hub.close()
