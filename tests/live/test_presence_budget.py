"""Two minutes in a room at the hub's default limits (Supabase's): never cut off.

The client publishes its state every 3 s and re-tracks presence on every change in kind;
the presence budget keeps it under 5 track calls per 30 s, which the hub enforces exactly
as Supabase does (closing the channel past it).
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from hub import RunningHub
from room.intents import ClaimHost, SeekBy, TogglePlay
from tests.live.harness import start_browser, start_member

MINUTES = 2.0


@pytest.mark.slow
async def test_two_minutes_of_changes_never_trip_the_presence_limit(
    hub: RunningHub,
    media,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.INFO)
    watcher = await start_browser(hub.url, "web-watch", "watcher")
    app = await start_member(hub.url, media, "u-app", "app")
    try:
        await app.joined()
        await app.submit(ClaimHost())
        seen_playing_states: set[bool] = set()
        deadline = time.monotonic() + MINUTES * 60
        action = 0
        while time.monotonic() < deadline:
            # A change in kind every 2 s: far more than the budget lets through at once.
            await app.submit(TogglePlay() if action % 3 else SeekBy(5.0))
            action += 1
            await asyncio.sleep(2.0)  # pacing the user's presses, not waiting for a result
            metas = watcher.presence().get("u-app", [])
            seen_playing_states.update(bool(meta.get("is_playing")) for meta in metas)

        session = app.room.session
        assert session is not None
        assert session.link.joins == 1  # never closed, never rejoined
        assert session.link.is_joined
        assert "Client presence rate limit exceeded" not in caplog.text
        # Presence kept up with the changes (both states were published), within budget.
        assert seen_playing_states == {True, False}
        beats = [p for e, p in watcher.broadcasts if e == "heartbeat" and p["user_id"] == "u-app"]
        assert len(beats) >= MINUTES * 60 / 3 - 2  # one every 3 s
        assert beats[-1]["is_host"] is True
    finally:
        await app.stop()
        await watcher.stop()
