"""Helpers and fixtures for the hub tests: a real hub on an ephemeral loopback port, raw
protocol clients, realtime-py clients and realtime-js clients (node subprocesses)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from realtime import AsyncRealtimeClient

from hub import HubSettings, RunningHub, start_hub
from hub.tokens import Tokens

JS_DIR = Path(__file__).resolve().parents[1] / "js"
WAIT_S = 5.0

HubFactory = Callable[..., Awaitable[RunningHub]]

HUB_TOKENS: dict[str, Tokens] = {}
"""Each test hub's token signer by URL, so a helper given only a URL can sign a member in."""


class FakeClock:
    """A monotonic clock that moves only when a test advances it (`start_hub(clock=...)`)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def make_hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[HubFactory]:
    hubs: list[RunningHub] = []

    async def factory(clock: Callable[[], float] = time.monotonic, **overrides: Any) -> RunningHub:
        overrides.setdefault("db_path", tmp_path_factory.mktemp("hub") / "hub.sqlite3")
        hub = await start_hub(HubSettings(port=0, **overrides), clock=clock)
        HUB_TOKENS[hub.url] = hub.tokens
        hubs.append(hub)
        return hub

    yield factory
    for hub in hubs:
        await hub.close()


@pytest.fixture
async def hub(make_hub: HubFactory) -> RunningHub:
    return await make_hub()


class RawClient:
    """A bare websocket speaking frames by hand, to see exactly what the hub sends."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        ws: aiohttp.ClientWebSocketResponse,
        vsn: str,
        tokens: Tokens | None = None,
    ):
        self.session = session
        self.ws = ws
        self.vsn = vsn
        self.tokens = tokens
        self._ref = 0

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def send(
        self,
        topic: str,
        event: str,
        payload: Any,
        ref: str | None = None,
        join_ref: str | None = None,
    ) -> str | None:
        if self.vsn == "1.0.0":
            await self.ws.send_str(
                json.dumps(
                    {
                        "topic": topic,
                        "event": event,
                        "payload": payload,
                        "ref": ref,
                        "join_ref": join_ref,
                    }
                )
            )
        else:
            await self.ws.send_str(json.dumps([join_ref, ref, topic, event, payload]))
        return ref

    async def join(
        self, topic: str, config: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        ref = self.next_ref()
        key = ((config or {}).get("presence") or {}).get("key")
        if key and self.tokens is not None and "access_token" not in extra:
            # A member signs in as the user its presence key names (the hub checks it).
            extra["access_token"] = self.tokens.issue(key).access_token
        elif (config or {}).get("postgres_changes") and self.tokens is not None:
            # A table watcher is a script with the service key (it reads every room's rows).
            extra.setdefault("access_token", self.tokens.service_token())
        await self.send(topic, "phx_join", {"config": config or {}, **extra}, ref=ref, join_ref=ref)
        reply = await self.recv_event("phx_reply")
        assert reply["ref"] == ref
        return reply

    async def recv(self, within: float = WAIT_S) -> dict[str, Any] | bytes:
        """The next frame, normalised to a dict with topic/event/payload/ref/join_ref."""
        message = await self.ws.receive(timeout=within)
        if message.type is aiohttp.WSMsgType.BINARY:
            return bytes(message.data)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(
                f"socket closed: {message.type.name} {message.data!r} {message.extra!r}"
            )
        decoded = json.loads(message.data)
        if self.vsn == "1.0.0":
            assert set(decoded) == {"topic", "event", "payload", "ref"}, decoded
            return {**decoded, "join_ref": None}
        join_ref, ref, topic, event, payload = decoded
        return {
            "join_ref": join_ref,
            "ref": ref,
            "topic": topic,
            "event": event,
            "payload": payload,
        }

    async def recv_event(self, event: str, within: float = WAIT_S) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if isinstance(frame, dict) and frame["event"] == event:
                return frame

    async def heartbeat(self) -> dict[str, Any]:
        """Send a heartbeat and return everything received before its reply (and the reply)."""
        ref = f"hb{self.next_ref()}"
        await self.send("phoenix", "heartbeat", {}, ref=ref)
        return await self.recv_event("phx_reply")

    async def closed(self, within: float = WAIT_S) -> aiohttp.WSMessage:
        """Wait for the hub to close the socket; returns the close message."""
        deadline = time.monotonic() + within
        while True:
            message = await self.ws.receive(timeout=max(0.01, deadline - time.monotonic()))
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                return message

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


RawFactory = Callable[..., Awaitable[RawClient]]


@pytest.fixture
async def raw(hub: RunningHub) -> AsyncIterator[RawFactory]:
    clients: list[RawClient] = []

    async def connect(
        vsn: str = "1.0.0",
        target: RunningHub | None = None,
        path: str = "/realtime/v1/websocket",
        **params: str,
    ) -> RawClient:
        session = aiohttp.ClientSession()
        url = f"{(target or hub).url}{path}"
        ws = await session.ws_connect(
            url, params={"apikey": "anon", "vsn": vsn, **params}, autoping=True
        )
        client = RawClient(session, ws, vsn, (target or hub).tokens)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.close()


class SignedInClient(AsyncRealtimeClient):
    """realtime-py as a member uses it: signed in (`set_auth` before joining) as the user
    its first channel's presence key names, with a token the hub signed."""

    tokens: Tokens

    def channel(self, topic: str, params: Any = None) -> Any:
        config = (params or {}).get("config") or {}
        key = (config.get("presence") or {}).get("key")
        if key and self.access_token == self.apikey:
            self.access_token = self.tokens.issue(key).access_token
        return super().channel(topic, params)


@pytest.fixture
async def py_client(hub: RunningHub) -> AsyncIterator[Callable[..., AsyncRealtimeClient]]:
    clients: list[AsyncRealtimeClient] = []

    def make(
        target: RunningHub | None = None, *, user: str | None = None, **kwargs: Any
    ) -> AsyncRealtimeClient:
        """A realtime-py client; signed in as ``user`` (a token the hub signed) when given,
        as realtime-py is after `set_auth`, else as its first channel's presence key."""
        running = target or hub
        client = SignedInClient(f"{running.url}/realtime/v1", "anon", **kwargs)
        client.tokens = running.tokens
        if user is not None:
            client.access_token = running.tokens.issue(user).access_token
        clients.append(client)
        return client

    yield make
    for client in clients:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 2)


def room_config(key: str, *, self_broadcast: bool = True, ack: bool = False) -> dict[str, Any]:
    return {
        "config": {
            "broadcast": {"self": self_broadcast, "ack": ack},
            "presence": {"key": key, "enabled": True},
            "private": False,
        }
    }


async def subscribed(channel: Any) -> None:
    """Subscribe a realtime-py channel and wait until the hub confirmed the join."""
    joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_state(state: Any, error: Any) -> None:
        if state.value == "SUBSCRIBED" and not joined.done():
            joined.set_result(None)
        elif state.value != "SUBSCRIBED" and not joined.done():
            joined.set_exception(AssertionError(f"subscribe ended in {state} {error}"))

    await channel.subscribe(on_state)
    await asyncio.wait_for(joined, WAIT_S)


class Inbox:
    """Collects callback arguments and lets a test await the one it wants."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def put(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[Any], bool], within: float = WAIT_S) -> Any:
        async def scan() -> Any:
            seen = 0
            while True:
                for item in self.items[seen:]:
                    if predicate(item):
                        return item
                seen = len(self.items)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), within)


class JsClient:
    """realtime-js in a node process (tests/js/realtime_client.mjs), scripted line by line."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.inbox = Inbox()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls, url: str, topic: str, presence_key: str, heartbeat_ms: int = 25000
    ) -> JsClient:
        """Signed in as ``presence_key`` (a token of the hub at ``url``), as a member is."""
        tokens = HUB_TOKENS.get(url)
        token = tokens.issue(presence_key).access_token if tokens and presence_key else ""
        return await cls.run_script(
            "realtime_client.mjs", url, "anon", topic, presence_key, str(heartbeat_ms), token
        )

    @classmethod
    async def run_script(cls, script: str, *args: str) -> JsClient:
        """Any of the scripts in tests/js (each documents its arguments and lines)."""
        process = await asyncio.create_subprocess_exec(
            "node",
            str(JS_DIR / script),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=JS_DIR,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.inbox.put(json.loads(line))

    async def command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], within: float = WAIT_S
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.inbox.wait_for(predicate, within)
        return result

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


def node_ready() -> bool:
    return (
        shutil.which("node") is not None
        and (JS_DIR / "node_modules" / "@supabase" / "realtime-js").is_dir()
    )


@pytest.fixture
async def js_client() -> AsyncIterator[Callable[..., Awaitable[JsClient]]]:
    if not node_ready():
        pytest.fail(
            "realtime-js is not installed: run scripts/setup.sh --test (npm ci in tests/js)"
        )
    clients: list[JsClient] = []

    async def start(*args: Any, script: str | None = None, **kwargs: Any) -> JsClient:
        if script is not None:
            client = await JsClient.run_script(script, *args)
        else:
            client = await JsClient.start(*args, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.stop()


async def round_trip_ms(
    sender: RawClient, receiver: RawClient, topic: str, count: int
) -> list[float]:
    """Latency of `count` broadcasts from sender to receiver, one at a time."""
    samples = []
    for index in range(count):
        started = time.perf_counter()
        await sender.send(
            topic,
            "broadcast",
            {"type": "broadcast", "event": "probe", "payload": {"n": index}},
            ref=None,
            join_ref="1",
        )
        while True:
            frame = await receiver.recv()
            if (
                isinstance(frame, dict)
                and frame["event"] == "broadcast"
                and frame["payload"]["payload"] == {"n": index}
            ):
                break
        samples.append((time.perf_counter() - started) * 1000)
    return samples
