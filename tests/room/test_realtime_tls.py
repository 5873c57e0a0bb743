"""The scoped wrap of realtime-py's websocket connect: only a TlsRealtimeClient's own connect
gets its SSL context; every other client connects exactly as before; and a realtime-py that
no longer opens its socket the way the wrap expects is refused loudly, not silently unpinned."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
import realtime._async.client as realtime_client
import websockets

import room.realtime_tls as realtime_tls
from room.realtime_tls import TlsRealtimeClient


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(uri: str, **kwargs: Any) -> None:
        seen.append((uri, kwargs))
        raise ConnectionRefusedError(111, "recorded, not connected")

    monkeypatch.setattr(websockets, "connect", record)
    return seen


async def test_only_our_client_gets_the_context(connects: list[tuple[str, dict[str, Any]]]) -> None:
    context = ssl.create_default_context()
    ours = TlsRealtimeClient(
        "wss://hub.lan/realtime/v1", "k", auto_reconnect=False, ssl_context=context
    )
    theirs = realtime_client.AsyncRealtimeClient(
        "wss://hub.lan/realtime/v1", "k", auto_reconnect=False
    )
    for client in (ours, theirs):
        with pytest.raises(ConnectionRefusedError):
            await client.connect()
    assert [kwargs.get("ssl") for _, kwargs in connects] == [context, None]
    assert all(uri.startswith("wss://hub.lan/") for uri, _ in connects)


async def test_plain_ws_gets_no_context(connects: list[tuple[str, dict[str, Any]]]) -> None:
    client = TlsRealtimeClient(
        "ws://127.0.0.1:1/realtime/v1",
        "k",
        auto_reconnect=False,
        ssl_context=ssl.create_default_context(),
    )
    with pytest.raises(ConnectionRefusedError):
        await client.connect()
    assert "ssl" not in connects[0][1]  # websockets refuses ssl= on a ws:// URI


def test_a_realtime_that_connects_otherwise_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(realtime_client, "connect", lambda uri, **kwargs: None)
    with pytest.raises(ImportError, match="must be updated"):
        realtime_tls._install()
