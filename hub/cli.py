"""The `serve` command line: `watchparty-tui serve` and `python -m hub` both call `run_serve`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import SecretStr

from hub.errors import HubConfigError
from hub.server import serve_forever
from hub.settings import DEFAULT_PORT, HubSettings


def run_serve(argv: list[str] | None = None, prog: str = "python -m hub") -> int:
    """Parse `[--bind ADDR] [--port N] [--db PATH] [--key KEY]`, run until Ctrl-C; the exit code."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Run a watchparty hub (a local Supabase Realtime server)."
    )
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file of the room tables (default: hub.sqlite3 in the data folder)",
    )
    parser.add_argument("--key", default=None, help="API key clients must present")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    settings = HubSettings(
        bind=args.bind,
        port=args.port,
        db_path=args.db,
        key=SecretStr(args.key) if args.key else None,
    )
    try:
        serve_forever(settings)
    except HubConfigError as error:
        print(f"watchparty hub: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
