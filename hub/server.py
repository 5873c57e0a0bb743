"""The hub's HTTP server: websocket endpoints, the REST subset, API-key check, start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from dataclasses import dataclass

from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractAccessLogger

from hub import auth
from hub.client_socket import ClientSocket
from hub.data.ops import Delete
from hub.data.schema import TABLES
from hub.data.store import Store, StoreOpenError
from hub.errors import HubConfigError, ProtocolError
from hub.gotrue import add_auth_routes
from hub.hub_state import HubState
from hub.limits import ClientLimit, Clock
from hub.protocol import Vsn
from hub.rest.handlers import add_rest_routes
from hub.settings import HubSettings
from hub.tls import ServerTls, server_tls
from hub.tokens import Tokens

log = logging.getLogger("hub.server")
access_log = logging.getLogger("hub.access")

WEBSOCKET_PATHS = ("/realtime/v1/websocket", "/socket/websocket")
_HUB_STATE = web.AppKey("hub_state", HubState)
GOING_AWAY = 1001
INTERNAL_ERROR = 1011


def _json_error(status: int, message: str) -> web.Response:
    # Connect errors are plain HTTP responses with a JSON body, as the server sends them.
    return web.json_response({"error": message}, status=status)


def _check_key(settings: HubSettings, request: web.Request) -> web.Response | None:
    presented = (
        request.headers.get("x-api-key")
        or request.headers.get("apikey")
        or request.query.get("apikey")
    )
    reason = auth.refusal(settings, presented, request)
    if reason == "missing":
        return _json_error(401, "API key is missing")
    if reason == "loopback only":
        return _json_error(403, "loopback only")
    if reason == "invalid":
        return _json_error(403, "Invalid API key")
    return None


async def _websocket(request: web.Request) -> web.StreamResponse:
    hub = request.app[_HUB_STATE]
    settings = hub.settings
    remote = f"{request.remote}"
    refusal = _check_key(settings, request)
    if refusal is not None:
        log.warning("refused %s: HTTP %d (api key)", remote, refusal.status)
        return refusal
    try:
        vsn = Vsn.from_query(request.query.get("vsn"))
    except ProtocolError as error:
        log.warning("refused %s: %s", remote, error)
        return _json_error(400, str(error))
    if len(hub.peers) >= settings.max_sockets:
        log.warning("refused %s: %d sockets open", remote, len(hub.peers))
        return _json_error(429, "Too many connections")
    ws = web.WebSocketResponse(autoping=True, max_msg_size=settings.max_frame_bytes, compress=False)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:
        return ws
    assert isinstance(transport, asyncio.Transport)
    presented = (
        request.headers.get("x-api-key")
        or request.headers.get("apikey")
        or request.query.get("apikey")
        or ""
    )
    client = ClientSocket(hub, vsn, transport, remote, presented)
    hub.peers.add(client)
    log.info("connected %r", client)
    try:
        await _read_loop(client, ws, settings.idle_timeout_s)
    finally:
        client.teardown()
        log.info("disconnected %r", client)
    return ws


async def _read_loop(client: ClientSocket, ws: web.WebSocketResponse, idle_s: float) -> None:
    while not client.closed:
        try:
            message = await ws.receive(timeout=idle_s)
        except TimeoutError:
            client.request_close(GOING_AWAY, f"idle: nothing received for {idle_s:g} s")
        else:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                _handle(client, message.data)
            elif message.type is WSMsgType.ERROR:
                log.warning("closing %r: %s", client, ws.exception())
                return
            elif message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return
        request = client.close_request
        if request is not None:
            client.teardown()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    ws.close(code=request.code, message=request.reason[:120].encode()), 2.0
                )
            return


def _handle(client: ClientSocket, data: str | bytes) -> None:
    try:
        if isinstance(data, str):
            client.handle_text(data)
        else:
            client.handle_binary(data)
    except Exception:
        # A bug must cost only this socket, never the loop that serves everyone else.
        log.exception("internal error handling a frame from %r", client)
        client.request_close(INTERNAL_ERROR, "internal error")


def build_app(
    settings: HubSettings, clock: Clock = time.monotonic
) -> tuple[web.Application, HubState]:
    hub = HubState(settings, clock)
    app = web.Application()
    app[_HUB_STATE] = hub
    for path in WEBSOCKET_PATHS:
        app.router.add_get(path, _websocket)
    # One request budget per client, shared by the REST subset and sign-in.
    limit = ClientLimit(settings.rest_requests_per_s, settings.rest_burst, clock)
    add_rest_routes(app, hub, limit)
    add_auth_routes(app, hub, limit)
    return app, hub


async def _open_store(state: HubState) -> None:
    path = state.settings.database
    try:
        state.store = await Store.open(
            path, state.deliver_changes, state.settings.max_pending_writes
        )
    except StoreOpenError as error:
        raise HubConfigError(str(error)) from None
    # Nobody is present before the hub listens: member rows left by an earlier run (members
    # who were cut off when it stopped) name no one who is here.
    swept = await state.store.write(Delete(TABLES["room_members"], ()))
    if swept:
        log.info("removed %d member rows left by an earlier run", len(swept))


def check_bind(settings: HubSettings) -> None:
    if settings.key is None and not settings.binds_loopback:
        raise HubConfigError(
            f"Refusing to listen on {settings.bind} without an API key: anyone on the network "
            "could join. Pass --key SECRET (clients then use that key), or bind 127.0.0.1."
        )


class AccessLogger(AbstractAccessLogger):
    """Each request at DEBUG (`--log-level DEBUG`): method, path, status, from where. Never
    the query string: a websocket's carries the API key."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.DEBUG)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.debug(
            "%s %s %d from %s", request.method, request.path, response.status, request.remote
        )


@dataclass
class RunningHub:
    """A hub running in the current event loop."""

    port: int
    bind: str
    state: HubState
    _runner: web.AppRunner
    tls: ServerTls | None = None
    """What it serves https/wss with (None: plain http)."""

    @property
    def url(self) -> str:
        """What a client passes as its Supabase project URL."""
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def fingerprint(self) -> str | None:
        """``SHA256:...`` of the certificate it serves, for members' `--pin`."""
        return self.tls.fingerprint if self.tls else None

    @property
    def tokens(self) -> Tokens:
        """The hub's token signer (tests and tools holding the secret mint tokens with it)."""
        return self.state.tokens

    async def close(self) -> None:
        # Members are cut off, they did not leave: their rows stay (see hub.vanish).
        if self.state.closing:
            return  # closed already
        self.state.closing = True
        for client in list(self.state.peers):
            client.abort("hub shutting down")
        await self._runner.cleanup()
        if self.state.store is not None:
            await self.state.store.close()


async def start_hub(settings: HubSettings, *, clock: Clock = time.monotonic) -> RunningHub:
    """Start listening in the running loop; port 0 picks a free port. `clock` is what the rate
    counters, presence windows and flood guards read (tests drive a fake one)."""
    check_bind(settings)
    tls = server_tls(settings)
    app, state = build_app(settings, clock)
    await _open_store(state)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=1.0,
        # A socket that never even sends its HTTP upgrade is closed after the same idle time.
        keepalive_timeout=settings.idle_timeout_s,
        access_log_class=AccessLogger,
        access_log=access_log,
    )
    await runner.setup()
    site = web.TCPSite(
        runner,
        settings.bind,
        settings.port,
        reuse_address=True,
        ssl_context=tls.context if tls else None,
    )
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        if state.store is not None:
            await state.store.close()
        raise HubConfigError(
            f"cannot listen on {settings.bind}:{settings.port}: {error.strerror}"
        ) from error
    port = runner.addresses[0][1]
    log.info(
        "hub listening on %s:%d (%s, key %s), limits: %s",
        settings.bind,
        port,
        f"TLS, certificate {tls.fingerprint}" if tls else "plain http",
        "required" if settings.key else "any, loopback only",
        settings.limits_summary(),
    )
    return RunningHub(port=port, bind=settings.bind, state=state, _runner=runner, tls=tls)


def tls_lines(hub: RunningHub, settings: HubSettings) -> list[str]:
    """What members need to know of the hub's transport, for the start-up lines."""
    if hub.tls is None:
        if settings.binds_loopback:
            return []
        return [
            "plain http: members must pass --allow-plain-http, and anyone on the network can "
            "read the key; --tls serves https with a certificate members pin"
        ]
    made = f" (made now, kept in {hub.tls.cert_path})" if hub.tls.made else ""
    return [
        f"certificate {hub.tls.fingerprint}{made}",
        f"members join with: --server https://HOST:{hub.port} --pin {hub.tls.fingerprint}",
    ]


def serve_forever(settings: HubSettings) -> None:
    """Run a hub until SIGINT/SIGTERM (the `watchparty-tui serve` subcommand)."""
    check_bind(settings)

    async def main() -> None:
        hub = await start_hub(settings)
        # Everything loaded so far (aiohttp, pydantic, ...) lives for the whole process; frozen,
        # full collections stop scanning it, which cuts their pauses (~20 ms) on the latency tail.
        gc.freeze()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        print(f"watchparty hub on {hub.url} (Ctrl-C stops it)", flush=True)
        for line in tls_lines(hub, settings):
            print(line, flush=True)
        print(f"limits: {settings.limits_summary()}", flush=True)
        try:
            await stop.wait()
        finally:
            await hub.close()

    asyncio.run(main())
