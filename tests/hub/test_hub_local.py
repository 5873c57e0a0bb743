"""The embedded default: reuse a hub that answers on 127.0.0.1, else start one."""

from __future__ import annotations

import socket

import pytest

from hub import HubConfigError, HubSettings, RunningHub, ensure_local_hub, hub_answers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_starts_a_hub_when_none_answers_then_reuses_it() -> None:
    port = free_port()
    first = await ensure_local_hub(HubSettings(port=port))
    try:
        assert first.running is not None
        assert first.url == f"http://127.0.0.1:{port}"
        assert await hub_answers(first.url)
        second = await ensure_local_hub(HubSettings(port=port))
        assert second.running is None
        assert second.url == first.url
    finally:
        await first.running.close()


async def test_something_else_on_the_port_is_not_taken_for_a_hub() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        assert not await hub_answers(f"http://127.0.0.1:{port}", within_s=0.5)
        with pytest.raises(HubConfigError, match="cannot listen"):
            await ensure_local_hub(HubSettings(port=port))


async def test_a_running_hub_answers(hub: RunningHub) -> None:
    assert await hub_answers(hub.url)


async def test_embedded_hub_refuses_non_loopback() -> None:
    with pytest.raises(HubConfigError, match="loopback"):
        await ensure_local_hub(HubSettings(bind="0.0.0.0", port=0))
