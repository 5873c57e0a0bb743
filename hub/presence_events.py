"""Presence messages from a client (track/untrack), with the server's limits, and the
presence_state a channel gets when presence is enabled."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hub.channels import ChannelJoin
from hub.protocol import OK, Frame, JsonObject, dumps, error_reply

if TYPE_CHECKING:
    from hub.client_socket import ClientSocket

log = logging.getLogger("hub.presence")


def sync_presence(conn: ClientSocket, channel: ChannelJoin, state: JsonObject) -> None:
    if conn.hub.presence_rate_exceeded():
        conn.shutdown_channel(channel, "Too many presence messages per second")
        return
    conn.hub.presence_events.add()
    conn.push(channel, "presence_state", state)


def handle_presence(conn: ClientSocket, channel: ChannelJoin, frame: Frame) -> None:
    payload = frame.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        conn.reply(frame, OK)  # The server ignores presence messages without an event.
        return
    if not channel.presence_limit.allow():
        log.warning("%r: ClientPresenceRateLimitReached on %s", conn, channel.topic)
        conn.shutdown_channel(channel, "Client presence rate limit exceeded")
        return
    event = payload["event"].lower()
    if event == "track":
        track(conn, channel, frame, payload.get("payload", {}))
    elif event == "untrack":
        room = conn.hub.rooms[channel.room_key]
        channel.forget_tracked()
        conn.reply(frame, OK)
        diff = room.presence.untrack(channel.member_id)
        if diff is not None:
            conn.hub.fan_out_presence_diff(room, diff)
    else:
        log.info("%r: unknown presence event %r", conn, event[:64])
        conn.reply(frame, {"status": "error", "response": {}})


def track(conn: ClientSocket, channel: ChannelJoin, frame: Frame, tracked: object) -> None:
    hub = conn.hub
    if not isinstance(tracked, dict):
        conn.reply(frame, error_reply("Presence track payload must be a map"))
        return
    if channel.is_tracking(tracked):
        conn.reply(frame, OK)  # Identical payload: no diff (but it counted above).
        return
    if len(dumps(tracked).encode()) > hub.settings.max_payload_bytes:
        conn.shutdown_channel(channel, "Track message size exceeded")
        return
    if hub.presence_rate_exceeded():
        conn.shutdown_channel(channel, "Too many presence messages per second")
        return
    hub.presence_events.add()
    room = hub.rooms[channel.room_key]
    channel.tracked_payload = tracked
    conn.reply(frame, OK)
    diff = room.presence.track(channel.member_id, channel.request.presence_key, tracked)
    hub.fan_out_presence_diff(room, diff)
    if not channel.presence_enabled:
        # This track enables presence: the socket never got a presence_state, so send one.
        channel.presence_enabled = True
        sync_presence(conn, channel, room.presence.state())
