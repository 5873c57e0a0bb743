"""Presence messages from a client (track/untrack), with the server's limits, and the
presence_state a channel gets when presence is enabled."""

from __future__ import annotations

import logging

from hub.channels import ChannelJoin, Peer
from hub.hub_state import HubState
from hub.protocol import OK, Frame, JsonObject, dumps, error_reply

log = logging.getLogger("hub.presence")


def sync_presence(peer: Peer, hub: HubState, channel: ChannelJoin, state: JsonObject) -> None:
    if hub.presence_rate_exceeded():
        peer.shutdown_channel(channel, "Too many presence messages per second")
        return
    hub.presence_events.add()
    peer.push(channel, "presence_state", state)


def handle_presence(peer: Peer, hub: HubState, channel: ChannelJoin, frame: Frame) -> None:
    payload = frame.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        peer.reply(frame, OK)  # The server ignores presence messages without an event.
        return
    if not channel.presence_limit.allow():
        log.warning("%r: ClientPresenceRateLimitReached on %s", peer, channel.topic)
        peer.shutdown_channel(channel, "Client presence rate limit exceeded")
        return
    event = payload["event"].lower()
    if event == "track":
        track(peer, hub, channel, frame, payload.get("payload", {}))
    elif event == "untrack":
        room = hub.rooms[channel.room_key]
        channel.forget_tracked()
        peer.reply(frame, OK)
        diff = room.presence.untrack(channel.member_id)
        if diff is not None:
            hub.fan_out_presence_diff(room, diff)
    else:
        log.info("%r: unknown presence event %r", peer, event[:64])
        peer.reply(frame, {"status": "error", "response": {}})


def track(peer: Peer, hub: HubState, channel: ChannelJoin, frame: Frame, tracked: object) -> None:
    if not isinstance(tracked, dict):
        peer.reply(frame, error_reply("Presence track payload must be a map"))
        return
    if not channel.speaks_for(tracked) or not channel.may_track_as(channel.request.presence_key):
        log.warning("%r: track on %s as another user refused", peer, channel.topic[:128])
        peer.reply(
            frame, error_reply("Unauthorized: presence is tracked as the signed-in user only")
        )
        return
    if channel.is_tracking(tracked):
        peer.reply(frame, OK)  # Identical payload: no diff (but it counted above).
        return
    if len(dumps(tracked).encode()) > hub.settings.max_payload_bytes:
        peer.shutdown_channel(channel, "Track message size exceeded")
        return
    if hub.presence_rate_exceeded():
        peer.shutdown_channel(channel, "Too many presence messages per second")
        return
    hub.presence_events.add()
    room = hub.rooms[channel.room_key]
    channel.tracked_payload = tracked
    peer.reply(frame, OK)
    diff = room.presence.track(channel.member_id, channel.request.presence_key, tracked)
    hub.fan_out_presence_diff(room, diff)
    if not channel.presence_enabled:
        # This track enables presence: the socket never got a presence_state, so send one.
        channel.presence_enabled = True
        sync_presence(peer, hub, channel, room.presence.state())
