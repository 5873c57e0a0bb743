"""One client socket: decodes its frames, answers them, and keeps its channel joins. It is the
`Peer` (see `hub.channels`) that the rooms and the frame handlers are given.

Handling is synchronous (no awaits), so one message is processed, and fanned out, whole before
the next; only closing the socket is awaited, by the read loop in `hub.server`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from hub.broadcast import broadcast_binary, broadcast_json
from hub.channels import ChannelJoin
from hub.errors import ProtocolError
from hub.hub_state import HubState
from hub.join import join, renew_access_token
from hub.limits import TokenBucket
from hub.presence_events import handle_presence
from hub.protocol import (
    OK,
    Frame,
    JsonObject,
    UserBroadcastPush,
    Vsn,
    decode_binary,
    decode_text,
    encode,
    error_reply,
)
from hub.wsframe import text_frame

log = logging.getLogger("hub.client_socket")

_socket_ids = itertools.count(1)

# Websocket close codes (RFC 6455).
POLICY_VIOLATION = 1008
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007


@dataclass(frozen=True, slots=True)
class CloseRequest:
    code: int
    reason: str


class ClientSocket:
    def __init__(
        self,
        hub: HubState,
        vsn: Vsn,
        transport: asyncio.Transport,
        remote: str,
        api_key: str = "",
    ) -> None:
        self.hub = hub
        self.vsn = vsn
        self.api_key = api_key
        """The key the socket connected with: as an access token it means no user (anon)."""
        self.id = next(_socket_ids)
        self.remote = remote
        self._transport = transport
        self.channels: dict[str, ChannelJoin] = {}
        self.closed = False
        self.close_request: CloseRequest | None = None
        settings = hub.settings
        self._frame_guard = TokenBucket(
            settings.client_burst_frames, settings.client_frames_per_second, hub.clock
        )
        # In the tenant counter's units (a message sent plus each delivery), so one socket
        # cannot spend the budget that Supabase's limit shares among everyone.
        self._event_budget = TokenBucket(*settings.client_event_budget, hub.clock)

    def __repr__(self) -> str:
        return f"<ClientSocket {self.id} {self.remote} vsn={self.vsn.value}>"

    # --- output ----------------------------------------------------------------------------
    def write(self, frame: bytes) -> bool:
        """Queue a whole websocket frame; a socket that stopped reading is cut off here."""
        if self.closed or self._transport.is_closing():
            return False
        self._transport.write(frame)
        if self._transport.get_write_buffer_size() > self.hub.settings.max_outbound_buffer_bytes:
            self.abort("stopped reading: unsent output over the buffer limit")
            return False
        return True

    def send(
        self, join_ref: str | None, ref: str | None, topic: str, event: str, payload: Any
    ) -> None:
        self.write(text_frame(encode(self.vsn, join_ref, ref, topic, event, payload)))

    def reply(self, frame: Frame | UserBroadcastPush, payload: JsonObject) -> None:
        self.send(frame.join_ref, frame.ref, frame.topic, "phx_reply", payload)

    def push(self, channel: ChannelJoin, event: str, payload: Any) -> None:
        """A channel push: V2 carries the current join_ref so phoenix.js does not drop it."""
        self.send(channel.join_ref, None, channel.topic, event, payload)

    def send_close(self, channel: ChannelJoin) -> None:
        # phx_close carries the join_ref as its ref (V1 has no join_ref slot).
        self.send(channel.join_ref, channel.join_ref, channel.topic, "phx_close", {})

    # --- closing ---------------------------------------------------------------------------
    def request_close(self, code: int, reason: str) -> None:
        """Ask the read loop to close this socket gracefully (used from its own handlers)."""
        if self.close_request is None:
            log.warning("closing %r: %s", self, reason)
            self.close_request = CloseRequest(code, reason)

    def abort(self, reason: str) -> None:
        """Drop the socket at once (used when it cannot be written to any more)."""
        if self.closed:
            return
        log.warning("dropping %r: %s", self, reason)
        self.teardown()
        self._transport.abort()

    def teardown(self) -> None:
        """Leave every channel; others see the presence leaves. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for channel in list(self.channels.values()):
            self.hub.remove_member(channel)
        self.channels.clear()
        self.hub.peers.discard(self)
        self.hub.counted_users.discard(self)

    def shutdown_channel(self, channel: ChannelJoin, message: str) -> None:
        """The server's shutdown_response: a system error, then the channel stops (phx_close)."""
        if self.channels.get(channel.topic) is not channel:
            return
        log.warning("shutting channel %s of %r: %s", channel.topic, self, message)
        system = {
            "channel": channel.sub_topic,
            "extension": "system",
            "message": message,
            "status": "error",
        }
        self.push(channel, "system", system)
        self.close_channel(channel)

    def close_channel(self, channel: ChannelJoin, *, rejoining: bool = False) -> None:
        del self.channels[channel.topic]
        self.hub.remove_member(channel, member_left=not rejoining)
        self.send_close(channel)

    # --- input -----------------------------------------------------------------------------
    def handle_text(self, text: str) -> None:
        if self._too_many_frames():
            return
        try:
            frame = decode_text(self.vsn, text)
        except ProtocolError as error:
            self.request_close(INVALID_PAYLOAD, f"bad frame: {error}")
            return
        self.handle_frame(frame)

    def handle_binary(self, data: bytes) -> None:
        if self._too_many_frames():
            return
        if self.vsn is Vsn.V1:
            self.request_close(UNSUPPORTED_DATA, "binary frame on a vsn 1.0.0 socket")
            return
        try:
            push = decode_binary(data)
        except ProtocolError as error:
            self.request_close(INVALID_PAYLOAD, f"bad binary frame: {error}")
            return
        channel = self._joined_channel(push.topic, push.join_ref)
        if channel is None:
            if push.topic not in self.channels:
                self.reply(push, error_reply("unmatched topic"))
            return
        if self._over_event_budget(self._fan_out_cost(channel, "broadcast")):
            return
        broadcast_binary(self, self.hub, channel, push)

    def handle_frame(self, frame: Frame) -> None:
        if frame.topic == "phoenix" and frame.event == "heartbeat":
            self.reply(frame, OK)
            return
        if frame.event == "phx_join":
            join(self, self.hub, frame)
            return
        channel = self._joined_channel(frame.topic, frame.join_ref)
        if channel is None:
            if frame.topic not in self.channels:
                self.reply(frame, error_reply("unmatched topic"))
            return
        if frame.event == "phx_leave":
            self.reply(frame, OK)
            self.close_channel(channel)
            return
        if self._over_event_budget(self._fan_out_cost(channel, frame.event)):
            return
        if frame.event == "broadcast":
            broadcast_json(self, self.hub, channel, frame)
        elif frame.event == "presence":
            handle_presence(self, self.hub, channel, frame)
        elif frame.event == "access_token":
            renew_access_token(self, self.hub, channel, frame)
        else:
            # As the server: counted, logged, not answered.
            self.hub.events.add()
            log.info("%r sent unexpected event %r on %s", self, frame.event[:64], frame.topic)

    def _joined_channel(self, topic: str, join_ref: str | None) -> ChannelJoin | None:
        channel = self.channels.get(topic)
        # A message for an earlier join of this topic raced its close: Phoenix drops it quietly.
        if channel is not None and join_ref is not None and join_ref != channel.join_ref:
            return None
        return channel

    def _too_many_frames(self) -> bool:
        if self._frame_guard.take():
            return False
        settings = self.hub.settings
        self.request_close(
            POLICY_VIOLATION,
            f"flood: over {settings.client_burst_frames} frames at once or "
            f"{settings.client_frames_per_second:g}/s",
        )
        return True

    def _fan_out_cost(self, channel: ChannelJoin, event: str) -> int:
        """What a message costs in tenant units: 1, plus its deliveries if it fans out."""
        members = len(self.hub.rooms[channel.room_key].members)
        if event == "broadcast":
            return 1 + members - (0 if channel.request.self_broadcast else 1)
        if event == "presence":
            return 1 + members  # diffs reach the tracker too
        return 1

    def _over_event_budget(self, cost: int) -> bool:
        if self._event_budget.take(cost):
            return False
        settings = self.hub.settings
        self.request_close(
            POLICY_VIOLATION,
            f"flood: over {settings.client_share_of_event_budget:.0%} of the message budget "
            f"({settings.client_event_budget[1]:g} messages/s for one socket)",
        )
        return True
