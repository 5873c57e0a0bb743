"""phx_join: the server's checks in its order, the reply echoing postgres_changes bindings, and
what follows a join (presence_state, the postgres_changes bindings and their system messages)."""

from __future__ import annotations

import logging

from hub.channels import TOPIC_PREFIX, ChannelJoin, JoinRequest, Peer, binding_id
from hub.hub_state import HubState
from hub.limits import FixedWindowLimit
from hub.presence_events import sync_presence
from hub.protocol import Frame, error_reply
from hub.token_expiry import watch_token
from hub.tokens import Claims, TokenError

log = logging.getLogger("hub.join")
POLICY_VIOLATION = 1008


def join(peer: Peer, hub: HubState, frame: Frame) -> None:
    if not frame.topic.startswith(TOPIC_PREFIX):
        peer.reply(frame, error_reply("unmatched topic"))
        return
    existing = peer.channels.get(frame.topic)
    if existing is not None:
        # Phoenix closes the old channel for the new join.
        log.info("%r: duplicate join of %s, closing the previous one", peer, frame.topic)
        # The same socket joins again (realtime-py rejoins this way after a channel error):
        # its member has not left the room, so its row stays (see hub.vanish).
        peer.close_channel(existing, rejoining=True)
    refusal = join_refusal(peer, hub, frame)
    if refusal is not None:
        log.info("%r: join of %s refused: %s", peer, frame.topic[:128], refusal)
        peer.reply(frame, error_reply(refusal))
        return
    try:
        claims = identity(peer, hub, frame.payload)
    except TokenError as refused:
        log.info("%r: join of %s refused: token: %s", peer, frame.topic[:128], refused)
        peer.reply(frame, error_reply(f"InvalidJWTToken: {refused}"))
        return
    request = JoinRequest.parse(frame.payload)
    settings = hub.settings
    channel = ChannelJoin(
        peer=peer,
        topic=frame.topic,
        join_ref=frame.join_ref,
        request=request,
        presence_limit=FixedWindowLimit(
            settings.client_presence_max_calls, settings.client_presence_window_s, hub.clock
        ),
        presence_enabled=request.presence_enabled,
        user_id=claims.sub if claims else None,
        service=claims is not None and claims.role == "service_role",
    )
    peer.channels[frame.topic] = channel
    hub.counted_users.add(peer)
    room = hub.add_member(channel)
    watch_token(peer, hub, channel, claims.exp if claims else None)
    ids = [binding_id(binding) for binding in request.postgres_changes]
    echoed = [
        {**binding, "id": id_} for binding, id_ in zip(request.postgres_changes, ids, strict=True)
    ]
    peer.reply(frame, {"status": "ok", "response": {"postgres_changes": echoed}})
    if channel.presence_enabled:
        sync_presence(peer, hub, channel, room.presence.state())
    if not echoed or channel.topic not in peer.channels:
        return
    served, errors = hub.changes.listen(channel, request.postgres_changes, ids)
    if served:
        peer.push(channel, "system", _postgres_system(channel, "Subscribed to PostgreSQL", "ok"))
    for error in errors:
        log.info("%r: postgres_changes binding on %s refused: %s", peer, channel.topic, error)
        # As the server: the channel stays open, the binding just never matches.
        peer.push(channel, "system", _postgres_system(channel, error, "error"))


def identity(peer: Peer, hub: HubState, payload: object) -> Claims | None:
    """The verified claims of a join's `access_token` (realtime-channel.ex:781-801 reads
    `access_token`, else `user_token`). None, or the socket's own API key, is no user (as
    the anon key is on Supabase); anything else must be this hub's token (`TokenError`)."""
    fields = payload if isinstance(payload, dict) else {}
    token = fields.get("access_token") or fields.get("user_token")
    if not isinstance(token, str) or not token or token == peer.api_key:
        return None
    return hub.tokens.verify(token)


def renew_access_token(peer: Peer, hub: HubState, channel: ChannelJoin, frame: Frame) -> None:
    """The `access_token` event: a refreshed token for a joined channel. No reply either way
    (realtime_channel.ex:524-552); a token the hub does not accept shuts the channel down.
    The new token's expiry is watched from now on (confirm_token, hub.token_expiry)."""
    try:
        claims = identity(peer, hub, frame.payload)
    except TokenError as error:
        peer.shutdown_channel(channel, f"InvalidJWTToken: {error}")
        return
    if claims is None or (claims.sub is None and claims.role != "service_role"):
        return  # the API key again, or nothing: the join's identity stands
    channel.user_id, channel.service = claims.sub, claims.role == "service_role"
    watch_token(peer, hub, channel, claims.exp)


def _postgres_system(channel: ChannelJoin, message: str, status: str) -> dict[str, str]:
    return {
        "channel": channel.sub_topic,
        "extension": "postgres_changes",
        "message": message,
        "status": status,
    }


def join_refusal(peer: Peer, hub: HubState, frame: Frame) -> str | None:
    """The server's join checks, in its order; the reason text is the server's."""
    settings = hub.settings
    if frame.topic == TOPIC_PREFIX:
        return "TopicNameRequired: You must provide a topic name"
    most_users = settings.max_concurrent_users
    if (
        most_users is not None
        and peer not in hub.counted_users
        and len(hub.counted_users) >= most_users
    ):
        return "ConnectionRateLimitReached: Too many connected users"
    if hub.joins.is_triggered():
        peer.request_close(POLICY_VIOLATION, "too many joins per second (tenant limit)")
        return "ClientJoinRateLimitReached: Too many joins per second"
    hub.joins.add()
    if len(peer.channels) >= settings.max_channels_per_client:
        return "ChannelRateLimitReached: Too many channels"
    request = JoinRequest.parse(frame.payload)
    if request.wants_replay and not request.private:
        return "UnableToReplayMessages: Replay is not allowed for public channels"
    if not all(isinstance(binding, dict) for binding in request.postgres_changes):
        return "InvalidJoinPayload: each postgres_changes entry must be an object"
    return None
