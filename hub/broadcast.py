"""Broadcast from a client: checked, encoded once per protocol version, fanned out, acked."""

from __future__ import annotations

import logging

from hub.channels import ChannelJoin, Peer
from hub.hub_state import HubState
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

log = logging.getLogger("hub.broadcast")


def broadcast_json(peer: Peer, hub: HubState, channel: ChannelJoin, frame: Frame) -> None:
    hub.events.add()
    payload = frame.payload
    if not isinstance(payload, dict):
        log.info("%r: broadcast payload is not an object; dropped", peer)
        if channel.request.ack_broadcast:
            peer.reply(frame, error_reply("broadcast payload must be an object"))
        return
    if len(dumps(payload).encode()) > hub.settings.max_payload_bytes:
        payload_too_large(peer, hub, channel, frame)
        return
    event = payload.get("event")
    if not channel.speaks_for(payload.get("payload"), event if isinstance(event, str) else None):
        forged(peer, channel, frame)
        return
    room = hub.rooms[channel.room_key]
    hub.fan_out_broadcast(room, EncodedOnce.push(channel.topic, "broadcast", payload), channel)
    if channel.request.ack_broadcast and channel.topic in peer.channels:
        peer.reply(frame, OK)


def broadcast_binary(
    peer: Peer, hub: HubState, channel: ChannelJoin, push: UserBroadcastPush
) -> None:
    hub.events.add()
    if len(push.user_payload) + len(push.metadata) > hub.settings.max_payload_bytes:
        payload_too_large(peer, hub, channel, push)
        return
    json_payload: object = None
    if push.encoding == ENCODING_JSON:
        try:
            json_payload = loads_strict(push.user_payload)
        except ValueError:
            log.info("%r: binary broadcast with JSON encoding is not JSON; dropped", peer)
            return
    if not channel.speaks_for(json_payload, push.user_event):
        forged(peer, channel, push)
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
    if channel.request.ack_broadcast and channel.topic in peer.channels:
        peer.reply(push, OK)


FORGED = (
    "Unauthorized: the payload's user_id (or by_user_id, from_user) is not the sender's "
    "signed-in user"
)


def forged(peer: Peer, channel: ChannelJoin, frame: Frame | UserBroadcastPush) -> None:
    """A broadcast that speaks for someone else is dropped, not delivered (the sender learns
    why when it asked for an ack). Refused rather than marked: every receiver, the web client
    included, can then trust a hub broadcast's `user_id` without knowing about a mark."""
    log.warning("%r: broadcast on %s claims another user_id; dropped", peer, channel.topic[:128])
    if channel.request.ack_broadcast and channel.topic in peer.channels:
        peer.reply(frame, error_reply(FORGED))


def payload_too_large(
    peer: Peer, hub: HubState, channel: ChannelJoin, frame: Frame | UserBroadcastPush
) -> None:
    log.info("%r: broadcast payload over %d bytes; dropped", peer, hub.settings.max_payload_bytes)
    if channel.request.ack_broadcast:
        peer.reply(frame, {"status": "error", "response": {"error": "payload_size_exceeded"}})
