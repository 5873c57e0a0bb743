"""Imports go one way: tui -> room, player; room and player know no Textual; hub stands alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "room": {"textual", "tui", "player", "mpv", "hub"},
    "player": {"textual", "tui", "room", "hub"},
    "hub": {"textual", "tui", "room", "player", "mpv"},
    "tui": {"hub.server"},  # the app reaches the hub only through its public start function
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_go_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    offenders = []
    for path in files:
        for module in imported_modules(path):
            for forbidden in FORBIDDEN[package]:
                if module == forbidden or module.startswith(forbidden + "."):
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
