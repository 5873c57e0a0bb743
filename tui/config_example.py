"""Render ``config.example.toml`` from the settings model, so the example can't go stale."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from tui.config import Settings

HEADER = """\
# watchparty-tui configuration: every setting with its default.
# Copy to your config folder (watchparty-tui --help shows where) and change what you need.
# Environment variables override this file: WATCHPARTY_<SECTION>__<KEY>,
# e.g. WATCHPARTY_PLAYER__VO=null.
# Command-line flags override both.
"""


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string
    raise TypeError(f"no TOML form for {value!r}")


def _comment(text: str | None) -> list[str]:
    return [f"# {line.strip()}".rstrip() for line in (text or "").splitlines()]


def render_example() -> str:
    lines = [HEADER]
    for section_name, section_field in Settings.model_fields.items():
        section_model = section_field.annotation
        assert isinstance(section_model, type) and issubclass(section_model, BaseModel)
        lines += _comment(section_field.description)
        lines.append(f"[{section_name}]")
        for name, field in section_model.model_fields.items():
            lines += _comment(field.description)
            default = field.get_default(call_default_factory=True)
            lines.append(
                f"# {name} = (unset)" if default is None else f"{name} = {toml_value(default)}"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_example(), end="")
