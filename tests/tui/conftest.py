from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import pytest

from room.state import RoomState
from tests.rooms import RecordingRoom
from tui.app import WatchPartyApp
from tui.config import PlayerSection, Settings


@pytest.fixture(autouse=True)
def _no_user_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's own config or environment."""
    for name in [n for n in __import__("os").environ if n.startswith("WATCHPARTY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


AppFactory = Callable[[RoomState], tuple[WatchPartyApp, RecordingRoom]]


@pytest.fixture
def make_app() -> AppFactory:
    def build(room: RoomState) -> tuple[WatchPartyApp, RecordingRoom]:
        controller = RecordingRoom(room)
        # No video area: these tests are about the text panes, on any machine (with no
        # display, `video = "auto"` would draw the video; tests/video covers that layout).
        settings = Settings(player=PlayerSection(video="off"))
        return WatchPartyApp(room, settings, controller, tz=UTC), controller

    return build
