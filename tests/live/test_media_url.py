"""A member who opened nothing plays what the host announced (a URL), on the host's frame."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import tui.live
from hub import RunningHub
from room.intents import SeekTo, TogglePlay
from tests.live.harness import start_member, within


@pytest.fixture
async def media_url(media: Path) -> AsyncIterator[str]:
    """The test video served over HTTP on 127.0.0.1, as a URL a host would share."""
    app = web.Application()
    app.router.add_static("/media", media.parent)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/media/{media.name}"
    finally:
        await runner.cleanup()


@pytest.mark.slow
async def test_follower_without_media_plays_the_hosts_url(  # type: ignore[no-untyped-def]
    hub: RunningHub, media_url: str, other_media, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The follower's own fallback (the demo) is a different, shorter video.
    monkeypatch.setattr(tui.live, "demo_file", lambda: other_media)
    ann = await start_member(hub.url, media_url, "u-ann", "ann", claim_host=True)
    bob = await start_member(hub.url, None, "u-bob", "bob")
    try:
        await ann.joined()
        await bob.joined()
        await bob.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
        assert bob.room.player is not None and ann.room.player is not None
        assert abs((bob.room.player.state.duration or 0) - 20.0) < 1  # the demo, for now

        await ann.submit(SeekTo(30.0))
        await ann.submit(TogglePlay())
        host, fan = ann.room.player, bob.room.player
        await within(fan.wait_for(lambda s: abs((s.duration or 0) - 90.0) < 1))
        assert fan.state.source == media_url

        def drift() -> float:
            now = time.monotonic()
            return abs((fan.state.position_now(now) or 0) - (host.state.position_now(now) or 0))

        await within(fan.wait_for(lambda s: not s.paused and drift() < 0.040))
    finally:
        await bob.stop()
        await ann.stop()
