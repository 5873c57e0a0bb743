"""Broadcast from a client: checked, encoded once per protocol version, fanned out, acked."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hub.channels import ChannelJoin
from hub.protocol import (
    ENCODING_JSON,
    OK,
    Frame,
    UserBroadcastPush,
    Vsn,
    dumps,
    encode_user_broadcast,
    encode_v1,
    error_reply,
    loads_strict,
)
from hub.rooms import EncodedOnce
from hub.wsframe import binary_frame, text_frame

if TYPE_CHECKING:
    from hub.client_socket import ClientSocket

log = logging.getLogger("hub.broadcast")


def broadcast_json(conn: ClientSocket, channel: ChannelJoin, frame: Frame) -> None:
    hub = conn.hub
    hub.events.add()
    payload = frame.payload
    if not isinstance(payload, dict):
        log.info("%r: broadcast payload is not an object; dropped", conn)
        if channel.request.ack_broadcast:
            conn.reply(frame, error_reply("broadcast payload must be an object"))
        return
    if len(dumps(payload).encode()) > hub.settings.max_payload_bytes:
        payload_too_large(conn, channel, frame)
        return
    room = hub.rooms[channel.room_key]
    hub.fan_out_broadcast(room, EncodedOnce.push(channel.topic, "broadcast", payload), channel)
    if channel.request.ack_broadcast and channel.topic in conn.channels:
        conn.reply(frame, OK)


def broadcast_binary(conn: ClientSocket, channel: ChannelJoin, push: UserBroadcastPush) -> None:
    hub = conn.hub
    hub.events.add()
    if len(push.user_payload) + len(push.metadata) > hub.settings.max_payload_bytes:
        payload_too_large(conn, channel, push)
        return
    json_payload: object = None
    if push.encoding == ENCODING_JSON:
        try:
            json_payload = loads_strict(push.user_payload)
        except ValueError:
            log.info("%r: binary broadcast with JSON encoding is not JSON; dropped", conn)
            return
    topic, event = channel.topic, push.user_event
    v1_payload = {"type": "broadcast", "event": event, "payload": json_payload}
    message = EncodedOnce(
        {
            Vsn.V2: lambda: binary_frame(
                encode_user_broadcast(topic, event, push.metadata, push.encoding, push.user_payload)
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
    if channel.request.ack_broadcast and channel.topic in conn.channels:
        conn.reply(push, OK)


def payload_too_large(
    conn: ClientSocket, channel: ChannelJoin, frame: Frame | UserBroadcastPush
) -> None:
    log.info(
        "%r: broadcast payload over %d bytes; dropped",
        conn,
        conn.hub.settings.max_payload_bytes,
    )
    if channel.request.ack_broadcast:
        conn.reply(frame, {"status": "error", "response": {"error": "payload_size_exceeded"}})
