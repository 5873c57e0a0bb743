"""The embedded hub: a local server speaking the Supabase Realtime protocol.

`start_hub(HubSettings(...))` runs one in the current event loop; `serve_forever(settings)`
blocks (the `serve` subcommand). Clients pass `RunningHub.url` as their Supabase URL.
"""

from hub.errors import HubConfigError
from hub.server import RunningHub, serve_forever, start_hub
from hub.settings import DEFAULT_PORT, HubSettings

__all__ = [
    "DEFAULT_PORT",
    "HubConfigError",
    "HubSettings",
    "RunningHub",
    "serve_forever",
    "start_hub",
]
