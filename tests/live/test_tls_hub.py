"""The LAN party over TLS as the app runs it: two members pin the hub's self-signed
certificate and watch together; a member with another pin is told why it cannot join."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import HubSettings, RunningHub, start_hub
from room.intents import ClaimHost, TogglePlay
from room.state import ConnectionStatus
from tests.live.harness import LIVE_JWT_SECRET, start_member, within

KEY = "party-key"


@pytest.fixture
async def tls_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    running = await start_hub(
        HubSettings(
            port=0, key=KEY, tls=True, jwt_secret=LIVE_JWT_SECRET, db_path=tmp_path / "h.db"
        )
    )
    try:
        yield running
    finally:
        await running.close()


@pytest.mark.slow
async def test_pinned_members_watch_together(tls_hub: RunningHub, media: Path) -> None:
    server = {"key": KEY, "pin": tls_hub.fingerprint}
    ann = await start_member(tls_hub.url, media, "u-ann", "ann", server=server)
    bob = await start_member(tls_hub.url, media, "u-bob", "bob", server=server)
    try:
        await ann.joined()
        await bob.joined()
        await ann.submit(ClaimHost())
        await bob.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
        await ann.submit(TogglePlay())
        assert bob.room.player is not None
        await within(bob.room.player.wait_for(lambda s: not s.paused))
    finally:
        await bob.stop()
        await ann.stop()


@pytest.mark.slow
async def test_a_member_with_another_pin_is_told_why(tls_hub: RunningHub, media: Path) -> None:
    wrong = "SHA256:" + "A" * 43
    eve = await start_member(tls_hub.url, media, "u-eve", "eve", server={"key": KEY, "pin": wrong})
    try:
        state = await eve.until(lambda s: s.connection.status is ConnectionStatus.OFFLINE)
        assert tls_hub.fingerprint is not None
        assert tls_hub.fingerprint in state.connection.detail
        assert f"not the pinned {wrong}" in state.connection.detail
        assert eve.room.player is None  # it stopped before opening anything
    finally:
        await eve.stop()
