from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import HubSettings, RunningHub, start_hub
from player.sources import render_demo_file


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short seekable test video with a tone, rendered once for the whole run."""
    cache = os.environ.get("WATCHPARTY_TEST_MEDIA_CACHE")
    folder = Path(cache) if cache else tmp_path_factory.mktemp("media")
    return render_demo_file(folder / "test-160x90-90s.mkv", duration_s=90.0, size="160x90")


@pytest.fixture
async def hub() -> AsyncIterator[RunningHub]:
    running = await start_hub(HubSettings(port=0))
    try:
        yield running
    finally:
        await running.close()
