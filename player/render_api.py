"""libmpv's render API in software mode, over ctypes.

python-mpv 1.0.8 knows the render API but not its four software-rendering parameters, and its
`next_frame_info` raises `TypeError`; so this module declares the few functions it needs on its
own handle to the same libmpv (its own ctypes function objects, so python-mpv's declarations are
left alone). The numbers are libmpv's, from mpv v0.35.1's `libmpv/render.h`:

- `MPV_RENDER_PARAM_API_TYPE = 1`, `NEXT_FRAME_INFO = 11`, `SKIP_RENDERING = 13` (render.h
  lines 192, 299, 332);
- `MPV_RENDER_PARAM_SW_SIZE = 17` (`int[2]`), `SW_FORMAT = 18` (`char*`), `SW_STRIDE = 19`
  (`size_t*`), `SW_POINTER = 20` (`void*`) (lines 359, 384, 405, 423); stride and pointer
  should be multiples of 64 (line 395);
- `mpv_render_frame_info` is `{uint64_t flags; int64_t target_time}` (line 524), with
  `MPV_RENDER_FRAME_INFO_PRESENT = 1 << 0` (line 490) and `MPV_RENDER_FRAME_INFO_REDRAW =
  1 << 1` (line 501: "not an actual new video frame, but a redraw request", with a
  `target_time` of 0), `target_time` in `mpv_get_time_us`'s clock; `MPV_RENDER_UPDATE_FRAME =
  1 << 0` (line 671).

Threading (render.h lines 55-95): the update callback comes on a thread of mpv's and may only
signal; `update()` and `render()` run on one thread of ours whose only other libmpv call is
`mpv_get_time_us`, which client.h (line 608) marks safe on render threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from dataclasses import dataclass
from typing import Any

from player.errors import PlayerError

PARAM_INVALID = 0
PARAM_API_TYPE = 1
PARAM_NEXT_FRAME_INFO = 11
PARAM_SKIP_RENDERING = 13
PARAM_SW_SIZE = 17
PARAM_SW_FORMAT = 18
PARAM_SW_STRIDE = 19
PARAM_SW_POINTER = 20
UPDATE_FRAME = 1 << 0
FRAME_INFO_PRESENT = 1 << 0
FRAME_INFO_REDRAW = 1 << 1
ALIGNMENT = 64
"""render.h asks for a buffer pointer and a stride that are multiples of 64 bytes."""


class _Param(ctypes.Structure):
    _fields_ = (("type", ctypes.c_int), ("data", ctypes.c_void_p))


class _FrameInfo(ctypes.Structure):
    _fields_ = (("flags", ctypes.c_uint64), ("target_time", ctypes.c_int64))


_UpdateFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _params(*pairs: tuple[int, Any]) -> ctypes.Array[_Param]:
    array = (_Param * (len(pairs) + 1))()
    for index, (kind, data) in enumerate(pairs):
        array[index].type = kind
        array[index].data = ctypes.cast(data, ctypes.c_void_p)
    array[len(pairs)].type = PARAM_INVALID
    return array


def _library(mpv_module: Any) -> ctypes.CDLL:
    lib = ctypes.CDLL(mpv_module.backend._name)
    lib.mpv_render_context_create.argtypes = (
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_void_p,
        ctypes.POINTER(_Param),
    )
    lib.mpv_render_context_create.restype = ctypes.c_int
    lib.mpv_render_context_free.argtypes = (ctypes.c_void_p,)
    lib.mpv_render_context_free.restype = None
    lib.mpv_render_context_set_update_callback.argtypes = (
        ctypes.c_void_p,
        _UpdateFn,
        ctypes.c_void_p,
    )
    lib.mpv_render_context_set_update_callback.restype = None
    lib.mpv_render_context_update.argtypes = (ctypes.c_void_p,)
    lib.mpv_render_context_update.restype = ctypes.c_uint64
    lib.mpv_render_context_render.argtypes = (ctypes.c_void_p, ctypes.POINTER(_Param))
    lib.mpv_render_context_render.restype = ctypes.c_int
    lib.mpv_render_context_get_info.argtypes = (ctypes.c_void_p, _Param)
    lib.mpv_render_context_get_info.restype = ctypes.c_int
    lib.mpv_get_time_us.argtypes = (ctypes.c_void_p,)
    lib.mpv_get_time_us.restype = ctypes.c_int64
    lib.mpv_error_string.argtypes = (ctypes.c_int,)
    lib.mpv_error_string.restype = ctypes.c_char_p
    return lib


class FrameBuffer:
    """A 64-byte aligned `rgb0` buffer of `width` x `height` pixels that libmpv renders into."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.stride = -(-width * 4 // ALIGNMENT) * ALIGNMENT
        size = self.stride * height
        self._raw = ctypes.create_string_buffer(size + ALIGNMENT)
        offset = -ctypes.addressof(self._raw) % ALIGNMENT
        self.address = ctypes.addressof(self._raw) + offset
        self._view = (ctypes.c_char * size).from_address(self.address)
        self._params: list[ctypes.Array[_Param] | None] = [None, None]
        self._keep_alive: list[object] = [None, None]

    def render_params(self, skip: bool) -> ctypes.Array[_Param]:
        """The parameters to render into this buffer (or to skip a frame), made once: the
        render thread asks for them at every frame."""
        made = self._params[skip]
        if made is None:
            size = (ctypes.c_int * 2)(self.width, self.height)
            stride = ctypes.c_size_t(self.stride)
            skip_flag = ctypes.c_int(1 if skip else 0)
            pixel_format = ctypes.c_char_p(b"rgb0")
            made = _params(
                (PARAM_SW_SIZE, size),
                (PARAM_SW_FORMAT, pixel_format),
                (PARAM_SW_STRIDE, ctypes.pointer(stride)),
                (PARAM_SW_POINTER, ctypes.c_void_p(self.address)),
                (PARAM_SKIP_RENDERING, ctypes.pointer(skip_flag)),
            )
            # The array holds bare addresses: keep what they point at alive with it.
            self._keep_alive[skip] = (size, stride, skip_flag, pixel_format)
            self._params[skip] = made
        return made

    def copy(self) -> bytes:
        """The rendered pixels, `stride` bytes a row (a copy: the buffer is reused)."""
        return bytes(self._view)


@dataclass(frozen=True, slots=True)
class NextFrame:
    """`mpv_render_frame_info` read: the frame mpv has queued for the next render."""

    target_us: int | None
    """When mpv wants it on screen, in `now_us()`'s clock; None for redraws (no timing)."""
    redraw: bool
    """The picture already current again (mpv asks after unpausing, option changes...)."""


class Wakeup:
    """What mpv's update callback signals and the render thread waits on (the interface of
    `threading.Event`).

    On Linux it is a POSIX semaphore, and the callback mpv is given is libc's own `sem_post`
    with the semaphore as its argument: mpv's video thread signals without entering Python
    (a Python callback takes the GIL from that thread, 25 times a second or more, and waits
    for it when another thread holds it). `sem_post(sem_t *)` fits the callback's `void
    (*)(void *)`; its int result is ignored. Where libc has no unnamed semaphores, a
    `threading.Event` and a Python callback.
    """

    _SEM_T_BYTES = 64
    """glibc's `sem_t` is 32 bytes on 64-bit machines (`bits/semaphore.h`); room to spare."""

    def __init__(self) -> None:
        self._event: threading.Event | None = None
        self._libc: ctypes.CDLL | None = None
        self._sem = ctypes.create_string_buffer(self._SEM_T_BYTES)
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            if libc.sem_init(self._sem, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "sem_init failed")
            libc.sem_timedwait.argtypes = (ctypes.c_void_p, ctypes.POINTER(_Timespec))
            self._libc = libc
        except (OSError, AttributeError):
            self._event = threading.Event()

    def native_callback(self) -> tuple[Any, ctypes.c_void_p] | None:
        """The C function and argument for mpv's update callback, or None: use `set`."""
        if self._libc is None:
            return None
        post = ctypes.cast(self._libc.sem_post, ctypes.c_void_p).value
        assert post is not None
        return _UpdateFn(post), ctypes.c_void_p(ctypes.addressof(self._sem))

    def set(self) -> None:
        if self._libc is None:
            assert self._event is not None
            self._event.set()
        else:
            self._libc.sem_post(self._sem)

    def wait(self, timeout: float) -> bool:
        """Wait until set (at most `timeout` seconds), then take every signal given so far."""
        if self._libc is None:
            assert self._event is not None
            signalled = self._event.wait(timeout)
            self._event.clear()
            return signalled
        deadline = time.time() + timeout  # sem_timedwait's clock is CLOCK_REALTIME
        seconds = int(deadline)
        until = _Timespec(seconds, int((deadline - seconds) * 1e9))
        woken: bool = self._libc.sem_timedwait(self._sem, ctypes.byref(until)) == 0
        while self._libc.sem_trywait(self._sem) == 0:
            pass  # signals that came together wake the thread once
        return woken

    def clear(self) -> None:
        """Nothing to do: `wait` takes the signals."""


class _Timespec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


class SoftwareRenderContext:
    """One `mpv_render_context` of api type `sw` on an `mpv.MPV` instance.

    Create it before `vo=libmpv` is set and free it after the video output is gone (or let
    `free` disable video, which render.h allows) and always before `terminate()`.
    """

    def __init__(self, mpv_module: Any, mpv_instance: Any, wake: Wakeup) -> None:
        self._lib = _library(mpv_module)
        self._mpv_handle = ctypes.c_void_p(mpv_instance.handle.value)
        handle = ctypes.c_void_p()
        api_type = ctypes.c_char_p(b"sw")
        error = self._lib.mpv_render_context_create(
            ctypes.byref(handle), self._mpv_handle, _params((PARAM_API_TYPE, api_type))
        )
        if error < 0:
            reason = (self._lib.mpv_error_string(error) or b"unknown error").decode()
            raise PlayerError(f"libmpv could not start software rendering: {reason}")
        self._handle: ctypes.c_void_p | None = handle
        self._info = _FrameInfo()  # filled in by every `next_frame`, on the render thread
        self._info_param = _Param(
            PARAM_NEXT_FRAME_INFO, ctypes.cast(ctypes.pointer(self._info), ctypes.c_void_p)
        )
        # Keep the callback and what it signals alive for as long as mpv may call it.
        self._wake = wake
        native = wake.native_callback()
        if native is None:
            self._callback = _UpdateFn(lambda _data: wake.set())
            self._lib.mpv_render_context_set_update_callback(handle, self._callback, None)
        else:
            self._callback, argument = native
            self._lib.mpv_render_context_set_update_callback(handle, self._callback, argument)

    def update(self) -> bool:
        """Whether a new frame is waiting to be rendered (render thread only)."""
        if self._handle is None:
            return False
        return bool(self._lib.mpv_render_context_update(self._handle) & UPDATE_FRAME)

    def next_frame(self) -> NextFrame | None:
        """What mpv wants rendered next (its target time, whether a redraw); None if nothing."""
        if self._handle is None:
            return None
        info, param = self._info, self._info_param
        if self._lib.mpv_render_context_get_info(self._handle, param) < 0:
            return None
        if not info.flags & FRAME_INFO_PRESENT:
            return None
        target = int(info.target_time) if info.target_time > 0 else None
        return NextFrame(target, bool(info.flags & FRAME_INFO_REDRAW))

    def now_us(self) -> int:
        """libmpv's own clock (`mpv_get_time_us`), the one frame target times are in."""
        return int(self._lib.mpv_get_time_us(self._mpv_handle))

    def render(self, buffer: FrameBuffer, *, skip: bool = False) -> None:
        """Render the current frame into `buffer`, or with `skip` only let mpv move on."""
        if self._handle is None:
            return
        error = self._lib.mpv_render_context_render(self._handle, buffer.render_params(skip))
        if error < 0:
            reason = (self._lib.mpv_error_string(error) or b"unknown error").decode()
            raise PlayerError(f"libmpv could not render a frame: {reason}")

    def free(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        self._lib.mpv_render_context_free(handle)
