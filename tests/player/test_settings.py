from __future__ import annotations

import pytest
from pydantic import ValidationError

from player.settings import PlayerSettings, has_display, resolve_outputs, resolve_video


def test_no_display_means_video_in_the_terminal() -> None:
    assert not has_display({}, platform="linux")
    # The pane turns video output and decoding on once it has a size.
    assert resolve_outputs(PlayerSettings(), environ={}, platform="linux") == {
        "vo": "null",
        "vid": "no",
    }


X11 = {"DISPLAY": ":0"}
WAYLAND = {"WAYLAND_DISPLAY": "wayland-0"}
SSH = {"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"}


@pytest.mark.parametrize(
    ("video", "vo", "environ", "platform", "place"),
    [
        ("auto", None, {}, "linux", "terminal"),  # a console or a server
        ("auto", None, X11, "linux", "window"),
        ("auto", None, WAYLAND, "linux", "window"),
        ("auto", None, {**X11, **SSH}, "linux", "terminal"),  # ssh -X: still the terminal
        ("auto", None, {"SSH_TTY": "/dev/pts/1"}, "darwin", "terminal"),
        ("auto", None, {}, "darwin", "window"),  # macOS always has a display
        ("auto", "null", X11, "linux", "off"),  # headless, as before
        ("auto", "gpu", {}, "linux", "window"),  # a chosen output is a window
        ("terminal", None, X11, "linux", "terminal"),
        ("window", None, {}, "linux", "window"),
        ("off", None, X11, "linux", "off"),
    ],
)
def test_where_the_video_goes(
    video: str, vo: str | None, environ: dict[str, str], platform: str, place: str
) -> None:
    settings = PlayerSettings.model_validate({"video": video, "vo": vo})
    assert resolve_video(settings, environ, platform) == place


def test_video_off_decodes_no_video() -> None:
    options = resolve_outputs(PlayerSettings(video="off"), environ=X11)
    assert options == {"vo": "null", "vid": "no"}


def test_bad_video_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="video"):
        PlayerSettings.model_validate({"video": "tty"})
    with pytest.raises(ValidationError, match="video_fps"):
        PlayerSettings.model_validate({"video_fps": 0})


def test_display_opens_a_window() -> None:
    options = resolve_outputs(PlayerSettings(), environ={"DISPLAY": ":0"})
    assert "vo" not in options


def test_explicit_outputs_win() -> None:
    options = resolve_outputs(PlayerSettings(vo="null", ao="null"), environ={"DISPLAY": ":0"})
    assert options == {"vo": "null", "ao": "null"}


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError):
        PlayerSettings.model_validate({"vo": "null", "v0": "gpu"})
