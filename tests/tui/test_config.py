"""Settings: precedence, the example file, and errors that name key, value and source."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tui.cli import main
from tui.config import ConfigError, Settings, load_settings
from tui.config_example import render_example
from tui.identity import resolve_identity, stable_user_id

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_cli_over_env_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[player]\nvo = "file"\nao = "file"\nmedia = "file.mkv"\n')
    monkeypatch.setenv("WATCHPARTY_PLAYER__VO", "env")
    monkeypatch.setenv("WATCHPARTY_PLAYER__AO", "env")
    settings, used = load_settings({"player": {"vo": "cli"}}, path)
    assert used == path
    assert settings.player.vo == "cli"
    assert settings.player.ao == "env"
    assert settings.player.media == "file.mkv"
    assert settings.sync.correction_enabled is True  # default kept beside the given keys


def test_config_file_found_through_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHPARTY_CONFIG", str(write(tmp_path, "[ui]\nseek_small_s = 10\n")))
    assert load_settings()[0].ui.seek_small_s == 10


def test_config_file_in_user_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(tmp_path) / "watchparty-tui"
    folder.mkdir()
    (folder / "config.toml").write_text("[user]\nname = 'kim'\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_settings()[0].user.name == "kim"


def test_example_file_is_the_rendered_model_and_loads() -> None:
    example = ROOT / "config.example.toml"
    assert example.read_text(encoding="utf-8") == render_example(), (
        "config.example.toml is stale: run python -m tui.config_example > config.example.toml"
    )
    settings, _ = load_settings(config_path=example)
    assert settings == Settings()
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    assert set(data) == set(Settings.model_fields)
    for section, field in Settings.model_fields.items():
        model = field.annotation
        for name in model.model_fields:  # type: ignore[union-attr]
            assert f"{name} = " in example.read_text(), f"{section}.{name} missing from the example"


def test_every_field_is_documented() -> None:
    for field in Settings.model_fields.values():
        assert field.description
        for name, inner in field.annotation.model_fields.items():  # type: ignore[union-attr]
            assert inner.description, f"{name} has no docstring"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[player]\nvo = 3\n",
            "player.vo = 3 in config file {path}: Input should be a valid string",
        ),
        ("[player]\nspeed = 2\n", "unknown key 'player.speed' in config file {path}"),
        ('colour = "red"\n', "unknown key 'colour' in config file {path}"),
        (
            "[hub]\nport = 99999\n",
            "hub.port = 99999 in config file {path}: Input should be less than or equal to 65535",
        ),
        ("[server]\nkey = 42\n", "server.key = (hidden) in config file {path}"),
        ("[player\nvo = 1", "config file {path} is not valid TOML"),
    ],
)
def test_bad_file_is_refused_naming_key_value_and_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=path)
    assert expected.format(path=path) in str(caught.value)


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHPARTY_SYNC__CORRECTION_ENABLED", "maybe")
    with pytest.raises(
        ConfigError,
        match=r"sync\.correction_enabled = 'maybe' in environment variable "
        r"WATCHPARTY_SYNC__CORRECTION_ENABLED",
    ):
        load_settings()


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(config_path=tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(config_path=tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"not UTF-8|not valid TOML"):
        load_settings(config_path=binary)


def test_cli_bad_config_exits_2_with_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[player]\nvo = 3\n")
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--config", str(path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"player.vo = 3 in config file {path}" in err
    assert "Traceback" not in err


def test_cli_flag_values_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--server", "not a url", "--key", "sekrit-key"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "server.url = 'not a url' in command line" in err
    assert "sekrit-key" not in err


def test_secret_key_never_shows_in_settings_output() -> None:
    settings, _ = load_settings({"server": {"key": "sekrit-key"}})
    assert settings.server.key is not None
    assert settings.server.key.get_secret_value() == "sekrit-key"
    assert "sekrit-key" not in repr(settings) and "sekrit-key" not in str(settings.model_dump())


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("watchparty-tui 0.")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "ROOM_ID" in out and "serve" in out and "WATCHPARTY_" in out


def test_bad_room_id_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["room with spaces"])
    assert exited.value.code == 2
    assert "is not a room id" in capsys.readouterr().err


def test_user_id_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = stable_user_id(tmp_path)
    assert first == stable_user_id(tmp_path)
    assert len(first) == 36
    assert (tmp_path / "user_id").read_text().strip() == first


def test_identity_prefers_settings_then_generated_id_and_login_name(tmp_path: Path) -> None:
    settings, _ = load_settings({"user": {"id": "me-1", "name": "Kim"}})
    assert resolve_identity(settings, tmp_path) == ("me-1", "Kim")
    user_id, name = resolve_identity(Settings(), tmp_path)
    assert user_id == stable_user_id(tmp_path)
    assert name


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("wss://abc.supabase.co/realtime/v1", "https://abc.supabase.co"),
        ("wss://abc.supabase.co/realtime/v1/websocket", "https://abc.supabase.co"),
        ("ws://127.0.0.1:54321", "http://127.0.0.1:54321"),
        ("ws://hub.lan:54321/realtime/v1/", "http://hub.lan:54321"),
        ("https://abc.supabase.co", "https://abc.supabase.co"),
        ("http://127.0.0.1:54321", "http://127.0.0.1:54321"),
    ],
)
def test_a_realtime_address_is_taken_as_its_servers_address(given: str, used: str) -> None:
    """supabase-py refuses ws:// and wss:// addresses ("Invalid URL") and derives the
    realtime socket from the server's http(s) address itself."""
    settings, _ = load_settings({"server": {"url": given}})
    assert settings.server.url == used
