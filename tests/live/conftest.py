from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import HubSettings, RunningHub, start_hub
from player.sources import render_demo_file
from tests.live.harness import LIVE_JWT_SECRET


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short seekable test video with a tone, rendered once for the whole run."""
    cache = os.environ.get("WATCHPARTY_TEST_MEDIA_CACHE")
    folder = Path(cache) if cache else tmp_path_factory.mktemp("media")
    # The audio codec is in the name: a cached AAC render of old may be minutes too long.
    return render_demo_file(folder / "test-160x90-90s-mp2.mkv", duration_s=90.0, size="160x90")


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A hub of the test's own, with an empty database."""
    running = await start_hub(
        HubSettings(port=0, jwt_secret=LIVE_JWT_SECRET, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def roomy_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A hub whose message budget a test's deliberate burst of bad input fits in: the test is
    about what the app does with the messages, not about the hub's flood guard."""
    running = await start_hub(
        HubSettings(
            port=0,
            max_events_per_second=5000,
            jwt_secret=LIVE_JWT_SECRET,
            db_path=tmp_path / "hub.sqlite3",
        )
    )
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture(scope="session")
def other_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A different, shorter video: what a member who opened the wrong file would play."""
    folder = tmp_path_factory.mktemp("other-media")
    return render_demo_file(folder / "other-160x90-20s.mkv", duration_s=20.0, size="160x90")
