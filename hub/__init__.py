"""The embedded hub: a local server speaking the Supabase Realtime protocol.

`start_hub(HubSettings(...))` runs one in the current event loop; `serve_forever(settings)`
blocks (the `serve` subcommand); `ensure_local_hub()` uses the hub on 127.0.0.1 that answers or
starts one in-process (the embedded default). Clients pass the `url` as their Supabase URL.
"""

from hub.errors import HubConfigError
from hub.local import LocalHub, ensure_local_hub, hub_answers
from hub.server import RunningHub, serve_forever, start_hub
from hub.settings import DEFAULT_PORT, HubSettings

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
