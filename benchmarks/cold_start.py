"""Cold start: time from launching ``watchparty-tui demo`` to its first full frame.

Runs the real entry point in a pseudo-terminal (80x24), waits for the member list's title
to be drawn, and stops the app. A minimal Textual app is timed the same way in the same run
as the baseline, so the figure separates our start-up from Textual's and Python's.

    python benchmarks/cold_start.py [--runs 5]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

import _bootstrap  # first: finds the venv, and a private data and config folder for the run

VENV_BIN = _bootstrap.ROOT / ".venv" / "bin"

BASELINE_APP = """
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("Members (0)")
Hello().run()
"""


def time_to_marker(
    command: list[str], marker: bytes, env: dict[str, str], timeout_s: float = 30
) -> float:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True
    )
    os.close(terminal)
    seen = b""
    try:
        while time.perf_counter() - started < timeout_s:
            ready, _, _ = select.select([controller], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(controller, 65536)
                except OSError:
                    break
                if marker in seen:
                    return (time.perf_counter() - started) * 1000
        raise RuntimeError(f"no frame within {timeout_s} s; output tail: {seen[-300:]!r}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        os.close(controller)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    env = {
        **os.environ,  # with the run's own data and config folders (_bootstrap)
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "WATCHPARTY_PLAYER__VO": "null",
        "WATCHPARTY_PLAYER__AO": "null",
    }
    ours = [
        time_to_marker([str(VENV_BIN / "watchparty-tui"), "demo"], b"Members (", env)
        for _ in range(options.runs)
    ]
    baseline = [
        time_to_marker([sys.executable, "-c", BASELINE_APP], b"Members (0)", env)
        for _ in range(options.runs)
    ]
    result = {
        "runs": options.runs,
        "first_frame_median_ms": round(statistics.median(ours), 1),
        "first_frame_max_ms": round(max(ours), 1),
        "baseline_hello_textual_median_ms": round(statistics.median(baseline), 1),
        "overhead_over_baseline_ms": round(
            statistics.median(ours) - statistics.median(baseline), 1
        ),
    }
    print(f"watchparty-tui demo, first frame: {sorted(round(x) for x in ours)} ms")
    print(f"minimal Textual app, first frame: {sorted(round(x) for x in baseline)} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
