from __future__ import annotations

import pytest
from pydantic import ValidationError

from player.settings import PlayerSettings, has_display, resolve_outputs


def test_no_display_means_audio_only() -> None:
    assert not has_display({}, platform="linux")
    assert resolve_outputs(PlayerSettings(), environ={}) == {"vo": "null"}


def test_display_opens_a_window() -> None:
    options = resolve_outputs(PlayerSettings(), environ={"DISPLAY": ":0"})
    assert "vo" not in options


def test_explicit_outputs_win() -> None:
    options = resolve_outputs(PlayerSettings(vo="null", ao="null"), environ={"DISPLAY": ":0"})
    assert options == {"vo": "null", "ao": "null"}


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError):
        PlayerSettings.model_validate({"vo": "null", "v0": "gpu"})
