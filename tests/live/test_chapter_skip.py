"""The host's PgUp: the room goes to the next chapter, and `u` brings it back.

Real hub, real libmpv for everyone, chapters written into the test media by the renderer.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

import tui.live
from hub import RunningHub
from player.sources import demo_chapters, render_demo_file
from room.chapters import Chapter, chapter_choice
from room.intents import SetOffset, SkipChapter, TogglePlay, UndoSeek
from room.timefmt import format_time
from tests.live.harness import (
    LiveMember,
    host_and_follower,
    start_browser,
    start_member,
    within,
)
from tests.live.test_member_offset import OFFSET_S, until_offset_within
from tests.live.test_two_members import FRAME_S, player_of, until_within

CHAPTERS = demo_chapters(90.0)


@pytest.fixture(scope="session")
def chaptered_media(media: Path) -> Path:
    """The live tests' media with chapters at 0, 9, 36, 63 and 85.5 s."""
    return render_demo_file(media, duration_s=90.0, size="160x90", chapters=CHAPTERS)


def position_of(member: LiveMember) -> float:
    position = player_of(member).state.position_now(time.monotonic())
    assert position is not None
    return position


@pytest.mark.slow
async def test_the_hosts_next_chapter_takes_the_room_there_and_undo_brings_it_back(
    hub: RunningHub,
    chaptered_media: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # cara's offset stays in this test
    async with host_and_follower(hub.url, chaptered_media) as (ann, bob):
        cara = await start_member(hub.url, chaptered_media, "u-cara", "cara")
        web = await start_browser(hub.url, "u-web", "web")  # the room's web client
        try:
            await cara.joined()
            await cara.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
            await cara.submit(SetOffset(OFFSET_S))  # another release: 1.5 s later
            shown = await ann.until(lambda s: len(s.playback.chapters) == len(CHAPTERS))
            assert [c.title for c in shown.playback.chapters] == [t for _, t in CHAPTERS]

            await ann.submit(TogglePlay())
            for follower in (bob, cara):
                await within(player_of(follower).wait_for(lambda s: not s.paused))
            await until_within(ann, bob, FRAME_S)
            await until_offset_within(ann, cara)

            # Where the host's PgUp goes from where it is now (the next chapter's start).
            chapters = [Chapter(start, title) for start, title in CHAPTERS]
            choice = chapter_choice(position_of(ann), chapters, 1)
            assert choice is not None
            target = choice.start_s
            restarts = player_of(ann).state.restarts
            landing = asyncio.ensure_future(  # the host's first state after its seek
                within(player_of(ann).wait_for(lambda s: s.restarts > restarts))
            )
            await ann.submit(SkipChapter(1))
            title = CHAPTERS[choice.index][1]
            await ann.noticed(f"Chapter {choice.index + 1}/{len(CHAPTERS)}: {title}")
            landed = await landing
            assert landed.position is not None
            assert abs(landed.position - target) <= FRAME_S, "the host lands on the chapter"
            await bob.noticed(f"ann seeked to {format_time(target)}")
            # A browser hears an ordinary seek to the chapter's start, in the web's fields.
            _, seek = await web.heard(
                lambda event, payload: event == "seek" and payload.get("user_id") == "u-ann"
            )
            assert seek["current_time"] == pytest.approx(target)
            assert seek["username"] == "ann"

            await within(player_of(bob).wait_for(lambda s: (s.position or 0) >= target))
            await within(player_of(cara).wait_for(lambda s: (s.position or 0) >= target + OFFSET_S))
            await until_within(ann, bob, FRAME_S)
            await until_offset_within(ann, cara)  # the host's time plus its offset
            assert not player_of(bob).state.paused and not player_of(cara).state.paused

            # u: everyone back to before the chapter skip.
            before = ann.room.session.playback.undo_target_s  # type: ignore[union-attr]
            assert before is not None and before < target
            await ann.submit(UndoSeek())
            await ann.noticed(f"Back to {format_time(before)}")
            await within(player_of(bob).wait_for(lambda s: (s.position or 99) < target))
            await within(player_of(cara).wait_for(lambda s: (s.position or 99) < target + OFFSET_S))
            await until_within(ann, bob, FRAME_S)
            await until_offset_within(ann, cara)
            assert position_of(ann) < target
        finally:
            await web.stop()
            await cara.stop()


@pytest.mark.slow
async def test_the_demo_room_has_chapters_to_try(
    hub: RunningHub, other_media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo as `watchparty-tui demo --host` opens it, from a short render of the test's.
    monkeypatch.setattr(tui.live, "demo_file", lambda: other_media)
    ann = await start_member(hub.url, None, "u-ann", "ann", claim_host=True)
    try:
        state = await ann.until(lambda s: len(s.playback.chapters) == len(demo_chapters(300.0)))
        assert state.playback.chapters[1] == Chapter(30.0, "Part one")
        await ann.until(lambda s: s.is_self_host)
        await ann.submit(SkipChapter(1))
        await within(player_of(ann).wait_for(lambda s: (s.position or 0) >= 15.0))
    finally:
        await ann.stop()
