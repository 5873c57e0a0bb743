"""Player settings (the `player.*` section of the app config) and output selection."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

VideoSetting = Literal["auto", "terminal", "window", "off"]
VideoPlace = Literal["terminal", "window", "off"]
GraphicsSetting = Literal["auto", "kitty", "cells"]


class PlayerSettings(BaseModel):
    """How the local player is set up. Field docstrings double as the config reference."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    vo: str | None = None
    """mpv video output for a window (`video = "window"`). Unset: mpv's default. `null` runs
    headless: with `video = "auto"` no video is shown, though it is still decoded."""

    video: VideoSetting = "auto"
    """Where the video goes. terminal: drawn in the playback pane (any 256-colour terminal,
    inside tmux and over SSH too). window: mpv's own window. off: no video, sound only, and
    no video decoding. auto: the terminal when mpv has no display to open a window on (no
    DISPLAY or WAYLAND_DISPLAY, or over SSH), else a window; with `vo = "null"`, none."""

    video_fps: float = Field(default=15.0, ge=1, le=60)
    """The most frames a second the playback pane draws. 15 keeps an 80x24 pane near 10 % of
    one core; the sound and the room's sync never wait for the picture."""

    video_graphics: GraphicsSetting = "auto"
    """How the pane draws the video. cells: half-block text cells in 256 colours, anywhere.
    kitty: kitty's graphics protocol with Unicode placeholders, a sharper picture (kitty
    0.28 or later, Ghostty; inside tmux 3.3 or later only with `set -g allow-passthrough
    on`). auto: kitty when the terminal answers kitty's graphics query at start (inside
    tmux: passthrough on and the outer terminal is kitty or Ghostty), cells otherwise and
    always over SSH. Anything failing falls back to cells."""

    ao: str | None = None
    """mpv audio output. Unset: mpv's default for this system. `null` plays silently."""

    load_timeout_s: float = Field(default=15.0, gt=0, le=600)
    """How long to wait for the first frame of a file or URL before reporting it unplayable."""

    ytdl: bool = True
    """Play web pages (a video site's page, any page with a video in it) through mpv's ytdl
    hook and yt-dlp, as mpv does. A direct media URL (http(s) to a .mp4, .mkv...) plays
    without it. yt-dlp comes with the `ytdl` extra: `pip install 'watchparty-tui[ytdl]'`."""

    ytdl_path: str | None = None
    """The yt-dlp executable mpv runs. Unset: the one installed with this app (beside its
    Python, in the same virtualenv), never whichever is first on PATH."""

    ytdl_raw_options: str = ""
    """Options for yt-dlp, as mpv's `ytdl-raw-options`: `name=value` pairs separated by
    commas, an empty value for a flag (say `cookies-from-browser=firefox,ignore-config=`)."""

    @field_validator("ytdl_raw_options")
    @classmethod
    def _raw_options(cls, options: str) -> str:
        # libmpv refuses anything else at start (a key-value list), and would not say which
        # setting was wrong.
        for pair in options.split(",") if options else ():
            name, equals, _ = pair.partition("=")
            if not equals or not name or not all(c.isalnum() or c == "-" for c in name):
                raise ValueError(f"expected name=value pairs separated by commas, got {pair!r}")
        return options

    @field_validator("ytdl_path")
    @classmethod
    def _one_path(cls, path: str | None) -> str | None:
        # mpv's script-opts list splits on ","; the hook splits the path on ":" (";" on
        # Windows) into several to try (ytdl_hook.lua line 815).
        forbidden = ",;" if sys.platform.startswith("win") else ",:"
        if path is not None and any(char in path for char in forbidden):
            raise ValueError(f"one path, without {' or '.join(forbidden)} in it")
        return path

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


def over_ssh(environ: Mapping[str, str] | None = None) -> bool:
    """True in an SSH session (OpenSSH sets these for the remote shell)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"))


def resolve_video(
    settings: PlayerSettings,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> VideoPlace:
    """Where the video goes: the setting, or auto's rule (see `PlayerSettings.video`)."""
    if settings.video != "auto":
        return settings.video
    if settings.vo == "null":
        return "off"
    if settings.vo is not None:
        return "window"
    if over_ssh(environ) or not has_display(environ, platform):
        return "terminal"
    return "window"


def resolve_outputs(
    settings: PlayerSettings,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> dict[str, str]:
    """mpv options for video/audio output at start.

    The terminal's video starts with no video output and no decoding: the render context must
    exist before `vo=libmpv` is set, and the pane turns both on once it has a size.
    """
    options: dict[str, str] = {}
    place = resolve_video(settings, environ, platform)
    if place == "window" or (settings.vo == "null" and settings.video == "auto"):
        # A window; or headless as before (`vo = "null"`: the video is decoded unseen, so
        # `time-pos` advances frame by frame, as the sync tests measure it).
        if settings.vo is not None:
            options["vo"] = settings.vo
    else:
        options["vo"] = "null"
        options["vid"] = "no"
    if settings.ao is not None:
        options["ao"] = settings.ao
    return options
