"""The `serve` command line: `watchparty-tui serve` and `python -m hub` both call `run_serve`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from hub.errors import HubConfigError
from hub.settings import (
    DEFAULT_PORT,
    PLAN_NAMES,
    PLANS,
    HubSettings,
    PlanLimits,
    describe_limits,
)


def limits_help() -> str:
    """What `--limits` chooses, from the plans table."""
    free, pro, team = PLANS["free"], PLANS["pro"], PLANS["team"]

    def short(plan: PlanLimits) -> str:
        return (
            f"{plan.max_events_per_second}, {plan.max_presence_events_per_second}, "
            f"{plan.max_joins_per_second}, {plan.max_concurrent_users} users, "
            f"{plan.max_payload_size_kb} KB"
        )

    return (
        "the Supabase plan whose limits the hub enforces (default: free, so a client that "
        f"Supabase would cut off is cut off here too). free = {describe_limits(free)}; "
        f"pro = {short(pro)}; team = {short(team)}; off = no tenant limits (the hub's own "
        "flood guards stay)"
    ).replace("%", "%%")


def add_limits_option(parser: argparse.ArgumentParser) -> None:
    """`--limits free|pro|team|off` (shared with `watchparty-tui serve`)."""
    parser.add_argument("--limits", choices=PLAN_NAMES, default="free", help=limits_help())


def add_tls_options(parser: argparse.ArgumentParser) -> None:
    """`--tls`, `--tls-cert F --tls-key F` (shared with `watchparty-tui serve`)."""
    parser.add_argument(
        "--tls",
        action="store_const",
        const=True,
        help="serve https/wss with a self-signed certificate made on first start and kept "
        "beside the database; its fingerprint is printed for members to --pin",
    )
    parser.add_argument(
        "--tls-cert", metavar="F", type=Path, help="serve https/wss with this PEM certificate"
    )
    parser.add_argument("--tls-key", metavar="F", type=Path, help="the certificate's PEM key")


def run_serve(argv: list[str] | None = None, prog: str = "python -m hub") -> int:
    """Parse `[--bind ADDR] [--port N] [--db PATH] [--key KEY] [--limits PLAN] [--tls |
    --tls-cert F --tls-key F]`, run until Ctrl-C; the exit code."""
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
    add_limits_option(parser)
    add_tls_options(parser)
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    try:
        settings = HubSettings(
            bind=args.bind,
            port=args.port,
            db_path=args.db,
            key=SecretStr(args.key) if args.key else None,
            limits=args.limits,
            tls=bool(args.tls),
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        )
    except ValidationError as error:
        reasons = "; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors())
        print(f"watchparty hub: {reasons}", file=sys.stderr)
        return 2
    from hub.server import serve_forever  # aiohttp: only once a hub is to run

    try:
        serve_forever(settings)
    except HubConfigError as error:
        print(f"watchparty hub: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
