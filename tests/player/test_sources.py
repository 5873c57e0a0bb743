"""The demo file is as long as asked, with timestamps a seek can trust: rooms compare media
lengths and seek by them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from player.mpv_player import MpvPlayer
from player.sources import render_demo_file
from tests.player.conftest import PLAYER_WAIT_S, seek_within


@pytest.mark.slow
async def test_a_long_render_lasts_as_long_as_asked(player: MpvPlayer, tmp_path: Path) -> None:
    # 90 s as the live tests use: shorter renders came out right even when longer ones did not.
    path = render_demo_file(tmp_path / "long.mkv", duration_s=90.0, fps=25, size="160x90")
    await player.load(str(path))
    assert player.state.duration == pytest.approx(90.0, abs=0.1)
    for target in (30.0, 60.0, 85.0, 12.5):
        landed = await seek_within(player, target)
        assert landed.position == pytest.approx(target, abs=0.05)  # as the live tests ask


@pytest.mark.slow
async def test_after_a_seek_the_renders_sound_and_picture_are_at_the_same_moment(
    player: MpvPlayer, tmp_path: Path
) -> None:
    """A render whose audio was timed wrongly (AAC, before the renderer moved to MP2) seeked
    its sound seconds past its picture, and libmpv then ran the video at 1.7x to catch up:
    every follower measured against such a host strayed by a second. Cached renders carry
    the renderer's version in their name, so such a file is never reused."""
    path = render_demo_file(tmp_path / "seek.mkv", duration_s=90.0, fps=25, size="160x90")
    assert ".r" in path.stem, "the cached render names its renderer's version"
    assert render_demo_file(path, duration_s=90.0, fps=25, size="160x90") == path, "reused"
    await player.load(str(path))
    player.play()
    for target in (60.0, 20.0):
        await seek_within(player, target)
        async with asyncio.timeout(PLAYER_WAIT_S):
            state = await player.wait_for(lambda s, t=target: s.position >= t + 1.0)
        audio = player.mpv_property("audio-pts")
        assert audio is not None
        assert abs(audio - state.position) < 0.3, (target, audio, state.position)
