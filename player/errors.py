"""Errors the player raises, each with a message a user can act on."""

from __future__ import annotations

LIBMPV_HINT = (
    "libmpv was not found. Install it and try again: "
    "Debian/Ubuntu `sudo apt install libmpv2`, Fedora `sudo dnf install mpv-libs`, "
    "Arch `sudo pacman -S mpv`, macOS `brew install mpv`."
)


class PlayerError(Exception):
    """A playback problem worth showing to the user as one line, never as a traceback."""


class LibmpvMissingError(PlayerError):
    def __init__(self, detail: str = "") -> None:
        message = LIBMPV_HINT if not detail else f"{LIBMPV_HINT} ({detail})"
        super().__init__(message)


class MediaNotFoundError(PlayerError):
    def __init__(self, source: str) -> None:
        super().__init__(f"No such file: {source}")
        self.source = source


class MediaLoadError(PlayerError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Could not play {source}: {reason}")
        self.source = source
        self.reason = reason
