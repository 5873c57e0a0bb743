"""A browser on the room's web client and our app share one room, field for field."""

from __future__ import annotations

import pytest

from hub import RunningHub
from tests.live.harness import start_browser, start_member, within

WEB_PRESENCE_FIELDS = {"user_id", "username", "current_time", "is_playing", "last_update"}


@pytest.mark.slow
async def test_web_client_commands_drive_a_follower(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    browser = await start_browser(hub.url, "web-1", "Viewer123")
    app = await start_member(hub.url, media, "u-app", "app")
    try:
        await app.joined()
        player = app.room.player
        assert player is not None

        await browser.send(
            "seek", {"user_id": "web-1", "username": "Viewer123", "current_time": 30.0}
        )
        await within(
            player.wait_for(lambda s: abs((s.position or 0) - 30.0) < 0.05 and not s.seeking)
        )

        await browser.send(
            "play", {"user_id": "web-1", "username": "Viewer123", "current_time": 30.0}
        )
        await within(player.wait_for(lambda s: not s.paused and (s.position or 0) > 30.0))

        await browser.send(
            "pause", {"user_id": "web-1", "username": "Viewer123", "current_time": 33.5}
        )
        paused = await within(
            player.wait_for(
                lambda s: s.paused and not s.seeking and abs((s.position or 0) - 33.5) < 0.05
            )
        )
        assert paused.paused

        await app.until(lambda s: any(m.user_id == "web-1" for m in s.members))
        await app.noticed("Viewer123 paused playback")

        # What the app says about itself matches the event spec, field for field.
        _, heartbeat = await browser.heard(
            lambda e, p: e == "heartbeat" and p["user_id"] == "u-app"
        )
        assert {"user_id", "is_synced"} <= heartbeat.keys()
        assert isinstance(heartbeat["is_synced"], bool)
        assert heartbeat.keys() >= WEB_PRESENCE_FIELDS
        _, joined = await browser.heard(
            lambda e, p: e == "member_joined" and p["user_id"] == "u-app"
        )
        # The spec's fields, and our first clock ping riding along (a browser ignores it).
        assert {k: v for k, v in joined.items() if k != "sync_ping"} == {
            "user_id": "u-app",
            "username": "app",
        }

        await browser.heard(lambda e, p: "u-app" in browser.presence())
        [meta] = browser.presence()["u-app"]
        assert meta.keys() >= WEB_PRESENCE_FIELDS
        assert isinstance(meta["current_time"], float | int)
        assert isinstance(meta["is_playing"], bool)
        assert meta["last_update"] > 1_600_000_000_000  # ms since the epoch
    finally:
        await app.stop()
        await browser.stop()


@pytest.mark.slow
async def test_app_commands_reach_a_browser_with_the_web_fields(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    from room.intents import ClaimHost, SeekTo, TogglePlay

    browser = await start_browser(hub.url, "web-1", "Viewer123")
    app = await start_member(hub.url, media, "u-app", "app")
    try:
        await app.joined()
        await app.submit(ClaimHost())
        await app.until(lambda s: s.is_self_host)
        await app.submit(TogglePlay())
        _, play = await browser.heard(lambda e, p: e == "play")
        await app.submit(SeekTo(20.0))
        _, seek = await browser.heard(lambda e, p: e == "seek")
        await app.submit(TogglePlay())
        _, pause = await browser.heard(lambda e, p: e == "pause")
        for payload in (play, seek, pause):
            assert payload["user_id"] == "u-app"
            assert payload["username"] == "app"
            assert isinstance(payload["current_time"], float)
        assert abs(seek["current_time"] - 20.0) < 0.1
    finally:
        await app.stop()
        await browser.stop()
