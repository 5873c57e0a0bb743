"""Every benchmark imports this first. It makes `python benchmarks/NAME.py` work from any shell
(re-run under the project's venv when the current interpreter lacks its packages, and put the
project on sys.path), and gives the run a private data and config folder, so that nothing a
benchmark or its helper processes do (the hub's hub.sqlite3, sign-in sessions, the outbox,
the user id, the demo video) lands in the user's own ~/.local/share/watchparty-tui, and the
user's config.toml does not change what is measured.

The app finds both folders through platformdirs, which reads XDG_DATA_HOME and
XDG_CONFIG_HOME; they are set in `os.environ`, so every child process inherits them. The
first process of a run makes the folder and removes it when it exits; its children (which
import this too) find it in `PRIVATE_FOLDER_VAR` and keep it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PRIVATE_FOLDER_VAR = "BENCHMARK_RUN_FOLDER"
"""Deliberately not WATCHPARTY_*: the app's settings would take that for a key of theirs."""

# Only looked up, not imported: loading libmpv would add to every process's memory figures.
if any(importlib.util.find_spec(name) is None for name in ("mpv", "pydantic")):
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    raise SystemExit("run scripts/setup.sh first (needs libmpv, python-mpv and pydantic)")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _private_folder() -> Path:
    inherited = os.environ.get(PRIVATE_FOLDER_VAR)
    if inherited:
        return Path(inherited)
    folder = tempfile.mkdtemp(prefix="watchparty-bench-")
    os.environ[PRIVATE_FOLDER_VAR] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(folder)


FOLDER = _private_folder()
os.environ["XDG_DATA_HOME"] = str(FOLDER / "data")
os.environ["XDG_CONFIG_HOME"] = str(FOLDER / "config")
