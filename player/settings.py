"""Player settings (the `player.*` section of the app config) and output selection."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class PlayerSettings(BaseModel):
    """How the local player is set up. Field docstrings double as the config reference."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    vo: str | None = None
    """mpv video output. Unset: a window when a display exists, else `null` (audio only).
    `null` runs headless."""

    ao: str | None = None
    """mpv audio output. Unset: mpv's default for this system. `null` plays silently."""

    load_timeout_s: float = Field(default=15.0, gt=0, le=600)
    """How long to wait for the first frame of a file or URL before reporting it unplayable."""

    buffering_debounce_ms: int = Field(default=300, ge=0, le=10_000)
    """Report buffering only when mpv has waited for its cache this long, so brief network
    hiccups do not flip the member list to "buffering" and back."""


def has_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when a video window can be opened (macOS and Windows always have one)."""
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if plat == "darwin" or plat.startswith("win"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def resolve_outputs(
    settings: PlayerSettings, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """mpv options for video/audio output: explicit settings win, else window-or-audio-only."""
    options: dict[str, str] = {}
    if settings.vo is not None:
        options["vo"] = settings.vo
    elif not has_display(environ):
        options["vo"] = "null"
    if settings.ao is not None:
        options["ao"] = settings.ao
    return options
