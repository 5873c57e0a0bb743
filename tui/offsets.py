"""Each media's offset, remembered in the user's data folder (``offsets.json``).

A member whose copy is another release sets its offset once (``o``); the next time it opens
the same media the offset is back. Media are known by their resolved path or URL.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

log = logging.getLogger(__name__)

MAX_REMEMBERED = 500
"""The file keeps the most recent offsets only."""


def media_key(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return source
    return str(Path(source).expanduser().resolve())


class OffsetStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, float]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("ignored %s: %s", self.path, error)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            str(key): float(value)
            for key, value in raw.items()
            if isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        }

    def get(self, source: str) -> float | None:
        return self._load().get(media_key(source))

    def remember(self, source: str, offset_s: float) -> None:
        """Keep ``offset_s`` for ``source`` (0 forgets it); a failure is logged, not raised."""
        offsets = self._load()
        key = media_key(source)
        offsets.pop(key, None)
        if offset_s:
            offsets[key] = offset_s
        kept = dict(list(offsets.items())[-MAX_REMEMBERED:])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(kept, indent=1), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("could not remember the offset in %s: %s", self.path, error)
