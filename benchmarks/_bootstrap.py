"""Make `python benchmarks/sync_drift.py` work from any shell: re-run under the project's
venv when the current interpreter lacks its packages, and put the project on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

try:
    import mpv  # noqa: F401
    import pydantic  # noqa: F401
except (ImportError, OSError):
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    raise SystemExit("run scripts/setup.sh first (needs libmpv, python-mpv and pydantic)") from None

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
