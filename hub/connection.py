"""One client socket: decodes its frames, answers them, and keeps its channel joins.

Handling is synchronous (no awaits), so one message is processed, and fanned out, whole before
the next; only closing the socket is awaited, by the read loop in `hub.server`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from hub.channels import TOPIC_PREFIX, ChannelJoin, JoinRequest, binding_id
from hub.errors import ProtocolError
from hub.limits import FixedWindowLimit, TokenBucket
from hub.protocol import (
    ENCODING_JSON,
    Frame,
    JsonObject,
    UserBroadcastPush,
    Vsn,
    decode_binary,
    decode_text,
    dumps,
    encode,
    encode_user_broadcast,
    encode_v1,
    loads_strict,
)
from hub.rooms import EncodedOnce, HubState
from hub.wsframe import binary_frame, text_frame

log = logging.getLogger("hub.connection")

_connection_ids = itertools.count(1)
OK: JsonObject = {"status": "ok", "response": {}}

# Websocket close codes (RFC 6455).
POLICY_VIOLATION = 1008
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007


def error_reply(reason: str) -> JsonObject:
    return {"status": "error", "response": {"reason": reason}}


@dataclass(frozen=True, slots=True)
class CloseRequest:
    code: int
    reason: str


class Connection:
    def __init__(self, hub: HubState, vsn: Vsn, transport: asyncio.Transport, peer: str) -> None:
        self.hub = hub
        self.vsn = vsn
        self.id = next(_connection_ids)
        self.peer = peer
        self._transport = transport
        self.channels: dict[str, ChannelJoin] = {}
        self.closed = False
        self.close_request: CloseRequest | None = None
        settings = hub.settings
        self._frame_guard = TokenBucket(
            settings.client_burst_frames, settings.client_frames_per_second
        )
        # In the tenant counter's units (a message sent plus each delivery), so one socket
        # cannot spend the budget that Supabase's limit shares among everyone.
        budget = settings.client_share_of_event_budget * settings.max_events_per_second
        self._event_budget = TokenBucket(budget, budget / settings.rate_tick_s)

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.peer} vsn={self.vsn.value}>"

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
        self.hub.connections.discard(self)
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
        self._close_channel(channel)

    def _close_channel(self, channel: ChannelJoin) -> None:
        del self.channels[channel.topic]
        self.hub.remove_member(channel)
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
        self._broadcast_binary(channel, push)

    def handle_frame(self, frame: Frame) -> None:
        if frame.topic == "phoenix" and frame.event == "heartbeat":
            self.reply(frame, OK)
            return
        if frame.event == "phx_join":
            self._join(frame)
            return
        channel = self._joined_channel(frame.topic, frame.join_ref)
        if channel is None:
            if frame.topic not in self.channels:
                self.reply(frame, error_reply("unmatched topic"))
            return
        if frame.event == "phx_leave":
            self.reply(frame, OK)
            self._close_channel(channel)
            return
        if self._over_event_budget(self._fan_out_cost(channel, frame.event)):
            return
        if frame.event == "broadcast":
            self._broadcast_json(channel, frame)
        elif frame.event == "presence":
            self._presence(channel, frame)
        elif frame.event == "access_token":
            pass  # No JWTs to verify here; the server sends no reply either way.
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
            f"({settings.max_events_per_second} per {settings.rate_tick_s:g} s tick)",
        )
        return True

    # --- join ------------------------------------------------------------------------------
    def _join(self, frame: Frame) -> None:
        if not frame.topic.startswith(TOPIC_PREFIX):
            self.reply(frame, error_reply("unmatched topic"))
            return
        existing = self.channels.get(frame.topic)
        if existing is not None:
            # Phoenix closes the old channel for the new join.
            log.info("%r: duplicate join of %s, closing the previous one", self, frame.topic)
            self._close_channel(existing)
        refusal = self._join_refusal(frame)
        if refusal is not None:
            log.info("%r: join of %s refused: %s", self, frame.topic[:128], refusal)
            self.reply(frame, error_reply(refusal))
            return
        request = JoinRequest.parse(frame.payload)
        settings = self.hub.settings
        channel = ChannelJoin(
            connection=self,
            topic=frame.topic,
            join_ref=frame.join_ref,
            request=request,
            presence_limit=FixedWindowLimit(
                settings.client_presence_max_calls, settings.client_presence_window_s
            ),
            presence_enabled=request.presence_enabled,
        )
        self.channels[frame.topic] = channel
        self.hub.counted_users.add(self)
        room = self.hub.add_member(channel)
        echoed = [{**binding, "id": binding_id(binding)} for binding in request.postgres_changes]
        self.reply(frame, {"status": "ok", "response": {"postgres_changes": echoed}})
        if channel.presence_enabled:
            self._sync_presence(channel, room.presence.state())
        if echoed and channel.topic in self.channels:
            self.push(
                channel,
                "system",
                {
                    "channel": channel.sub_topic,
                    "extension": "postgres_changes",
                    "message": "Subscribed to PostgreSQL",
                    "status": "ok",
                },
            )

    def _join_refusal(self, frame: Frame) -> str | None:
        """The server's join checks, in its order; the reason text is the server's."""
        hub, settings = self.hub, self.hub.settings
        if frame.topic == TOPIC_PREFIX:
            return "TopicNameRequired: You must provide a topic name"
        if (
            self not in hub.counted_users
            and len(hub.counted_users) >= settings.max_concurrent_users
        ):
            return "ConnectionRateLimitReached: Too many connected users"
        if hub.joins.is_triggered():
            self.request_close(POLICY_VIOLATION, "too many joins per second (tenant limit)")
            return "ClientJoinRateLimitReached: Too many joins per second"
        hub.joins.add()
        if len(self.channels) >= settings.max_channels_per_client:
            return "ChannelRateLimitReached: Too many channels"
        request = JoinRequest.parse(frame.payload)
        if request.wants_replay and not request.private:
            return "UnableToReplayMessages: Replay is not allowed for public channels"
        if not all(isinstance(binding, dict) for binding in request.postgres_changes):
            return "InvalidJoinPayload: each postgres_changes entry must be an object"
        return None

    def _sync_presence(self, channel: ChannelJoin, state: JsonObject) -> None:
        if self.hub.presence_rate_exceeded():
            self.shutdown_channel(channel, "Too many presence messages per second")
            return
        self.hub.presence_events.add()
        self.push(channel, "presence_state", state)

    # --- broadcast -------------------------------------------------------------------------
    def _broadcast_json(self, channel: ChannelJoin, frame: Frame) -> None:
        hub = self.hub
        hub.events.add()
        payload = frame.payload
        if not isinstance(payload, dict):
            log.info("%r: broadcast payload is not an object; dropped", self)
            if channel.request.ack_broadcast:
                self.reply(frame, error_reply("broadcast payload must be an object"))
            return
        if len(dumps(payload).encode()) > hub.settings.max_payload_bytes:
            self._payload_too_large(channel, frame)
            return
        room = hub.rooms[channel.room_key]
        hub.fan_out_broadcast(room, EncodedOnce.push(channel.topic, "broadcast", payload), channel)
        if channel.request.ack_broadcast and channel.topic in self.channels:
            self.reply(frame, OK)

    def _broadcast_binary(self, channel: ChannelJoin, push: UserBroadcastPush) -> None:
        hub = self.hub
        hub.events.add()
        if len(push.user_payload) + len(push.metadata) > hub.settings.max_payload_bytes:
            self._payload_too_large(channel, push)
            return
        json_payload: object = None
        if push.encoding == ENCODING_JSON:
            try:
                json_payload = loads_strict(push.user_payload)
            except ValueError:
                log.info("%r: binary broadcast with JSON encoding is not JSON; dropped", self)
                return
        topic, event = channel.topic, push.user_event
        v1_payload = {"type": "broadcast", "event": event, "payload": json_payload}
        message = EncodedOnce(
            {
                Vsn.V2: lambda: binary_frame(
                    encode_user_broadcast(
                        topic, event, push.metadata, push.encoding, push.user_payload
                    )
                ),
                # As the server: JSON payloads are converted for V1; binary ones cannot be.
                Vsn.V1: lambda: (
                    text_frame(encode_v1(topic, "broadcast", v1_payload, None))
                    if push.encoding == ENCODING_JSON
                    else None
                ),
            }
        )
        hub.fan_out_broadcast(hub.rooms[channel.room_key], message, channel)
        if channel.request.ack_broadcast and channel.topic in self.channels:
            self.reply(push, OK)

    def _payload_too_large(self, channel: ChannelJoin, frame: Frame | UserBroadcastPush) -> None:
        log.info(
            "%r: broadcast payload over %d bytes; dropped",
            self,
            self.hub.settings.max_payload_bytes,
        )
        if channel.request.ack_broadcast:
            self.reply(frame, {"status": "error", "response": {"error": "payload_size_exceeded"}})

    # --- presence --------------------------------------------------------------------------
    def _presence(self, channel: ChannelJoin, frame: Frame) -> None:
        payload = frame.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            self.reply(frame, OK)  # The server ignores presence messages without an event.
            return
        if not channel.presence_limit.allow():
            log.warning("%r: ClientPresenceRateLimitReached on %s", self, channel.topic)
            self.shutdown_channel(channel, "Client presence rate limit exceeded")
            return
        event = payload["event"].lower()
        if event == "track":
            self._track(channel, frame, payload.get("payload", {}))
        elif event == "untrack":
            room = self.hub.rooms[channel.room_key]
            channel.forget_tracked()
            self.reply(frame, OK)
            diff = room.presence.untrack(channel.member_id)
            if diff is not None:
                self.hub.fan_out_presence_diff(room, diff)
        else:
            log.info("%r: unknown presence event %r", self, event[:64])
            self.reply(frame, {"status": "error", "response": {}})

    def _track(self, channel: ChannelJoin, frame: Frame, tracked: object) -> None:
        hub = self.hub
        if not isinstance(tracked, dict):
            self.reply(frame, error_reply("Presence track payload must be a map"))
            return
        if channel.is_tracking(tracked):
            self.reply(frame, OK)  # Identical payload: no diff (but it counted above).
            return
        if len(dumps(tracked).encode()) > hub.settings.max_payload_bytes:
            self.shutdown_channel(channel, "Track message size exceeded")
            return
        if hub.presence_rate_exceeded():
            self.shutdown_channel(channel, "Too many presence messages per second")
            return
        hub.presence_events.add()
        room = hub.rooms[channel.room_key]
        channel.tracked_payload = tracked
        self.reply(frame, OK)
        diff = room.presence.track(channel.member_id, channel.request.presence_key, tracked)
        hub.fan_out_presence_diff(room, diff)
        if not channel.presence_enabled:
            # This track enables presence: the socket never got a presence_state, so send one.
            channel.presence_enabled = True
            self._sync_presence(channel, room.presence.state())
