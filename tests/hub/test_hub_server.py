"""Starting the hub, the API key, and what the hub refuses to do."""

from __future__ import annotations

import ast
import logging
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from realtime import AsyncRealtimeClient

from hub import DEFAULT_PORT, HubConfigError, HubSettings, RunningHub, serve_forever, start_hub

ROOT = Path(__file__).resolve().parents[2]


async def status_of(
    url: str, *, params: dict[str, str], headers: dict[str, str] | None = None
) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, params=params, headers=headers or {}) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


async def test_port_zero_gives_a_url_clients_use_as_their_supabase_url(hub: RunningHub) -> None:
    assert hub.port > 0
    assert hub.url == f"http://127.0.0.1:{hub.port}"
    client = AsyncRealtimeClient(f"{hub.url}/realtime/v1", "any-key")
    channel = client.channel("room:abc")
    subscribed: list[str] = []
    await channel.subscribe(lambda state, error: subscribed.append(state.value))
    try:
        assert subscribed == ["SUBSCRIBED"]
    finally:
        await client.close()


def test_default_port_is_fixed() -> None:
    assert HubSettings().port == DEFAULT_PORT == 54380


async def test_without_a_key_any_key_is_accepted_but_one_is_required(hub: RunningHub) -> None:
    url = f"{hub.url}/socket/websocket"
    assert await status_of(url, params={"apikey": "whatever", "vsn": "2.0.0"}) == 101
    assert await status_of(url, params={"vsn": "2.0.0"}) == 401  # Supabase: "API key is missing"


async def test_with_a_key_only_that_key_gets_in(make_hub, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    secret = "s3cret-key-value"
    keyed = await make_hub(key=SecretStr(secret))
    url = f"{keyed.url}/realtime/v1/websocket"
    assert await status_of(url, params={"apikey": secret}) == 101
    assert await status_of(url, params={}, headers={"apikey": secret}) == 101
    assert await status_of(url, params={}, headers={"x-api-key": secret}) == 101
    assert await status_of(url, params={"apikey": "wrong"}) == 403
    assert await status_of(url, params={}) == 401
    assert "refused" in caplog.text
    assert secret not in caplog.text


async def test_unsupported_protocol_version_is_refused(hub: RunningHub) -> None:
    assert (
        await status_of(f"{hub.url}/socket/websocket", params={"apikey": "k", "vsn": "9.0.0"})
        == 400
    )


async def test_socket_count_limit_refuses_with_429(make_hub) -> None:  # type: ignore[no-untyped-def]
    small = await make_hub(max_sockets=1)
    url = f"{small.url}/socket/websocket"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, params={"apikey": "k"}):
        assert await status_of(url, params={"apikey": "k"}) == 429


async def test_non_loopback_bind_without_a_key_is_refused() -> None:
    with pytest.raises(HubConfigError, match="without an API key"):
        await start_hub(HubSettings(bind="0.0.0.0", port=0))
    with pytest.raises(HubConfigError, match="--key"):
        serve_forever(HubSettings(bind="192.168.1.10", port=0))


async def test_non_loopback_bind_with_a_key_is_allowed() -> None:
    # 0.0.0.0 is the only non-loopback address this test may bind; nothing connects from outside.
    running = await start_hub(HubSettings(bind="0.0.0.0", port=0, key=SecretStr("k")))
    try:
        assert running.url == f"http://127.0.0.1:{running.port}"
    finally:
        await running.close()


async def test_port_in_use_is_a_config_error(hub: RunningHub) -> None:
    with pytest.raises(HubConfigError, match="cannot listen"):
        await start_hub(HubSettings(port=hub.port))


def test_python_m_hub_refuses_a_lan_bind_without_a_key_in_plain_words() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--bind", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without an API key" in result.stderr


def test_hub_imports_none_of_tui_room_player() -> None:
    forbidden = {"tui", "room", "player", "textual", "mpv"}
    for path in (ROOT / "hub").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_settings_reject_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        HubSettings(max_widgets=3)  # type: ignore[call-arg]


def test_key_is_never_shown_in_settings_repr() -> None:
    assert "hunter2" not in repr(HubSettings(key=SecretStr("hunter2")))
    logging.getLogger("hub").info("%s", HubSettings(key=SecretStr("hunter2")))


@pytest.mark.slow
async def test_python_m_hub_serves_until_interrupted() -> None:
    import asyncio
    import signal

    from hub import hub_answers

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "--port", str(port), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        assert f"http://127.0.0.1:{port}".encode() in line
        assert await hub_answers(f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
