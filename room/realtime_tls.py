"""realtime-py's client with our TLS context on its websocket.

realtime-py 2.34.1 opens its socket with ``websockets.connect(url, open_timeout=...)`` inside
``AsyncRealtimeClient.connect`` (realtime/_async/client.py, the name ``connect`` imported at
the top of that module) and takes no SSL argument. Rather than copy that method (its retry
loop, lock and close generation are the library's internals), the module's ``connect`` name
is replaced once by a function that adds ``ssl=`` while, and only while, a
``TlsRealtimeClient`` is connecting in the current task (a context variable says which
context); any other client connects exactly as before. The realtime version is pinned in
pyproject.toml; if a release changes that import, this module refuses to load and says so.
"""

from __future__ import annotations

import ssl
from contextvars import ContextVar
from typing import Any

import realtime._async.client as realtime_client
import websockets
from realtime import AsyncRealtimeClient

_CONTEXT: ContextVar[ssl.SSLContext | None] = ContextVar("realtime_ssl_context", default=None)


def _connect(uri: str, **kwargs: Any) -> Any:
    context = _CONTEXT.get()
    if context is not None and uri.lower().startswith("wss://"):
        kwargs.setdefault("ssl", context)
    return websockets.connect(uri, **kwargs)


def _install() -> None:
    current = getattr(realtime_client, "connect", None)
    if current is _connect:
        return
    if current is not websockets.connect:
        raise ImportError(
            "realtime-py no longer opens its socket with websockets.connect in "
            "realtime._async.client; room/realtime_tls.py must be updated for this version"
        )
    setattr(realtime_client, "connect", _connect)  # noqa: B010 (a module attribute on purpose)


_install()


class TlsRealtimeClient(AsyncRealtimeClient):
    """``AsyncRealtimeClient`` whose wss:// socket uses ``ssl_context`` (None: the default)."""

    def __init__(self, *args: Any, ssl_context: ssl.SSLContext | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ssl_context = ssl_context

    async def connect(self) -> None:
        token = _CONTEXT.set(self.ssl_context)
        try:
            await super().connect()
        finally:
            _CONTEXT.reset(token)
