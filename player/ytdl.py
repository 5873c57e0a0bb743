"""Web pages through mpv's ytdl hook and yt-dlp, and why a URL would not play, in words.

libmpv 0.35.1 carries the hook as a built-in Lua script (player/lua/ytdl_hook.lua, enabled
by the ``ytdl`` option). With its default ``try_ytdl_first=no`` mpv first opens an http(s)
URL itself, so a direct media URL plays without yt-dlp; only when that fails does the hook
(its ``on_load_fail`` hook, ytdl_hook.lua lines 1026-1034) run ``yt-dlp -J`` on the URL and
play what it extracted. It reports failure only in its log (lines 862-878): yt-dlp's own
stderr, then "youtube-dl failed: " and "not found or not enough permissions" when the
executable could not be started. ``load_failure_reason`` turns those lines into a sentence.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from player.settings import PlayerSettings

YTDL_EXTRA_HINT = "pip install 'watchparty-tui[ytdl]'"


def default_ytdl_path() -> Path:
    """The yt-dlp installed with this app (the ``ytdl`` extra): next to our Python."""
    suffix = ".exe" if sys.platform.startswith("win") else ""
    return Path(sys.executable).parent / f"yt-dlp{suffix}"


def ytdl_path(settings: PlayerSettings) -> str:
    return settings.ytdl_path or str(default_ytdl_path())


def ytdl_missing(settings: PlayerSettings) -> bool:
    """The hook is on but its yt-dlp cannot be run (not installed, or not executable)."""
    return settings.ytdl and not os.access(ytdl_path(settings), os.X_OK)


def hook_runs_for(source: str) -> bool:
    """Sources the hook tries when mpv cannot open them itself (ytdl_hook.lua line 1029)."""
    return source.startswith(("http://", "https://", "ytdl://"))


def ytdl_options(settings: PlayerSettings) -> dict[str, str]:
    """mpv options for the hook: on or off, and which yt-dlp it runs (never one on PATH)."""
    if not settings.ytdl:
        return {"ytdl": "no"}
    options = {"ytdl": "yes", "script_opts": f"ytdl_hook-ytdl_path={ytdl_path(settings)}"}
    if settings.ytdl_raw_options:
        options["ytdl_raw_options"] = settings.ytdl_raw_options
    return options


NOT_MEDIA = "it is not a media file mpv can play"
_HOOK = "ytdl_hook: "
_NOT_STARTED = "youtube-dl failed: not found or not enough permissions"
_YTDL_ERROR = re.compile(r"ERROR: (?:\[[^\]]+\] )?(?:[^:\s]+: )?(?P<message>.*)")
_HTTP_ERROR = re.compile(r"HTTP Error (?P<code>\d{3}): (?P<text>[^(]*)")
_CAUSED_BY = re.compile(r"\s*\(caused by .*\)\s*$")
_NOT_RECOGNISED = "Failed to recognize file format"
_STREAM_FAILED = "stream: Failed to open"


def hook_finished(line: str) -> bool:
    """The hook's last line when yt-dlp failed (ytdl_hook.lua line 878)."""
    return line.startswith(_HOOK + "youtube-dl failed")


def load_failure_reason(log_lines: Sequence[str], *, ytdl_missing: bool = False) -> str:
    """Why mpv could not open a file or URL, from the error lines it logged while trying.

    ``ytdl_missing``: the hook ran for this source and its yt-dlp is not there (known
    without its log line, which libmpv may deliver after the end of the file). Otherwise
    the most telling line wins: an HTTP error or other message from yt-dlp, then mpv's last.
    """
    lines = [line.strip() for line in log_lines if line.removeprefix(_HOOK).strip()]
    hook = [line.removeprefix(_HOOK) for line in lines if line.startswith(_HOOK)]
    opened = not any(line.startswith(_STREAM_FAILED) for line in lines)
    if ytdl_missing or any(line.startswith(_NOT_STARTED) for line in hook):
        if opened:
            return f"a web page needs yt-dlp, which is not installed ({YTDL_EXTRA_HINT})"
        return (
            "the address did not open, and yt-dlp (for web pages) is not installed "
            f"({YTDL_EXTRA_HINT})"
        )
    for line in hook:
        match = _YTDL_ERROR.match(line)
        if match is None:
            continue
        message = _CAUSED_BY.sub("", match["message"]).strip()
        http = _HTTP_ERROR.search(message)
        if http is not None:
            return f"the server answered HTTP {http['code']} {http['text'].strip()}"
        if message.startswith("Unsupported URL"):
            return "yt-dlp found no video at that address"
        return f"yt-dlp could not get the video: {message}"
    # mpv's "Failed to recognize file format" may come after the end of the file, too.
    if not lines or _NOT_RECOGNISED in lines[-1]:
        return NOT_MEDIA
    return lines[-1]
