"""`Player` over libmpv (python-mpv), driven by property observers.

Threading: libmpv calls observers and event callbacks on python-mpv's event thread. Those
callbacks only record the new value under a short lock and schedule one delivery on the
asyncio loop with `call_soon_threadsafe`; everything else (listeners, waiters, buffering
debounce) runs on the loop. Several changes between two deliveries are coalesced into one
state, and counters (`restarts`) make sure no finished seek is lost in the coalescing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from player.base import Chapter, Player, PlayerState, StateListener
from player.errors import LibmpvMissingError, MediaLoadError, MediaNotFoundError, PlayerError
from player.frames import FrameRenderer, FrameSink
from player.render_api import SoftwareRenderContext, Wakeup
from player.settings import PlayerSettings, VideoPlace, resolve_outputs, resolve_video
from player.ytdl import (
    hook_finished,
    hook_runs_for,
    load_failure_reason,
    ytdl_missing,
    ytdl_options,
)

log = logging.getLogger(__name__)

OBSERVED_PROPERTIES = (
    "time-pos",
    "pause",
    "speed",
    "duration",
    "seeking",
    "paused-for-cache",
    "eof-reached",
)
CHAPTER_PROPERTIES = ("chapter-list", "chapter")
MAX_CHAPTERS = 1000
"""A file may say anything: beyond this many chapters the rest are dropped."""
MAX_CHAPTER_TITLE = 500
"""Characters of a chapter title kept (the panes cut it further to fit)."""

# libmpv's numeric ids (mpv_event_id, mpv_end_file_reason), stable across versions.
_EVENT_SHUTDOWN = 1
_EVENT_END_FILE = 7
_EVENT_FILE_LOADED = 8
_EVENT_PLAYBACK_RESTART = 21
_END_FILE_ERROR = 4

HOOK_LOG_WAIT_S = 2.0
"""How long a failed web address waits for the ytdl hook's last log line (it is logged
just before the end of the file, so it is usually there within milliseconds)."""


def import_mpv() -> ModuleType:
    """Import python-mpv, turning a missing libmpv into a one-line `PlayerError`."""
    try:
        import mpv
    except OSError as error:  # python-mpv raises OSError when libmpv cannot be loaded
        raise LibmpvMissingError(str(error)) from None
    except ImportError as error:
        raise PlayerError(f"python-mpv is not installed ({error})") from None
    module: ModuleType = mpv
    return module


def _resolve_source(source: str) -> str:
    """A URL as given, or a local path with `~` expanded; a missing file is a clear error."""
    if "://" in source:
        return source
    path = Path(source).expanduser()
    if not path.exists():
        raise MediaNotFoundError(source)
    return str(path)


class MpvPlayer:
    """A libmpv player. Create it on the asyncio loop that should receive its states."""

    def __init__(
        self,
        *,
        settings: PlayerSettings | None = None,
        on_state: StateListener | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        mpv_options: dict[str, str] | None = None,
    ) -> None:
        self._settings = settings or PlayerSettings()
        self._loop = loop or asyncio.get_running_loop()
        self._listeners: list[StateListener] = [on_state] if on_state else []
        self._waiters: list[tuple[Callable[[PlayerState], bool], asyncio.Future[PlayerState]]] = []
        self._lock = threading.Lock()
        # Held while mpv's event thread reads from the handle and while close() marks the
        # player closed: a read racing terminate() crashes libmpv (seen after a refresh seek).
        self._handle_lock = threading.Lock()
        # Written by mpv's thread under _lock, turned into a PlayerState on the loop.
        self._raw: dict[str, Any] = {}
        self._position_at = 0.0
        self._restarts = 0
        self._seek_pending = False
        self._refreshes = 0
        self._loaded = False
        self._file_pending = False
        self._loading = False
        """`load` is waiting for the file to open (loop thread only)."""
        self._seek_after_load: float | None = None
        """A seek asked for while loading, done once the file is open (loop thread only)."""
        """A load was asked for and mpv has not reported the new file loaded: a restart
        meanwhile (a seek on the file before) does not mean the new file is ready."""
        self._error: str | None = None
        self._source: str | None = None
        self._delivery_scheduled = False
        self._closed = False
        self._recent_errors: deque[str] = deque(maxlen=12)
        """The error lines mpv logged since the last load (yt-dlp's stderr among them)."""
        self._hook_failed = asyncio.Event()
        """The ytdl hook logged its last line about a failed yt-dlp."""
        self._ytdl_missing = ytdl_missing(self._settings)
        self._buffering = False
        self._buffering_timer: asyncio.TimerHandle | None = None
        self._state = PlayerState()
        self._chapters_seen: object = None
        self._chapters: tuple[Chapter, ...] = ()

        self.video_place: VideoPlace = resolve_video(self._settings)
        self._renderer: FrameRenderer | None = None
        self._render_context: SoftwareRenderContext | None = None

        mpv = import_mpv()
        self._mpv_module = mpv
        options = {
            "idle": "yes",
            "keep_open": "yes",  # stay on the last frame at the end, so the room can seek back
            "pause": "yes",
            "hr_seek": "yes",
            "audio_pitch_correction": "yes",
            # No sound device (a server over SSH, a container): play muted rather than not at
            # all. Without it mpv ended the file at once when the pane's video was not on yet
            # ("Could not open/initialize audio device -> no sound"), and the room could not
            # be joined. The same as `ao=null` then: the position runs on mpv's clock.
            "audio_fallback_to_null": "yes",
            # Keep the tempo filter in the chain at 1.0x too: mpv otherwise inserts it on the
            # first speed change and re-initialises audio, so a nudge takes ~0.4 s to bite.
            "af": "scaletempo2",
        }
        outputs = resolve_outputs(self._settings)
        options.update(outputs)
        if outputs.get("vo") != "null":
            # A window: let the host use mpv's own keys; the adapter reports what they do.
            options.update(input_default_bindings="yes", input_vo_keyboard="yes", osc="yes")
        options.update(ytdl_options(self._settings))
        options.update(mpv_options or {})
        try:
            self._mpv = mpv.MPV(log_handler=self._on_log, loglevel="error", **options)
        except (OSError, SystemError, AttributeError, TypeError) as error:
            raise PlayerError(f"libmpv could not start: {error}") from None
        for name in (*OBSERVED_PROPERTIES, *CHAPTER_PROPERTIES):
            self._mpv.observe_property(name, self._on_property)
        self._mpv.register_event_callback(self._on_event)

    # -- state and subscriptions (loop thread) ------------------------------------------

    @property
    def state(self) -> PlayerState:
        return self._state

    def mpv_option(self, name: str) -> Any:
        """Read an mpv option by its mpv name (diagnostics and tests)."""
        return self._mpv[name]

    def mpv_property(self, name: str) -> Any:
        """Read an mpv property by its mpv name (diagnostics and benchmarks); None if absent."""
        try:
            return self._mpv._get_property(name)
        except (AttributeError, RuntimeError):
            return None

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def wait_for(self, condition: Callable[[PlayerState], bool]) -> PlayerState:
        """Wait until a delivered state satisfies `condition`, checking the current one first.

        No time limit of its own: callers wrap it in `asyncio.timeout(...)`.
        """
        if condition(self._state):
            return self._state
        future: asyncio.Future[PlayerState] = self._loop.create_future()
        entry = (condition, future)
        self._waiters.append(entry)
        try:
            return await future
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # -- commands (loop thread) ---------------------------------------------------------

    async def load(self, source: str, *, paused: bool = True) -> None:
        """Open a local file or URL and wait until its first frame is ready.

        Raises `MediaNotFoundError` or `MediaLoadError` with a message fit for the user.
        """
        path = _resolve_source(source)
        timeout = self._settings.load_timeout_s
        with self._lock:
            self._loaded = False
            self._file_pending = True
            self._error = None
            self._source = source
            # Forget the old file's values; speed carries over (mpv keeps it too).
            for name in ("time-pos", "duration", "eof-reached", "seeking", "paused-for-cache"):
                self._raw.pop(name, None)
            # And say the pause we are about to set: mpv's observer confirms it later, and a
            # state delivered before that (at the end of a playing file, where keep-open does
            # not pause) said "playing from 0" while the new file opened paused; a host
            # announced that start, and a follower played the next queue item early.
            self._raw["pause"] = paused
            for name in CHAPTER_PROPERTIES:
                self._raw.pop(name, None)
            restarts_before = self._restarts
        self._recent_errors.clear()
        self._hook_failed.clear()
        # The last file's failure must not answer for this one before the next delivery.
        self._state = replace(self._state, loaded=False, error=None)
        self._schedule_delivery()
        self._mpv.pause = paused
        self._seek_after_load = None
        self._loading = True
        try:
            self._mpv.loadfile(path)
            async with asyncio.timeout(timeout):
                state = await self.wait_for(
                    lambda s: s.error is not None or (s.loaded and s.restarts > restarts_before)
                )
        except TimeoutError:
            raise MediaLoadError(source, f"no picture or sound after {timeout:g} s") from None
        finally:
            self._loading = False
        if state.error is not None:
            raise MediaLoadError(source, await self._failure_reason(source))
        if (target := self._seek_after_load) is not None:
            self._seek_after_load = None
            self.seek(target)

    async def _failure_reason(self, source: str) -> str:
        """Why ``source`` failed, in words. libmpv delivers log lines after other events,
        so the hook's account of yt-dlp's failure may arrive after the end of the file."""
        missing = self._ytdl_missing and hook_runs_for(source)
        if self._settings.ytdl and hook_runs_for(source) and not missing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HOOK_LOG_WAIT_S):
                    await self._hook_failed.wait()
        return load_failure_reason(list(self._recent_errors), ytdl_missing=missing)

    def play(self) -> None:
        self._mpv.pause = False

    def pause(self) -> None:
        self._mpv.pause = True

    def seek(self, position: float) -> None:
        """Exact seek to `position` seconds; `state.seeking` stays true until playback restarts.

        While a file is still opening (`load` has not returned) mpv refuses a seek, or takes
        it for the file being replaced and loses it: the target is kept and `load` seeks
        there once the file is open."""
        if self._loading:
            self._seek_after_load = position
        else:
            with self._lock:
                self._seek_pending = True
                self._refreshes = 0  # mpv replaces a seek in flight: one restart is coming
            self._mpv.command("seek", f"{max(0.0, position):.6f}", "absolute+exact")
        # Callers (and drift measurement) must see `seeking` at once; listeners hear of it
        # with the next delivery, so a listener that seeks is never re-entered.
        self._state = replace(self._state, seeking=True)
        self._schedule_delivery()

    def set_speed(self, speed: float) -> None:
        self._mpv.speed = speed

    async def seek_and_wait(self, position: float) -> PlayerState:
        """Seek, then wait for mpv's `playback-restart` (the first frame at the target)."""
        restarts_before = self._restarts
        self.seek(position)
        return await self.wait_for(lambda s: s.restarts > restarts_before and not s.seeking)

    # -- video (loop thread) -------------------------------------------------------------

    @property
    def frames(self) -> FrameRenderer | None:
        """The render thread while frames go to the terminal, else None."""
        return self._renderer

    def start_frames(self, sink: FrameSink, *, size: tuple[int, int]) -> FrameRenderer:
        """Decode video and render it in software into `sink`, `size` pixels a frame.

        Order matters (render.h, "Context and handle lifecycle"): the render context exists
        before `vo=libmpv` creates the video output that uses it.
        """
        if self._renderer is not None:
            self._renderer.resize(*size)
            return self._renderer
        # The software renderer scales with libswscale (or zimg): from a film's 1280x720 to a
        # pane's 80x48 pixels, zimg's default Lanczos is a wide kernel for every output pixel.
        # Averaging the area each pixel covers is the right filter for such a shrink and a
        # third cheaper (render thread 1.9 -> 1.3 % of a core at 80x48 pixels, 15 fps; the
        # process without Textual 8.6 -> 7.4 %).
        self._mpv["sws-allow-zimg"] = "no"
        self._mpv["sws-scaler"] = "area"
        wake = Wakeup()
        context = SoftwareRenderContext(self._mpv_module, self._mpv, wake)
        renderer = FrameRenderer(context, wake, sink, fps_cap=self._settings.video_fps, size=size)
        renderer.start()
        self._render_context, self._renderer = context, renderer
        self._mpv.vo = "libmpv"
        self._video_on()
        return renderer

    def _video_on(self) -> None:
        """Select the video track again, then put it where the sound is.

        mpv 0.35.1 restarts a newly selected track from the demuxer's read-ahead position
        (`mp_switch_track_n`, player/loadfile.c lines 652-682, has no refresh seek), which
        is up to a few hundred ms past the sound, and `time-pos` then follows the picture. So
        this issues the exact "refresh seek" mpv itself issues when it reinitialises audio
        (player/audio.c line 110) to the position of the moment: its `playback-restart` is
        not counted in `restarts` and it is not reported as `seeking`, because nobody seeked.
        """
        position = self._state.position_now(time.monotonic())
        self._mpv.vid = "auto"
        if position is None or not self._loaded:
            return
        with self._lock:
            self._refreshes += 1
        self._mpv.command("seek", f"{max(0.0, position):.6f}", "absolute+exact")

    def stop_frames(self) -> None:
        """Stop decoding and rendering video; sound, position and sync carry on.

        The video output goes first, while the render thread still serves its last frames;
        then the thread stops; the context is freed last.
        """
        renderer, context = self._renderer, self._render_context
        if renderer is None or context is None:
            return
        with contextlib.suppress(Exception):  # mpv may be shutting down
            self._mpv.vid = "no"
            self._mpv.vo = "null"
        renderer.stop()
        context.free()
        self._renderer = self._render_context = None

    def set_window_video(self, shown: bool) -> None:
        """Show or hide the video in mpv's window; hidden, video is not decoded at all."""
        if shown:
            self._video_on()
        else:
            self._mpv.vid = "no"

    def close(self) -> None:
        if self._closed:
            return
        self.stop_frames()
        with self._handle_lock:
            self._closed = True
        if self._buffering_timer is not None:
            self._buffering_timer.cancel()
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(PlayerError("player closed"))
        self._mpv.terminate()

    # -- mpv's event thread: record, schedule, return ----------------------------------

    def _on_property(self, name: str, value: Any) -> None:
        stamp = time.monotonic()
        with self._lock:
            self._raw[name] = value
            # A position holds until the clock moves again: when playback (re)starts, the
            # last position is true as of now, not as of when it was first reported.
            restarting = name in ("pause", "paused-for-cache") and value is False
            if name == "time-pos" or restarting:
                self._position_at = stamp
        self._schedule_delivery()

    def _on_event(self, event: Any) -> None:
        event_id = event.event_id.value
        # Precise restart position: read it here, stamped, rather than wait for the observer.
        if event_id == _EVENT_PLAYBACK_RESTART:
            stamp = time.monotonic()
            with self._handle_lock, contextlib.suppress(Exception):
                if self._closed:
                    return
                position = self._mpv.time_pos
                # The duration's observer may report after this event: a state that says
                # "loaded" then had no duration (seen over HTTP through yt-dlp).
                duration = self._mpv.duration
                with self._lock:
                    self._raw["time-pos"] = position
                    self._position_at = stamp
                    if duration is not None:
                        self._raw["duration"] = duration
            with self._lock:
                if self._refreshes > 0 and not self._seek_pending:
                    self._refreshes -= 1
                else:
                    self._restarts += 1
                self._seek_pending = False
                # mpv queues the `seeking` change after this event; the seek is over now.
                self._raw["seeking"] = False
                self._loaded = not self._file_pending
        elif event_id == _EVENT_FILE_LOADED:
            with self._lock:
                self._error = None
                self._file_pending = False
        elif event_id == _EVENT_END_FILE:
            data = event.data
            if data is not None and data.reason == _END_FILE_ERROR:
                missing = self._ytdl_missing and hook_runs_for(self._source or "")
                reason = load_failure_reason(list(self._recent_errors), ytdl_missing=missing)
                with self._lock:
                    self._error = reason
                    self._loaded = False
        elif event_id == _EVENT_SHUTDOWN:
            with self._lock:
                self._loaded = False
        else:
            return
        self._schedule_delivery()

    def _on_log(self, level: str, prefix: str, text: str) -> None:
        line = f"{prefix}: {text.strip()}"
        self._recent_errors.append(line)
        if hook_finished(line):
            with contextlib.suppress(RuntimeError):  # the loop closed
                self._loop.call_soon_threadsafe(self._hook_failed.set)

    def _schedule_delivery(self) -> None:
        with self._lock:
            if self._delivery_scheduled or self._closed:
                return
            self._delivery_scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed while mpv still reported
            self._loop.call_soon_threadsafe(self._deliver)

    # -- loop thread ---------------------------------------------------------------------

    def _deliver(self) -> None:
        with self._lock:
            self._delivery_scheduled = False
            raw = dict(self._raw)
            position_at = self._position_at
            seeking = self._seek_pending or (bool(raw.get("seeking")) and not self._refreshes)
            state = PlayerState(
                source=self._source,
                loaded=self._loaded,
                position=_as_float(raw.get("time-pos")),
                position_at=position_at,
                duration=_as_float(raw.get("duration")),
                paused=bool(raw.get("pause", True)),
                speed=_as_float(raw.get("speed")) or 1.0,
                seeking=seeking,
                eof=bool(raw.get("eof-reached")),
                restarts=self._restarts,
                error=self._error,
                chapters=self._chapters_of(raw.get("chapter-list")),
                chapter=raw.get("chapter") if isinstance(raw.get("chapter"), int) else None,
            )
        self._update_buffering(bool(raw.get("paused-for-cache")))
        self._publish(replace(state, buffering=self._buffering))

    def _chapters_of(self, chapter_list: object) -> tuple[Chapter, ...]:
        """mpv's `chapter-list`, checked: parsed once per new list, not per delivery."""
        if chapter_list is not self._chapters_seen:
            self._chapters_seen = chapter_list
            self._chapters = parse_chapter_list(chapter_list)
        return self._chapters

    def _update_buffering(self, waiting_for_cache: bool) -> None:
        if not waiting_for_cache:
            if self._buffering_timer is not None:
                self._buffering_timer.cancel()
                self._buffering_timer = None
            self._buffering = False
        elif not self._buffering and self._buffering_timer is None:
            delay = self._settings.buffering_debounce_ms / 1000
            self._buffering_timer = self._loop.call_later(delay, self._confirm_buffering)

    def _confirm_buffering(self) -> None:
        self._buffering_timer = None
        self._buffering = True
        self._publish(replace(self._state, buffering=True))

    def _publish(self, state: PlayerState) -> None:
        self._state = state
        for condition, future in list(self._waiters):
            if not future.done() and condition(state):
                future.set_result(state)
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:  # one broken listener must not starve the others
                log.exception("player state listener failed")


def parse_chapter_list(value: object) -> tuple[Chapter, ...]:
    """Chapters from mpv's `chapter-list` node (`[{"title": ..., "time": ...}, ...]`), in
    order of start; entries without a finite, non-negative time are dropped."""
    if not isinstance(value, list):
        return ()
    chapters = []
    for entry in value[:MAX_CHAPTERS]:
        if not isinstance(entry, dict):
            continue
        start, title = entry.get("time"), entry.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float):
            continue
        if not math.isfinite(start) or start < 0:
            continue
        text = title if isinstance(title, str) else ""
        chapters.append(Chapter(float(start), text[:MAX_CHAPTER_TITLE]))
    return tuple(sorted(chapters, key=lambda chapter: chapter.start))


def _as_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


if TYPE_CHECKING:

    def _satisfies_the_player_protocol(player: MpvPlayer) -> Player:
        return player
