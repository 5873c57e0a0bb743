"""Settings: defaults < TOML file < ``WATCHPARTY_*`` environment < CLI flags.

Every field's docstring is its documentation: ``config.example.toml`` is rendered from them
(see ``tui.config_example``) and a test keeps the two equal.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from hub.settings import DEFAULT_PORT
from player.settings import PlayerSettings
from room.queue.settings import RoomSettings
from room.session.budget import BudgetSettings
from room.sync.settings import SyncSettings
from room.tls import parse_pin

APP_NAME = "watchparty-tui"
ENV_PREFIX = "WATCHPARTY_"
CONFIG_ENV_VAR = "WATCHPARTY_CONFIG"


class ConfigError(Exception):
    """A setting was refused; the message names the key, the value and where it came from."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class UserSettings(Section):
    id: str | None = Field(default=None, min_length=1, max_length=128)
    """Your user id in rooms. Unset: one is generated once and kept in your data folder."""
    name: str | None = Field(default=None, min_length=1, max_length=64)
    """The name others see. Unset: your login name."""


class ServerSettings(Section):
    url: str | None = Field(default=None, pattern=r"^(https?|wss?)://[^\s]+$")
    """Supabase project URL (https://<ref>.supabase.co) or a hub's http://HOST:PORT.
    A realtime address (wss://HOST/realtime/v1) is taken as its server's https://HOST.
    Unset: the embedded hub on 127.0.0.1, started in-process when none answers."""
    key: SecretStr | None = None
    """The project's anon key (or the hub's --key). Never printed or logged."""
    sign_in: Literal["auto", "anonymous", "off"] = "auto"
    """How to sign in. auto: anonymously when the server offers sign-in (a Supabase project,
    a hub), not at all when it does not (an older hub). Your auth user id then becomes your
    user id in rooms, so the room's rules know you."""
    user_token: SecretStr | None = None
    """A user's access token (JWT) to use instead of signing in. Never printed or logged."""
    allow_plain_http: bool = False
    """Send the key over plain http to a server that is not this machine. Off: such a server
    is refused with a message, since anyone on the network could read the key."""
    pin: str | None = None
    """The fingerprint of the certificate an https hub serves (SHA256:<base64>, as `serve
    --tls` prints it, or 64 hex digits). Set: exactly that certificate is accepted, whoever
    signed it, and any other is refused before anything is sent. Unset: https is verified
    against the usual certificate authorities."""

    @field_validator("pin")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        return parse_pin(value) if value is not None else None

    @field_validator("url")
    @classmethod
    def _server_address(cls, value: str | None) -> str | None:
        return server_address(value) if value is not None else None


REALTIME_PATH = re.compile(r"/realtime/v1(/websocket)?/?$")


def server_address(url: str) -> str:
    """The server's own http(s) address for ``url``: supabase-py derives the realtime
    socket from it and refuses a ws:// or wss:// address as invalid, which is what a user
    copying the realtime endpoint from a browser's network panel has."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme)
    if scheme is None:
        return url
    path = REALTIME_PATH.sub("", parts.path)
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class EmbeddedHubSettings(Section):
    bind: str = "127.0.0.1"
    """Address `watchparty-tui serve` listens on. Anything but loopback needs a key."""
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    """Port of the embedded hub, for `serve` and for finding a running one."""
    db: Path | None = None
    """The hub's database file. Unset: hub.sqlite3 in your data folder."""
    tls: bool = False
    """`serve` over https with a self-signed certificate made on first start and kept beside
    the database; members pin the fingerprint it prints."""
    tls_cert: Path | None = None
    """`serve` over https with this PEM certificate (needs tls_key)."""
    tls_key: Path | None = None
    """The PEM private key of tls_cert."""


class PlayerSection(PlayerSettings):
    media: str | None = None
    """What to play: a file path or URL. Unset: the built-in demo (a test pattern with a
    tone). Everyone in a room should play the same media."""


class PresenceSettings(Section):
    budget_calls: int = Field(default=5, ge=1, le=1000)
    """Presence track/untrack calls allowed per window (Supabase allows 5 per 30 s)."""
    budget_window_s: float = Field(default=30.0, gt=0, le=3600)
    """The length of that window in seconds."""
    heartbeat_s: float = Field(default=3.0, gt=0, le=60)
    """How often your state is published to a small room, in seconds; bigger rooms stretch it
    to stay within ``room_messages_per_s``."""
    room_messages_per_s: float = Field(default=50.0, gt=0, le=1_000_000)
    """Realtime messages a second the room may cost, as Supabase counts them (a broadcast
    counts once, plus once per member it reaches). Half the Free plan's 100 by default, so two
    busy rooms fit in one project; Pro allows 500 for the whole project."""
    room_presence_per_s: float = Field(default=10.0, gt=0, le=1_000_000)
    """Presence events a second the room may cost (the Free plan allows 20 per project)."""

    def budget(self) -> BudgetSettings:
        return BudgetSettings(
            messages_per_s=self.room_messages_per_s,
            presence_per_s=self.room_presence_per_s,
            heartbeat_min_s=self.heartbeat_s,
        )


class UiSettings(Section):
    seek_small_s: float = Field(default=5.0, gt=0, le=3600)
    """Seconds Left/Right seek by."""
    seek_large_s: float = Field(default=60.0, gt=0, le=36000)
    """Seconds Up/Down seek by."""
    notifications: bool = True
    """Show a notification when others play, pause, seek, join, leave or comment."""


Source = Literal["default", "file", "env", "cli"]

_file_values: ContextVar[dict[str, Any] | None] = ContextVar("_file_values", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        nested_model_default_partial_update=True,
    )

    user: UserSettings = UserSettings()
    """Who you are in a room."""
    server: ServerSettings = ServerSettings()
    """Where rooms live."""
    hub: EmbeddedHubSettings = EmbeddedHubSettings()
    """The embedded hub."""
    player: PlayerSection = PlayerSection()
    """Your libmpv player."""
    sync: SyncSettings = SyncSettings()
    """Following the host."""
    presence: PresenceSettings = PresenceSettings()
    """Publishing your state to the room."""
    room: RoomSettings = RoomSettings()
    """The room's queue: starting items together."""
    ui: UiSettings = UiSettings()
    """Keys and notifications."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init = CLI flags; then the environment; then the TOML file read by load_settings.
        return (
            init_settings,
            env_settings,
            InitSettingsSource(settings_cls, _file_values.get() or {}),
        )


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def find_config_file(explicit: Path | None, environ: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config file to read and whether the user named it (then it must exist)."""
    if explicit is not None:
        return explicit, True
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR]), True
    path = default_config_path()
    return (path, False) if path.exists() else (None, False)


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder, not a file") from None
    except PermissionError:
        raise ConfigError(f"config file {path} can't be read: permission denied") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"config file {path} can't be read: {error.strerror}") from None


def load_settings(
    cli: Mapping[str, Any] | None = None,
    config_path: Path | None = None,
) -> tuple[Settings, Path | None]:
    """Build the settings; returns them and the config file that was read (if any).

    ``cli`` holds the flags the user gave, nested like the settings (``{"user": {"name": ..}}``).
    Raises ConfigError naming the key, the value and its source.
    """
    cli_values = dict(cli or {})
    path, required = find_config_file(config_path, os.environ)
    file_values: dict[str, Any] = {}
    if path is not None and (required or path.exists()):
        file_values = read_config_file(path)
    token = _file_values.set(file_values)
    try:
        return Settings(**cli_values), path
    except ValidationError as error:
        raise ConfigError(_explain(error, cli_values, file_values, path, os.environ)) from None
    finally:
        _file_values.reset(token)


def env_var_name(loc: tuple[str, ...]) -> str:
    return ENV_PREFIX + "__".join(part.upper() for part in loc)


def _lookup(values: Mapping[str, Any], loc: tuple[str, ...]) -> tuple[bool, Any]:
    current: Any = values
    for part in loc:
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


_SECRET_KEYS = {("server", "key")}


def _explain(
    error: ValidationError,
    cli: Mapping[str, Any],
    file_values: Mapping[str, Any],
    path: Path | None,
    environ: Mapping[str, str],
) -> str:
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(str(part) for part in item["loc"])
        key = ".".join(loc)
        in_cli, cli_value = _lookup(cli, loc)
        in_file, file_value = _lookup(file_values, loc)
        env_name = env_var_name(loc)
        if in_cli:
            where, value = "command line", cli_value
        elif env_name in environ:
            where, value = f"environment variable {env_name}", environ[env_name]
        elif in_file:
            where, value = f"config file {path}", file_value
        else:
            where, value = "settings", item.get("input")
        shown = "(hidden)" if loc in _SECRET_KEYS else repr(value)
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key {key!r} in {where}")
        else:
            lines.append(f"{key} = {shown} in {where}: {item['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)
