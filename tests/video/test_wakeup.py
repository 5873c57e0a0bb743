"""The render thread's wakeup: what mpv's update callback signals, without Python on mpv's side."""

from __future__ import annotations

import ctypes
import threading

from player.render_api import Wakeup

WAIT_S = 10.0


def test_a_signal_wakes_the_waiter_and_signals_that_came_together_wake_it_once() -> None:
    wake = Wakeup()
    for _ in range(3):
        wake.set()
    assert wake.wait(WAIT_S)
    assert not wake.wait(0.01)  # taken together: nothing left


def test_the_c_callback_mpv_calls_wakes_a_thread_waiting_in_python() -> None:
    wake = Wakeup()
    native = wake.native_callback()
    assert native is not None, "Linux's libc has sem_post: the callback needs no Python"
    callback, argument = native
    woken = threading.Event()

    def waiter() -> None:
        if wake.wait(WAIT_S):
            woken.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    callback(argument)  # as mpv's video thread does: `cb(cb_ctx)`
    thread.join(WAIT_S)
    assert woken.is_set()


def test_the_callback_is_libcs_sem_post_itself() -> None:
    wake = Wakeup()
    native = wake.native_callback()
    assert native is not None
    libc_post = ctypes.cast(ctypes.CDLL(None).sem_post, ctypes.c_void_p).value
    assert ctypes.cast(native[0], ctypes.c_void_p).value == libc_post
