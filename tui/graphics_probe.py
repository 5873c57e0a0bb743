"""Does the terminal show kitty graphics? Asked once, before the app takes the terminal.

The probe sends kitty's graphics query, XTVERSION (`CSI > 0 q`, the terminal's name and
version), a cell-size request (`CSI 16 t`) and the primary device attributes (DA1), and reads
until DA1's answer: a terminal answers in order, so DA1 arriving without an answer to the query
means no kitty graphics (kitty's docs/graphics-protocol.rst, "Querying support"). It must run
before `App.run()`: Textual's input thread then owns stdin.

Answering the query is not enough: WezTerm and Konsole answer it, but their releases have not
drawn Unicode placeholders (kitty's maintainer on junegunn/fzf#3486; wezterm/wezterm#7924 was
still open in 2026-07; 3rd/image.nvim#74 for Konsole), and the pane would fill with boxes. So
`auto` also wants the terminal to be kitty 0.28 or later (placeholders are new in 0.28.0) or
Ghostty (since ghostty-org/ghostty#2015, before 1.0).

Inside tmux the terminal's answers never come back (tmux keeps them, as kitty's own
`kittens/icat/main.go` notes), so there the outer terminal is recognised by its name
(`client_termname`) and graphics need tmux's `allow-passthrough` on.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
import tty
from collections.abc import Callable, Mapping

from player.settings import GraphicsSetting, over_ssh

log = logging.getLogger(__name__)

KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
VERSION_QUERY = "\x1b[>0q"
CELL_SIZE_QUERY = "\x1b[16t"
DA1_QUERY = "\x1b[c"
PROBE_TIMEOUT_S = 0.25

_KITTY_ANSWER = re.compile(rb"\x1b_Gi=31;([^\x1b]*)\x1b\\")
_DA1_ANSWER = re.compile(rb"\x1b\[\?([0-9;]*)c")
_CELL_ANSWER = re.compile(rb"\x1b\[6;([0-9]+);([0-9]+)t")
_VERSION_ANSWER = re.compile(rb"\x1bP>\|([^\x1b]*)\x1b\\")
_KITTY_VERSION = re.compile(r"kitty\(([0-9]+)\.([0-9]+)")
PLACEHOLDERS_SINCE = (0, 28)

KITTY_TERM_NAMES = ("xterm-kitty", "xterm-ghostty")
"""Outer terminals (their TERM, as tmux's `client_termname` shows it) known to draw kitty's
Unicode placeholders: kitty, and Ghostty."""


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeAnswer:
    kitty: bool = False
    """The terminal answered kitty's graphics query with OK."""
    sixel: bool = False
    """DA1 lists attribute 4 (sixel graphics)."""
    complete: bool = False
    """DA1's answer arrived: nothing more is coming."""
    cell_px: tuple[int, int] | None = None
    """A cell's (width, height) in pixels, when the terminal said."""
    version: str = ""
    """The terminal's XTVERSION answer, say `kitty(0.35.2)`."""


def draws_placeholders(version: str, term: str = "", term_program: str = "") -> bool:
    """Whether the terminal is one known to draw kitty's Unicode placeholders (pure)."""
    kitty = _KITTY_VERSION.match(version)
    if kitty is not None:
        return (int(kitty.group(1)), int(kitty.group(2))) >= PLACEHOLDERS_SINCE
    if version.lower().startswith("ghostty") or term_program.lower() == "ghostty":
        return True
    return not version and term in KITTY_TERM_NAMES


def parse_answer(data: bytes) -> ProbeAnswer:
    """What the terminal's answers to the probe say (pure)."""
    kitty = any(match.group(1) == b"OK" for match in _KITTY_ANSWER.finditer(data))
    da1 = _DA1_ANSWER.search(data)
    attributes = da1.group(1).split(b";") if da1 else []
    name = _VERSION_ANSWER.search(data)
    cell = _CELL_ANSWER.search(data)
    cell_px = None
    if cell is not None:
        height, width = int(cell.group(1)), int(cell.group(2))
        if width > 0 and height > 0:
            cell_px = (width, height)
    return ProbeAnswer(
        kitty=kitty,
        sixel=b"4" in attributes[1:],
        complete=da1 is not None,
        cell_px=cell_px,
        version=name.group(1).decode("ascii", "replace").strip() if name else "",
    )


def probe_terminal(
    fd_in: int, fd_out: int, timeout_s: float = PROBE_TIMEOUT_S
) -> ProbeAnswer | None:
    """Ask the terminal on `fd_in`/`fd_out`; None when they are not a terminal."""
    if not (os.isatty(fd_in) and os.isatty(fd_out)):
        return None
    saved = termios.tcgetattr(fd_in)
    data = b""
    try:
        tty.setcbreak(fd_in, termios.TCSANOW)  # no echo, no line buffering
        queries = KITTY_QUERY + VERSION_QUERY + CELL_SIZE_QUERY + DA1_QUERY
        os.write(fd_out, queries.encode("ascii"))
        deadline = time.monotonic() + timeout_s
        while not parse_answer(data).complete:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd_in], [], [], left)[0]:
                break
            data += os.read(fd_in, 4096)
    except OSError as error:
        log.info("the terminal graphics probe failed: %s", error)
        return ProbeAnswer()
    finally:
        termios.tcsetattr(fd_in, termios.TCSAFLUSH, saved)
    return parse_answer(data)


def window_cell_px(fd: int) -> tuple[int, int] | None:
    """A cell's pixel size from the terminal's window size (TIOCGWINSZ), when it says."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None
    rows, columns, width_px, height_px = struct.unpack("HHHH", packed)
    if not (rows and columns and width_px and height_px):
        return None
    return width_px // columns, height_px // rows


def passthrough_allowed(value: str) -> bool:
    """Whether `tmux show -Apv allow-passthrough` printed on (or all)."""
    return value.strip() in ("on", "all")


TmuxRunner = Callable[[list[str]], str | None]


def run_tmux(arguments: list[str]) -> str | None:
    """tmux's output for `arguments`, or None when it fails (no tmux, an old tmux)."""
    try:
        done = subprocess.run(
            ["tmux", *arguments], capture_output=True, text=True, timeout=2, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


@dataclasses.dataclass(frozen=True, slots=True)
class KittyTerminal:
    """Kitty graphics are on: how to reach the terminal, and its cell size."""

    tmux: bool = False
    """Wrap every graphics sequence in tmux's passthrough."""
    cell_px: tuple[int, int] | None = None
    compress: bool = False
    """zlib the pixels (`o=z`): only over SSH, where bytes cost more than the CPU (20 ms a
    600x360 frame that barely shrinks, when video is noisy)."""


def choose_graphics(
    setting: GraphicsSetting,
    answer: ProbeAnswer | None,
    environ: Mapping[str, str] | None = None,
    tmux: TmuxRunner = run_tmux,
) -> KittyTerminal | None:
    """Kitty graphics, or None for cells (see `PlayerSettings.video_graphics`)."""
    env = os.environ if environ is None else environ
    if setting == "cells":
        return None
    cell_px = answer.cell_px if answer else None
    compress = over_ssh(env)
    if env.get("TMUX"):
        allowed = tmux(["show", "-Apv", "allow-passthrough"])
        if allowed is None or not passthrough_allowed(allowed):
            return None
        if setting == "auto":
            if over_ssh(env):
                return None
            name = (tmux(["display", "-p", "#{client_termname}"]) or "").strip()
            if name not in KITTY_TERM_NAMES:
                return None
        return KittyTerminal(tmux=True, cell_px=cell_px, compress=compress)
    if setting == "kitty":
        return KittyTerminal(cell_px=cell_px, compress=compress)
    if answer is None or not answer.kitty or over_ssh(env):
        return None
    if not draws_placeholders(answer.version, env.get("TERM", ""), env.get("TERM_PROGRAM", "")):
        return None
    return KittyTerminal(cell_px=cell_px)


def detect_graphics(setting: GraphicsSetting) -> KittyTerminal | None:
    """Probe this process's terminal (when it is one) and choose; run before `App.run()`."""
    if setting == "cells":
        return None
    answer = None
    in_tmux = bool(os.environ.get("TMUX"))
    try:
        fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # replaced or closed streams: no terminal
        return choose_graphics(setting, None, tmux=run_tmux)
    if not in_tmux and not (setting == "auto" and over_ssh()):
        answer = probe_terminal(fd_in, fd_out)
    cell_px = window_cell_px(fd_out) if os.isatty(fd_out) else None
    if cell_px is None and answer is not None:
        cell_px = answer.cell_px
    chosen = choose_graphics(setting, answer, tmux=run_tmux)
    if chosen is not None and cell_px is not None:
        chosen = dataclasses.replace(chosen, cell_px=cell_px)
    log.info("terminal graphics: probe %s, chosen %s", answer, chosen)
    return chosen
