"""The real command in a pseudo-terminal that answers like kitty (or like a plain terminal).

The probe must run before Textual takes the terminal, and its choice must reach the pane:
this starts `watchparty-tui ROOM --host --media FILE` as a user would, plays the terminal's
part, and reads what the app writes.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.ptys import ROOT, start_in_pty

pytestmark = pytest.mark.slow

KITTY_ANSWER = b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;16;8t\x1b[?62;c"
PLAIN_ANSWER = b"\x1b[?62;22c"
WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Session:
    """The app in a pty of 80x24: what it wrote, and keys to send it."""

    def __init__(self, tmp_path: Path, media: Path, term: str) -> None:
        drop = ("DISPLAY", "WAYLAND_DISPLAY", "TMUX", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")
        env = {k: v for k, v in os.environ.items() if k not in drop and "WATCHPARTY" not in k}
        env.update(
            TERM=term,
            COLORTERM="truecolor",
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_DATA_HOME=str(tmp_path / "data"),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
            WATCHPARTY_PLAYER__AO="null",
            WATCHPARTY_PLAYER__VIDEO="terminal",
            WATCHPARTY_HUB__PORT=str(free_port()),
            PYTHONPATH=str(ROOT),
        )
        command = "from tui.cli import main; main()"
        argv = [sys.executable, "-c", command, "kittylaunch", "--host", "--media", str(media)]
        self.app = start_in_pty(argv, 80, 24, env, pixels=(640, 384))
        self.process, self.controller = self.app.process, self.app.controller
        self.output = b""
        self.log = tmp_path / "data" / "watchparty-tui" / "watchparty-tui.log"

    def read_until(self, condition: bytes, count: int = 1) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.output.count(condition) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"no {condition!r} x{count} in {self.output[-400:]!r}"
            ready, _, _ = select.select([self.controller], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.controller, 1 << 16)
                except OSError:  # the app closed the terminal
                    break

    def send(self, data: bytes) -> None:
        os.write(self.controller, data)

    def quit(self) -> int:
        self.send(b"q")
        deadline = time.monotonic() + WAIT_S
        while self.process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.controller], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.controller, 1 << 16)
                except OSError:
                    break
        return self.process.wait(timeout=WAIT_S)

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def media(pattern_file: Path) -> Path:
    return pattern_file


def test_a_kitty_terminal_gets_kitty_graphics_and_v_deletes_the_picture(
    tmp_path: Path, media: Path
) -> None:
    session = Session(tmp_path, media, "xterm-kitty")
    try:
        session.read_until(b"\x1b[c")  # the probe, before Textual starts
        assert b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" in session.output
        assert b"\x1b[?1049h" not in session.output, "Textual has not taken the terminal yet"
        session.send(KITTY_ANSWER)
        session.read_until(b"a=T,U=1")  # the first frame (paused: maybe the only one)
        frame = session.output[session.output.rindex(b"a=T,U=1") :][:80]
        assert b"s=480,v=84,c=80,r=7" in frame, frame  # 80x7 cells of 8x16 pixels, capped
        session.read_until("\U0010eeee".encode(), 80 * 7)
        session.send(b"v")
        session.read_until(b"a=d,d=I")
        assert session.quit() == 0
    finally:
        session.close()
    log = session.log.read_text()
    assert "chosen KittyTerminal(tmux=False, cell_px=(8, 16)" in log


def test_a_plain_terminal_gets_cells(tmp_path: Path, media: Path) -> None:
    session = Session(tmp_path, media, "xterm-256color")
    try:
        session.read_until(b"\x1b[c")
        session.send(PLAIN_ANSWER)
        session.read_until("▀".encode(), 80 * 7)
        assert b"a=T" not in session.output
        assert "\U0010eeee".encode() not in session.output
        assert session.quit() == 0
    finally:
        session.close()
    assert "chosen None" in session.log.read_text()
