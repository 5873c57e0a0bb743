from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from player.base import PlayerState
from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.sources import render_demo_file

DEMO_FPS = 100
PLAYER_WAIT_S = 20.0
"""How long a test waits for a real player: generous, since a loaded CPU slows libmpv down
and a test is about what the player does, not how fast this machine is."""


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20 s test pattern at 100 fps (10 ms frames) with a tone, rendered once per run."""
    path = tmp_path_factory.mktemp("media") / "demo.mkv"
    return render_demo_file(path, duration_s=20, fps=DEMO_FPS, size="160x90")


@pytest.fixture
async def player() -> AsyncIterator[MpvPlayer]:
    instance = MpvPlayer(settings=PlayerSettings(vo="null", ao="null"))
    yield instance
    instance.close()


async def wait_within(
    player: MpvPlayer, condition: Callable[[PlayerState], bool], seconds: float = PLAYER_WAIT_S
) -> PlayerState:
    async with asyncio.timeout(seconds):
        return await player.wait_for(condition)


async def seek_within(
    player: MpvPlayer, position: float, seconds: float = PLAYER_WAIT_S
) -> PlayerState:
    async with asyncio.timeout(seconds):
        return await player.seek_and_wait(position)
