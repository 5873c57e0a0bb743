"""The embedded default: use the hub on 127.0.0.1 if one answers, else start one in-process."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import aiohttp

from hub.errors import HubConfigError
from hub.server import RunningHub, start_hub
from hub.settings import HubSettings

log = logging.getLogger("hub.local")


@dataclass(frozen=True)
class LocalHub:
    url: str
    """What the client passes as its Supabase URL."""

    running: RunningHub | None
    """The hub this process started, or None when another process's hub answered. The owner
    closes it on exit (clients connected to it from other processes then lose it)."""


async def hub_answers(url: str, within_s: float = 1.0) -> bool:
    """True if a Realtime server at `url` answers a protocol heartbeat."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            asyncio.timeout(within_s),
            session.ws_connect(
                f"{url}/realtime/v1/websocket", params={"apikey": "probe", "vsn": "1.0.0"}
            ) as ws,
        ):
            heartbeat = {"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "probe"}
            await ws.send_str(json.dumps(heartbeat))
            reply = json.loads((await ws.receive()).data)
            return bool(reply.get("event") == "phx_reply" and reply.get("ref") == "probe")
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError, TypeError):
        return False


async def ensure_local_hub(settings: HubSettings | None = None) -> LocalHub:
    settings = settings or HubSettings()
    if not settings.binds_loopback:
        raise HubConfigError("the embedded hub only runs on a loopback address")
    url = f"http://127.0.0.1:{settings.port}"
    if settings.port and await hub_answers(url):
        log.info("using the hub already running at %s", url)
        return LocalHub(url, None)
    try:
        running = await start_hub(settings)
    except HubConfigError:
        # Another process may have taken the port between the probe and the bind.
        if settings.port and await hub_answers(url):
            return LocalHub(url, None)
        raise
    return LocalHub(running.url, running)
