"""`--limits free|pro|team|off` on both serve command lines: the plan reaches the hub's
settings, Free is the default, and --help lists the plans."""

from __future__ import annotations

from pathlib import Path

import pytest

import hub.server
from hub import HubSettings
from hub.cli import run_serve
from tui.cli import main


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[HubSettings]:
    """The settings each serve command would have run a hub with (none is started)."""
    seen: list[HubSettings] = []
    monkeypatch.setattr(hub.server, "serve_forever", seen.append)
    return seen


@pytest.mark.parametrize(
    ("argv", "plan", "messages"),
    [([], "free", 100), (["--limits", "pro"], "pro", 500), (["--limits", "off"], "off", None)],
)
def test_python_m_hub_limits(
    served: list[HubSettings], tmp_path: Path, argv: list[str], plan: str, messages: int | None
) -> None:
    assert run_serve(["--port", "0", "--db", str(tmp_path / "hub.sqlite3"), *argv]) == 0
    assert [(s.limits, s.max_events_per_second) for s in served] == [(plan, messages)]


@pytest.mark.parametrize(
    ("argv", "plan", "presence"),
    [([], "free", 20), (["--limits", "team"], "team", 1000), (["--limits", "pro"], "pro", 50)],
)
def test_watchparty_tui_serve_limits(
    served: list[HubSettings], tmp_path: Path, argv: list[str], plan: str, presence: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "0", "--config", str(config), *argv])
    assert exited.value.code == 0
    assert [(s.limits, s.max_presence_events_per_second) for s in served] == [(plan, presence)]


def test_an_unknown_plan_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--limits", "enterprise"])
    assert exited.value.code == 2
    assert "invalid choice: 'enterprise'" in capsys.readouterr().err


def test_serve_help_names_the_plans(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--limits {free,pro,team,off}" in out
    assert "(default: free" in out
    assert "free = 100 messages/s, 20 presence messages/s, 100 joins/s" in out
    assert "pro = 500, 50, 500, 500 users, 3000 KB" in out
    assert "off = no tenant limits" in out
