"""A joined room link hands the channel each refreshed access token, so the server, which
shuts a channel once its token expires (Realtime's confirm_token, hub/token_expiry.py), never
has to: real realtime-py against a real hub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import room.link
from hub import HubSettings, RunningHub, start_hub
from hub.tokens import ACCESS_TOKEN_TTL_S, Tokens
from room.link import RoomLink
from tests.room.test_tls_pinning import Listener

SECRET = "the-link-tests-hub-secret-000000"
WAIT_S = 30.0


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    running = await start_hub(
        HubSettings(port=0, jwt_secret=SECRET, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        yield running
    finally:
        await running.close()


async def test_a_refreshed_token_reaches_the_joined_channel(
    hub: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(room.link, "TOKEN_CHECK_S", 0.2)
    ten_minutes_left = Tokens(SECRET.encode(), now=lambda: time.time() - ACCESS_TOKEN_TTL_S + 600)
    tokens = [ten_minutes_left.issue("ann").access_token, hub.tokens.issue("ann").access_token]
    refreshed_exp = hub.tokens.verify(tokens[1]).exp

    async def access_token() -> str:
        return tokens[0] if len(tokens) == 2 else tokens[-1]

    listener = Listener()
    link = RoomLink(hub.url, "anon", "r", "ann", listener, access_token=access_token)
    running = asyncio.create_task(link.run())
    try:
        await listener.until(lambda: link.is_joined)
        (peer,) = hub.state.peers
        (channel,) = peer.channels.values()
        assert channel.token_exp == refreshed_exp - 3000
        tokens.pop(0)  # supabase-auth refreshed the session
        # The hub answers an access_token event with nothing, so its state is what to watch.
        async with asyncio.timeout(WAIT_S):
            while channel.token_exp != refreshed_exp:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert channel.user_id == "ann" and link.joins == 1
    finally:
        await link.stop()
        await running
