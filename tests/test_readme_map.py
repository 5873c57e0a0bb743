"""README's "Where things are" names every module where it lives, so the map cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_map() -> dict[str, str]:
    """Each top-level folder of the map with the text that describes it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Where things are", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    folder = ""
    for line in block.splitlines():
        match = re.match(r"(\w+)/\s", line)
        if match:
            folder = match.group(1)
        if folder:
            entries[folder] = entries.get(folder, "") + " " + line
    return entries


def modules(package: Path) -> list[str]:
    return sorted(p.name for p in package.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize(
    ("folder", "subpackage"),
    [
        ("room", ""),
        ("room", "session"),
        ("room", "sync"),
        ("room", "queue"),
        ("player", ""),
        ("tui", ""),
    ],
)
def test_the_map_names_every_module_under_its_own_folder(folder: str, subpackage: str) -> None:
    text = readme_map()[folder]
    if subpackage:
        assert f"{subpackage}/" in text
        text = text.split(f"{subpackage}/", 1)[1].split(";", 1)[0]
    missing = [m for m in modules(ROOT / folder / subpackage) if m not in text]
    assert missing == [], f"README's map of {folder}/{subpackage} lacks {missing}"


def test_every_folder_the_map_names_exists_and_every_package_is_on_it() -> None:
    entries = readme_map()
    assert all((ROOT / folder).is_dir() for folder in entries)
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages <= entries.keys()


def test_the_hub_readme_names_every_hub_module() -> None:
    hub_readme = (ROOT / "hub" / "README.md").read_text(encoding="utf-8")
    hub = ROOT / "hub"
    names = [
        *modules(hub),
        *(f"data/{m}" for m in modules(hub / "data")),
        *(f"rest/{m}" for m in modules(hub / "rest")),
    ]
    # A row may name several modules of one folder: `data/writes.py`, `reads.py`, ...
    rows = [line for line in hub_readme.splitlines() if line.startswith("| `")]

    def described(name: str) -> bool:
        folder, _, module = name.rpartition("/")
        return any(
            f"`{name}`" in row or (folder and f"`{folder}/" in row and f"`{module}`" in row)
            for row in rows
        )

    missing = [name for name in names if not described(name)]
    assert missing == [], f"hub/README.md does not describe {missing}"
