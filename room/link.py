"""The room channel over realtime-py, kept joined for as long as the app runs.

realtime-py retries a lost socket five times and then stops for good, does not re-track
presence after a rejoin, drops a channel that the server closes, and lets an exception in a
callback kill its listener. ``RoomLink`` works around all four: each connection is a fresh
client and channel that the supervisor loop replaces whenever it is lost, every callback is
guarded, and ``on_joined`` runs after every join so the session can re-track and resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from realtime import AsyncRealtimeChannel, AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.types import RealtimePostgresChangesListenEvent as Change

from room.backoff import Backoff
from room.realtime_tls import TlsRealtimeClient
from room.state import ConnectionStatus

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 10.0
STABLE_JOIN_S = 30.0
"""A join that lasted this long starts the backoff again from the bottom; one the server
closes sooner (a rate limit, a refusal after joining) keeps growing it."""
TOKEN_CHECK_S = 5.0
"""How often a joined link asks whether its access token was refreshed (supabase-auth does it
10 s before the token expires, and the server shuts the channel when it does)."""
RATE_LIMITED_WAIT_S = 30.0
"""After the server cut us off for the project's message rate, wait at least this long (plus
up to as much again, at random): its counters average over a minute, and a room that comes
back at once only trips them again."""
RATE_LIMIT_MESSAGES = {
    "Too many messages per second": "this Supabase project is over its realtime message rate",
    "Too many presence messages per second": "this Supabase project is over its presence rate",
    "Client presence rate limit exceeded": "we updated our presence too often",
}
"""The server's words (realtime_channel.ex shutdown_response) and what they mean for us."""


@dataclass(frozen=True)
class LinkStatus:
    status: ConnectionStatus
    detail: str = ""
    retry_in_s: float | None = None


class LinkListener(Protocol):
    """What the room session hears from the link. Called on the event loop; may not raise."""

    def on_broadcast(self, event: str, payload: object) -> None: ...

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None: ...

    def on_postgres_change(self, payload: dict[str, Any]) -> None: ...

    def on_status(self, status: LinkStatus) -> None: ...

    async def on_joined(self) -> None: ...


def realtime_url(server_url: str) -> str:
    """The realtime endpoint under a Supabase project (or hub) URL, as supabase-py builds it."""
    return server_url.rstrip("/") + "/realtime/v1"


def _guarded(name: str, callback: Callable[..., None]) -> Callable[..., None]:
    """Never let an exception reach realtime-py: it would silently kill its listener."""

    def call(*args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("error in %s handler (ignored; the room keeps running)", name)

    return call


class RoomLink:
    def __init__(
        self,
        server_url: str,
        key: str,
        room_id: str,
        user_id: str,
        listener: LinkListener,
        *,
        backoff: Backoff | None = None,
        liveness_timeout_s: float = 15.0,
        on_refused: Callable[[], Awaitable[None]] | None = None,
        access_token: Callable[[], Awaitable[str | None]] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = realtime_url(server_url)
        self.ssl_context = ssl_context
        """The TLS of a wss:// socket (the backend's: pinned or CA-verified)."""
        self._key = key
        self.topic = f"room:{room_id}"
        self.room_id = room_id
        self.user_id = user_id
        self.listener = listener
        self.backoff = backoff or Backoff()
        self.liveness_timeout_s = liveness_timeout_s
        self.on_refused = on_refused
        """Called when nothing listens at the server's address (the embedded default then
        starts a hub of its own, so a room outlives the app that started the first one)."""
        self.access_token = access_token
        """The signed-in user's token for each connection (Supabase); None: the key is used."""
        self._channel: AsyncRealtimeChannel | None = None
        self._stopping = asyncio.Event()
        self._last_inbound = time.monotonic()
        self.joins = 0
        """How many times the channel has been joined (the first join and every rejoin)."""
        self._lost_reason: str | None = None
        self._joined_at = 0.0

    @property
    def is_joined(self) -> bool:
        return self._channel is not None and self._channel.is_joined

    # --- sending ---------------------------------------------------------------------

    async def send(self, event: str, payload: dict[str, Any]) -> bool:
        """Broadcast to the room; False (nothing sent) when not joined."""
        channel = self._channel
        if channel is None or not channel.is_joined:
            return False
        log.debug("send %s %s", event, payload.get("user_id"))
        try:
            await channel.send_broadcast(event, payload)
        except Exception as error:  # a socket that died under us: the supervisor reconnects
            log.warning("could not send %r: %s", event, error)
            return False
        return True

    async def track(self, fields: dict[str, Any]) -> bool:
        channel = self._channel
        if channel is None or not channel.is_joined:
            return False
        try:
            await channel.track(fields)
        except Exception as error:
            log.warning("could not track presence: %s", error)
            return False
        return True

    async def untrack(self) -> bool:
        channel = self._channel
        if channel is None or not channel.is_joined:
            return False
        try:
            await channel.untrack()
        except Exception as error:
            log.warning("could not untrack presence: %s", error)
            return False
        return True

    # --- the supervisor --------------------------------------------------------------

    async def run(self) -> None:
        """Keep the channel joined until ``stop``; never gives up."""
        attempt = 0
        while not self._stopping.is_set():
            self.listener.on_status(
                LinkStatus(
                    ConnectionStatus.CONNECTING if attempt == 0 else ConnectionStatus.RECONNECTING
                )
            )
            reason = await self._one_connection()
            if self._stopping.is_set():
                break
            if reason is None:
                if time.monotonic() - self._joined_at >= STABLE_JOIN_S:
                    attempt = 0  # we were joined a good while: back to the bottom
                reason = self._lost_reason or "connection lost"
            delay = self.backoff.delay(attempt)
            attempt += 1
            limited = rate_limit_reason(reason)
            if limited is not None:
                delay = max(delay, RATE_LIMITED_WAIT_S * (1 + self.backoff.rng.random()))
                reason = f"{limited}; the room waits before rejoining"
            log.info("room link down (%s); reconnecting in %.1f s", reason, delay)
            await self._count_down(delay, reason)

    async def stop(self, farewell: Callable[[], Awaitable[None]] | None = None) -> None:
        """Say goodbye (if joined), then close the connection and end ``run``."""
        if farewell is not None and self.is_joined:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(farewell(), timeout=2.0)
        self._stopping.set()

    async def _count_down(self, delay: float, reason: str) -> None:
        deadline = time.monotonic() + delay
        while (remaining := deadline - time.monotonic()) > 0 and not self._stopping.is_set():
            self.listener.on_status(LinkStatus(ConnectionStatus.RECONNECTING, reason, remaining))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=min(1.0, remaining))

    async def _one_connection(self) -> str | None:
        """Connect, join and stay until the link is lost. Returns why it failed to join,
        or None when it was joined and later lost (or stopped)."""
        lost = asyncio.Event()
        lost_reason: list[str] = []
        self._lost_reason = None
        joined = asyncio.Event()

        def on_subscribe(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            if state is RealtimeSubscribeStates.SUBSCRIBED:
                joined.set()
                return
            lost_reason.append(_describe(state, error))
            lost.set()

        client = TlsRealtimeClient(
            self.url,
            self._key,
            auto_reconnect=False,
            max_retries=1,
            timeout=int(JOIN_TIMEOUT_S),
            ssl_context=self.ssl_context,
        )
        channel = client.channel(
            self.topic,
            {
                "config": {
                    "broadcast": {"self": True, "ack": False},
                    "presence": {"key": self.user_id, "enabled": True},
                    "private": False,
                }
            },
        )
        self._register(channel)
        try:
            token = await self.access_token() if self.access_token is not None else None
            if self.access_token is not None:
                await client.set_auth(token)
            await asyncio.wait_for(client.connect(), timeout=JOIN_TIMEOUT_S)
            await asyncio.wait_for(
                channel.subscribe(_guarded("subscribe", on_subscribe)), JOIN_TIMEOUT_S
            )
            if not joined.is_set():
                return lost_reason[0] if lost_reason else "the server did not accept the join"
            self._channel = channel
            self._joined_at = time.monotonic()
            self.joins += 1
            self._last_inbound = time.monotonic()
            self.listener.on_status(LinkStatus(ConnectionStatus.CONNECTED))
            await self.listener.on_joined()
            await self._wait_until_lost(lost, client, token)
            if lost_reason:
                log.info("room channel lost: %s", lost_reason[0])
                self._lost_reason = lost_reason[0]
            return None
        except TimeoutError:
            return "no answer from the server"
        except OSError as error:
            if isinstance(error, ConnectionRefusedError) and self.on_refused is not None:
                try:
                    await self.on_refused()
                except Exception as hook_error:
                    log.warning("could not recover the server: %s", hook_error)
            return _plain_os_error(error)
        except Exception as error:
            return str(error) or type(error).__name__
        finally:
            self._channel = None
            await _close_quietly(client, channel)

    async def _wait_until_lost(
        self, lost: asyncio.Event, client: AsyncRealtimeClient, token: str | None
    ) -> None:
        """Wait for the channel to be lost, the link to be stopped, or the server to go quiet,
        handing the channel each refreshed access token on the way.

        We broadcast a heartbeat with ``self: true`` every few seconds, so a joined channel
        always hears something; silence means the socket is half dead (realtime-py ignores
        heartbeat replies and would not notice).
        """
        checked_token_at = time.monotonic()
        while not lost.is_set() and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=1.0)
            if time.monotonic() - self._last_inbound > self.liveness_timeout_s:
                log.warning("no message from the server for %.0f s", self.liveness_timeout_s)
                return
            if time.monotonic() - checked_token_at >= TOKEN_CHECK_S:
                checked_token_at = time.monotonic()
                token = await self._renew_token(client, token)

    async def _renew_token(self, client: AsyncRealtimeClient, sent: str | None) -> str | None:
        """The server shuts a channel whose token expires (Realtime's confirm_token; the hub
        too): once supabase-auth has refreshed ours (10 s before it expires), send it."""
        if self.access_token is None:
            return sent
        try:
            token = await self.access_token()
            if token is not None and token != sent:
                log.info("handing the room channel a refreshed access token")
                await client.set_auth(token)
                return token
        except Exception as error:  # a failed refresh: the next turn tries again
            log.warning("could not renew the channel's access token: %s", error)
        return sent

    def _register(self, channel: AsyncRealtimeChannel) -> None:
        def broadcast(message: dict[str, Any]) -> None:
            self._last_inbound = time.monotonic()
            event = message.get("event")
            if isinstance(event, str):
                self.listener.on_broadcast(event, message.get("payload"))

        def presence_sync() -> None:
            self._last_inbound = time.monotonic()
            state = channel.presence_state()
            self.listener.on_presence(
                {key: [dict(meta) for meta in metas] for key, metas in state.items()}
            )

        def postgres_change(payload: dict[str, Any]) -> None:
            self._last_inbound = time.monotonic()
            self.listener.on_postgres_change(payload)

        channel.on_broadcast("*", _guarded("broadcast", broadcast))
        channel.on_presence_sync(_guarded("presence", presence_sync))
        room_filter = f"room_id=eq.{self.room_id}"
        change = _guarded("postgres_changes", postgres_change)
        channel.on_postgres_changes(Change.Update, change, table="rooms", filter=room_filter)
        channel.on_postgres_changes(Change.All, change, table="room_members", filter=room_filter)
        channel.on_postgres_changes(Change.Insert, change, table="comments", filter=room_filter)
        channel.on_postgres_changes(Change.All, change, table="queue_items", filter=room_filter)


def rate_limit_reason(reason: str) -> str | None:
    """In plain words, why the server cut us off, when it was for a rate limit."""
    return next((plain for words, plain in RATE_LIMIT_MESSAGES.items() if words in reason), None)


def _describe(state: RealtimeSubscribeStates, error: Exception | None) -> str:
    if state is RealtimeSubscribeStates.TIMED_OUT:
        return "the server did not answer the join"
    if state is RealtimeSubscribeStates.CLOSED:
        return "the server closed the room channel"
    return f"channel error: {error}" if error else "channel error"


def _plain_os_error(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "nothing is listening there"
    return error.strerror or str(error)


async def _close_quietly(client: AsyncRealtimeClient, channel: AsyncRealtimeChannel) -> None:
    channel.rejoin_timer.reset()  # the old channel must not rejoin behind our back
    with contextlib.suppress(Exception):
        await client.close()
