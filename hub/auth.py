"""Who may talk to the hub: the API key when it has one, else only this machine."""

from __future__ import annotations

import hmac

from aiohttp import web

from hub.settings import HubSettings


def is_loopback_peer(request: web.Request) -> bool:
    peer = request.remote or ""
    return peer in ("127.0.0.1", "::1", "localhost") or peer.startswith("127.")


def refusal(settings: HubSettings, presented: str | None, request: web.Request) -> str | None:
    """Why a request is refused ('missing', 'loopback only', 'invalid'), or None."""
    if not presented:
        return "missing"
    if settings.key is None:
        # Without a key of its own the hub only ever talks to this machine.
        return None if is_loopback_peer(request) else "loopback only"
    expected = settings.key.get_secret_value().encode()
    if not hmac.compare_digest(presented.encode(), expected):
        return "invalid"
    return None
