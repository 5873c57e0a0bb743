"""``watchparty-tui``: open a room, or ``serve`` a hub."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hub.cli import add_limits_option, add_tls_options
from hub.settings import Plan
from tui.config import CONFIG_ENV_VAR, ConfigError, Settings, default_config_path, load_settings

ROOM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

EPILOG = f"""\
other commands:
  watchparty-tui serve [--bind ADDR] [--port N] [--db PATH] [--key KEY]
                       [--limits free|pro|team|off] [--tls | --tls-cert F --tls-key F]
                      run a hub for others to join, enforcing a Supabase plan's limits
                      (default free; see: watchparty-tui serve --help); --tls serves https
                      with a certificate whose fingerprint members pass to --pin

a LAN party: the host runs `watchparty-tui serve --tls --bind 0.0.0.0 --key SECRET`;
members run `watchparty-tui ROOM --server https://HOST:54380 --key SECRET --pin SHA256:...`
with the fingerprint the hub printed.

settings: command-line flags > WATCHPARTY_* environment variables (nested with __,
e.g. WATCHPARTY_PLAYER__VO=null) > config file (--config, else ${CONFIG_ENV_VAR},
else {default_config_path()}) > defaults. config.example.toml lists every setting.

keys: Space play/pause, ←/→ seek 5 s, ↑/↓ seek 60 s, g jump, c comment, h host, ? help, q quit
"""


def room_id(text: str) -> str:
    if not ROOM_ID.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a room id: use 1-64 letters, digits, '-', '_' or '.'"
        )
    return text


def _room_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchparty-tui",
        description="Watch a video together from the terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('watchparty-tui')}"
    )
    parser.add_argument(
        "room_id", metavar="ROOM_ID", type=room_id, help="the room to join, e.g. demo"
    )
    parser.add_argument(
        "--server", metavar="URL", help="Supabase project URL or a hub's http://HOST:PORT"
    )
    parser.add_argument("--key", metavar="KEY", help="the project's anon key (never printed)")
    parser.add_argument(
        "--allow-plain-http",
        action="store_const",
        const=True,
        help="send the key over http:// to another machine (only on a network you trust)",
    )
    parser.add_argument(
        "--pin",
        metavar="SHA256:FP",
        help="accept exactly the https hub certificate with this fingerprint (the one "
        "`serve --tls` prints) instead of checking it against certificate authorities",
    )
    parser.add_argument("--user-id", metavar="ID", help="your user id (default: generated once)")
    parser.add_argument("--name", metavar="NAME", help="the name others see (default: login name)")
    parser.add_argument("--media", metavar="PATH_OR_URL", help="what to play when you host")
    parser.add_argument("--host", action="store_true", help="take the host role if nobody has it")
    parser.add_argument("--config", metavar="PATH", type=Path, help="the config file to read")
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchparty-tui serve",
        description="Run a hub (a local server speaking the Supabase Realtime protocol).",
    )
    parser.add_argument("--bind", metavar="ADDR", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", metavar="N", type=int, help="port to listen on (default 54380)")
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help="database file (default: hub.sqlite3 in your data folder)",
    )
    parser.add_argument("--key", metavar="KEY", help="the key clients must present")
    add_limits_option(parser)
    add_tls_options(parser)
    parser.add_argument("--config", metavar="PATH", type=Path, help="the config file to read")
    return parser


def _nested(**sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """CLI values as settings input, leaving out flags the user did not give."""
    result = {}
    for name, values in sections.items():
        given = {key: value for key, value in values.items() if value is not None}
        if given:
            result[name] = given
    return result


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        options = _serve_parser().parse_args(args[1:])
        cli = _nested(
            hub={
                "bind": options.bind,
                "port": options.port,
                "db": options.db,
                "tls": options.tls,
                "tls_cert": options.tls_cert,
                "tls_key": options.tls_key,
            },
            server={"key": options.key},
        )
        settings = _settings_or_exit(cli, options.config)
        raise SystemExit(serve(settings, limits=options.limits))

    options = _room_parser().parse_args(args)
    cli = _nested(
        server={
            "url": options.server,
            "key": options.key,
            "allow_plain_http": options.allow_plain_http,
            "pin": options.pin,
        },
        user={"id": options.user_id, "name": options.name},
        player={"media": options.media},
    )
    settings = _settings_or_exit(cli, options.config)
    from tui.launch import run_room  # imports Textual: only when a room is opened

    raise SystemExit(run_room(settings, options.room_id, claim_host=options.host))


def _settings_or_exit(cli: dict[str, Any], config: Path | None) -> Settings:
    try:
        settings, _ = load_settings(cli, config)
    except ConfigError as error:
        print(f"watchparty-tui: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def serve(settings: Settings, limits: Plan = "free") -> int:
    from pydantic import ValidationError

    from hub import HubConfigError, HubSettings, serve_forever

    key = settings.server.key
    hub = settings.hub
    try:
        hub_settings = HubSettings(
            bind=hub.bind,
            port=hub.port,
            key=key.get_secret_value() if key else None,
            db_path=hub.db,
            limits=limits,
            tls=hub.tls,
            tls_cert=hub.tls_cert,
            tls_key=hub.tls_key,
        )
    except ValidationError as error:
        reasons = "; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors())
        print(f"watchparty-tui serve: {reasons}", file=sys.stderr)
        return 2
    try:
        serve_forever(hub_settings)
    except HubConfigError as error:
        print(f"watchparty-tui serve: {error}", file=sys.stderr)
        return 2
    return 0
