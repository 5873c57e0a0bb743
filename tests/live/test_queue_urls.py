"""Queue items that are web pages, offline: a page on 127.0.0.1 with a video in it, found by
yt-dlp's generic extractor through mpv's ytdl hook, played by a room of real headless libmpv
players over the real hub; and members who cannot play one say so, and are not waited for.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import RunningHub
from player.base import PlayerState
from player.mpv_player import MpvPlayer
from room.intents import AddToQueue, ClaimHost, NextItem
from room.queue.waiting import Readiness
from room.state import RoomState
from tests.live.harness import LiveMember, start_member, watch_tables, within
from tests.web_site import YTDL_OFFLINE_OPTIONS, WebSite, offline_site

pytestmark = pytest.mark.slow

FRAME_S = 0.040
"""One frame of the test video (25 fps)."""
MISSING_YTDL = "/nonexistent/bin/yt-dlp"


@pytest.fixture
async def site(media: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WebSite]:
    async with offline_site(media, monkeypatch) as served:
        yield served


async def host_and_follower(
    hub: RunningHub, media: Path, *, bob_player: dict[str, object] | None = None
) -> tuple[LiveMember, LiveMember]:
    player = {"ytdl_raw_options": YTDL_OFFLINE_OPTIONS}
    tables = await watch_tables(hub.url)
    try:
        ann = await start_member(hub.url, media, "u-ann", "ann", player=player)
        bob = await start_member(
            hub.url, media, "u-bob", "bob", player={**player, **(bob_player or {})}
        )
        for member in (ann, bob):
            await member.joined()
        # The hub lets only a member of the room claim it: wait for ann's member row (on a
        # busy machine it can come after the join), then for the rooms row naming her.
        await tables.change(
            lambda d: d["table"] == "room_members" and d["record"].get("user_id") == "u-ann"
        )
        await ann.submit(ClaimHost())
        await tables.change(
            lambda d: d["table"] == "rooms" and d["record"].get("host_user_id") == "u-ann"
        )
    finally:
        await tables.stop()
    await bob.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
    return ann, bob


async def queue_one(ann: LiveMember, bob: LiveMember, source: str) -> None:
    await ann.submit(AddToQueue(source))
    for member in (ann, bob):
        await member.until(lambda s: len(s.queue.items) == 1)


def players(*members: LiveMember) -> tuple[MpvPlayer, ...]:
    found = tuple(member.room.player for member in members)
    assert all(player is not None for player in found)
    return found  # type: ignore[return-value]


def describe(*members: LiveMember) -> str:
    """Where each member is, for a failure's message."""
    return "\n".join(
        f"{m.name}: {m.room.player.state if m.room.player else None}; {m.state.queue}; "
        f"notices {m.notices[-5:]}"
        for m in members
    )


def bob_as_ann_sees_him(state: RoomState) -> Readiness | None:
    bob = next((m for m in state.members if m.user_id == "u-bob"), None)
    return None if bob is None else state.queue.readiness_of(bob)


async def test_a_room_of_two_plays_a_page_with_a_video_on_the_hosts_frame(
    hub: RunningHub, media: Path, site: WebSite
) -> None:
    ann, bob = await host_and_follower(hub, media)
    try:
        await queue_one(ann, bob, site.page)
        await ann.submit(NextItem())
        host, fan = players(ann, bob)
        for player in (host, fan):
            await within(player.wait_for(lambda s: s.source == site.page and not s.paused))

        def drift() -> float:
            now = time.monotonic()
            return abs((fan.state.position_now(now) or 0) - (host.state.position_now(now) or 0))

        def on_frame(state: PlayerState) -> bool:
            return state.advancing and drift() < FRAME_S

        await within(fan.wait_for(on_frame))
        # Both opened the page's video (the 90 s file), not the page, not their own media.
        assert host.state.duration == pytest.approx(90.0, abs=1)
        assert fan.state.duration == pytest.approx(90.0, abs=1)
        # The host noted the title yt-dlp read from the page: the whole room's queue shows it.
        for member in (ann, bob):
            await member.until(
                lambda s: (
                    s.queue.items[0].title is not None
                    and "Night <b>[red]" in s.queue.items[0].title
                )
            )
    finally:
        await bob.stop()
        await ann.stop()
    yt_dlp_reads = [agent for path, agent in site.requests if path == "/watch/episode-1"]
    assert len([agent for agent in yt_dlp_reads if agent != "libmpv"]) == 2, "one per member"
    assert site.outside_requests == [], "nothing left 127.0.0.1"


async def test_a_member_without_yt_dlp_cant_play_and_the_room_goes_on(
    hub: RunningHub, media: Path, site: WebSite
) -> None:
    ann, bob = await host_and_follower(hub, media, bob_player={"ytdl_path": MISSING_YTDL})
    try:
        await queue_one(ann, bob, site.page)
        await ann.submit(NextItem())
        # bob says why, in words, and shows himself as can't play.
        try:
            said = await bob.until(lambda s: s.queue.problem is not None, 20)
        except TimeoutError:
            pytest.fail(describe(ann, bob))
        assert said.queue.problem is not None
        assert "yt-dlp" in said.queue.problem and "not installed" in said.queue.problem
        await bob.noticed(f"Can't play {site.page}: {said.queue.problem}")
        # ann sees him as can't play (not out of sync) and starts without waiting for him.
        await ann.until(lambda s: bob_as_ann_sees_him(s) is Readiness.CANT_PLAY)
        (host,) = players(ann)
        await within(host.wait_for(lambda s: s.source == site.page and s.advancing))
    finally:
        await bob.stop()
        await ann.stop()
    assert site.outside_requests == []


async def test_a_page_that_is_gone_is_cant_play_with_the_servers_answer(
    hub: RunningHub, media: Path, site: WebSite
) -> None:
    ann, bob = await host_and_follower(hub, media)
    try:
        await queue_one(ann, bob, site.missing_page)
        await ann.submit(NextItem())
        for member in (ann, bob):
            try:
                said = await member.until(lambda s: s.queue.problem is not None, 20)
            except TimeoutError:
                pytest.fail(describe(ann, bob))
            assert said.queue.problem == "the server answered HTTP 404 Not Found"
        await ann.until(lambda s: bob_as_ann_sees_him(s) is Readiness.CANT_PLAY)
    finally:
        await bob.stop()
        await ann.stop()
    assert site.outside_requests == []
