"""A program in a pseudo-terminal of a given size, for tests that read what it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class InPty:
    process: subprocess.Popen[bytes]
    controller: int
    """Our end of the terminal: read what the program writes, write its keys."""

    def close(self) -> None:
        """Kill the program if it still runs, and close our end."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.controller)


def start_in_pty(
    argv: list[str],
    columns: int,
    rows: int,
    env: dict[str, str],
    *,
    pixels: tuple[int, int] = (0, 0),
) -> InPty:
    """Start `argv` in the project folder with a new pty of `columns` x `rows` cells
    (`pixels` wide and high, as a terminal reports them) as its terminal, in a session of
    its own."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, *pixels))
    process = subprocess.Popen(
        argv,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(terminal)
    return InPty(process, controller)
