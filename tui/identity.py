"""Who this user is: a stable id kept in the data folder, and a display name."""

from __future__ import annotations

import getpass
import os
import uuid
from pathlib import Path

import platformdirs

from tui.config import APP_NAME, Settings


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def stable_user_id(folder: Path | None = None) -> str:
    """The id generated on first run and kept in ``folder``/user_id ever after."""
    folder = folder or data_dir()
    path = folder / "user_id"
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    folder.mkdir(parents=True, exist_ok=True)
    new_id = str(uuid.uuid4())
    # Write then rename, so two first runs at once can't leave a half-written id.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(new_id + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path.read_text(encoding="utf-8").strip()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "guest"


def resolve_identity(settings: Settings, folder: Path | None = None) -> tuple[str, str]:
    """(user_id, display name) from the settings, filling in what is unset."""
    user_id = settings.user.id or stable_user_id(folder)
    name = settings.user.name or login_name()
    return user_id, name
