"""The demo file is as long as asked, with timestamps a seek can trust: rooms compare media
lengths and seek by them."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.mpv_player import MpvPlayer
from player.sources import render_demo_file
from tests.player.conftest import seek_within


@pytest.mark.slow
async def test_a_long_render_lasts_as_long_as_asked(player: MpvPlayer, tmp_path: Path) -> None:
    # 90 s as the live tests use: shorter renders came out right even when longer ones did not.
    path = render_demo_file(tmp_path / "long.mkv", duration_s=90.0, fps=25, size="160x90")
    await player.load(str(path))
    assert player.state.duration == pytest.approx(90.0, abs=0.1)
    for target in (30.0, 60.0, 85.0, 12.5):
        landed = await seek_within(player, target)
        assert landed.position == pytest.approx(target, abs=0.05)  # as the live tests ask
