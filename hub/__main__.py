"""`python -m hub`: run a standalone hub (the same as `watchparty-tui serve`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import SecretStr

from hub.errors import HubConfigError
from hub.server import serve_forever
from hub.settings import DEFAULT_PORT, HubSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--key", default=None)
    parser.add_argument("--log-level", default="INFO")
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


if __name__ == "__main__":
    sys.exit(main())
