"""The embedded hub: a local server speaking the Supabase Realtime protocol.

`start_hub(HubSettings(...))` runs one in the current event loop; `serve_forever(settings)`
blocks (the `serve` subcommand); `ensure_local_hub()` uses the hub on 127.0.0.1 that answers or
starts one in-process (the embedded default). Clients pass the `url` as their Supabase URL.

The server (aiohttp) is imported on first use, so reading `hub.settings` stays cheap for an
app that only needs the defaults at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hub.errors import HubConfigError
from hub.settings import DEFAULT_PORT, HubSettings

if TYPE_CHECKING:
    from hub.local import LocalHub, ensure_local_hub, hub_answers
    from hub.server import RunningHub, serve_forever, start_hub

_LAZY = {
    "LocalHub": "hub.local",
    "ensure_local_hub": "hub.local",
    "hub_answers": "hub.local",
    "RunningHub": "hub.server",
    "serve_forever": "hub.server",
    "start_hub": "hub.server",
}

__all__ = [
    "DEFAULT_PORT",
    "HubConfigError",
    "HubSettings",
    "LocalHub",
    "RunningHub",
    "ensure_local_hub",
    "hub_answers",
    "serve_forever",
    "start_hub",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
