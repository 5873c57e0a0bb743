"""Hostile payloads from another member never crash the app or move the player."""

from __future__ import annotations

import pytest

from hub import RunningHub
from room.state import ConnectionStatus
from room.wire import MAX_COMMENT_CHARS
from tests.live.harness import start_browser, start_member, within

BAD_PLAYBACK = [
    {"user_id": "web-1", "username": "x", "current_time": -5},
    {"user_id": "web-1", "username": "x", "current_time": 1e308},
    {"user_id": "web-1", "username": "x", "current_time": "soon"},
    {"user_id": "web-1", "username": "x", "current_time": None},
    {"user_id": "web-1", "username": "x", "current_time": True},
    {"user_id": "web-1", "username": "x"},
    {"username": "x", "current_time": 10},
    {"user_id": 7, "username": "x", "current_time": 10},
    {"user_id": "web-1", "current_time": 10, "is_playing": True, "at": "later", "seq": -1},
    {"user_id": "web-1", "current_time": 10, "is_playing": "yes", "at": 1.0, "seq": 5},
]


@pytest.mark.slow
async def test_bad_payloads_leave_the_player_alone(roomy_hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    hub = roomy_hub
    browser = await start_browser(hub.url, "web-1", "\x1b[31mmallory[/red]")
    app = await start_member(hub.url, media, "u-app", "app")
    try:
        await app.joined()
        player = app.room.player
        assert player is not None
        before = player.state
        for event in ("play", "pause", "seek", "sync_anchor"):
            for payload in BAD_PLAYBACK:
                await browser.send(event, payload)
        await browser.send("heartbeat", {"user_id": "web-1", "is_synced": "maybe"})
        await browser.send("member_joined", {"user_id": ["web-1"]})
        await browser.send(
            "new_comment",
            {
                "id": "big",
                "user_id": "web-1",
                "username": "[b]m[/b]",
                "message": "\x1b]0;pwn\x07" + "A" * 100_000,
            },
        )
        await browser.send("host_changed", {"user_id": None})
        await browser.send("sync_ping", {"from_user": "web-1", "to_user": "u-app", "ping_id": -1})
        # A good command after the bad ones still works: the app kept listening.
        await browser.send(
            "seek", {"user_id": "web-1", "username": "mallory", "current_time": 12.0}
        )
        await within(
            player.wait_for(lambda s: abs((s.position or 0) - 12.0) < 0.05 and not s.seeking)
        )

        assert before.paused and player.state.paused  # nothing started playback
        state = await app.until(lambda s: any(c.id == "big" for c in s.comments))
        [comment] = [c for c in state.comments if c.id == "big"]
        assert len(comment.message) <= MAX_COMMENT_CHARS  # kept, cut, not lost
        assert state.connection.status is ConnectionStatus.CONNECTED
        assert app.room.session is not None
        assert app.room.session.link.joins == 1  # never dropped or rejoined
    finally:
        await app.stop()
        await browser.stop()
