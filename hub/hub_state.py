"""The hub-wide state: the sockets, who is in which room, the tenant rate counters, the
change feed and the store; and the fan-out of one message to a room's members."""

from __future__ import annotations

import time
from collections.abc import Iterable

from hub.changefeed import ChangeFeed
from hub.channels import ChannelJoin, Peer, RoomKey
from hub.data.changes import Change
from hub.data.store import Store
from hub.limits import Clock, RateCounter
from hub.presence import PresenceDiff
from hub.rooms import EncodedOnce, Room
from hub.settings import HubSettings
from hub.tokens import Tokens, load_secret
from hub.vanish import forget_vanished_members


class HubState:
    def __init__(
        self, settings: HubSettings, clock: Clock = time.monotonic, tokens: Tokens | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens = tokens or Tokens(hub_secret(settings))
        """Signs and checks the hub's access tokens (hub.tokens)."""
        """What the rate counters, presence windows and flood guards read (tests pass a fake)."""
        self.rooms: dict[RoomKey, Room] = {}
        self.peers: set[Peer] = set()
        """The open sockets."""
        self.counted_users: set[Peer] = set()
        """Sockets that have joined at least once (the server's UsersCounter)."""
        tick, buckets = settings.rate_tick_s, settings.rate_buckets
        # The server's tenant counters (lib/realtime/tenants.ex), each logging its log_fn text.
        self.events = RateCounter(
            settings.max_events_per_second,
            tick,
            buckets,
            clock,
            reached="MessagePerSecondRateLimitReached: Too many messages per second",
        )
        self.db_events = RateCounter(
            settings.max_events_per_second,
            tick,
            buckets,
            clock,
            reached="MessagePerSecondRateLimitReached: "
            "Too many postgres changes messages per second",
        )
        self.joins = RateCounter(
            settings.max_joins_per_second,
            tick,
            buckets,
            clock,
            reached="ClientJoinRateLimitReached: Too many joins per second",
        )
        self.presence_events = RateCounter(
            settings.max_presence_events_per_second,
            tick,
            buckets,
            clock,
            reached="PresenceRateLimitReached: Too many presence events per second",
        )
        self.deliveries = 0
        self.changes = ChangeFeed()
        self.store: Store | None = None
        """The room tables (opened by `start_hub` once the loop runs)."""
        self.closing = False
        """Set while the hub shuts down: members it disconnects have not left their rooms."""

    # --- membership ------------------------------------------------------------------------
    def add_member(self, channel: ChannelJoin) -> Room:
        room = self.rooms.get(channel.room_key)
        if room is None:
            room = self.rooms[channel.room_key] = Room(channel.topic)
        room.members[channel.member_id] = channel
        # A join starts the tenant's message and presence counters (realtime_channel.ex:151-154).
        self.events.start()
        self.presence_events.start()
        return room

    def remove_member(self, channel: ChannelJoin, *, member_left: bool = True) -> None:
        """Drop a channel join from its room; its presence leaves for everyone else.
        `member_left` False: the socket is joining the room again, its member stays."""
        if channel.token_timer is not None:
            channel.token_timer.cancel()
            channel.token_timer = None
        room = self.rooms.get(channel.room_key)
        if room is None or room.members.pop(channel.member_id, None) is None:
            return
        self.changes.forget(channel)
        diff = room.presence.untrack(channel.member_id)
        if diff is not None:
            self.fan_out_presence_diff(room, diff, member_left=member_left)
        if not room.members:
            del self.rooms[channel.room_key]

    # --- fan-out ---------------------------------------------------------------------------
    def fan_out(
        self, room: Room, message: EncodedOnce, receivers: Iterable[ChannelJoin]
    ) -> list[ChannelJoin]:
        """Write one message to each receiver; returns those that received it."""
        reached: list[ChannelJoin] = []
        for channel in receivers:
            frame = message.frame_for(channel.peer.vsn)
            if frame is not None and channel.peer.write(frame):
                reached.append(channel)
        self.deliveries += len(reached)
        return reached

    def fan_out_broadcast(
        self, room: Room, message: EncodedOnce, sender: ChannelJoin | None
    ) -> None:
        receivers = [
            channel
            for channel in list(room.members.values())
            if channel is not sender or channel.request.self_broadcast
        ]
        reached = self.fan_out(room, message, receivers)
        # The server counts each delivery and shuts a receiving channel down once the tenant
        # counter has triggered (after delivering the message that found it triggered).
        self.events.add(len(reached))
        if reached and self.events.is_triggered():
            for channel in reached:
                channel.peer.shutdown_channel(channel, "Too many messages per second")

    def fan_out_presence_diff(
        self, room: Room, diff: PresenceDiff, *, member_left: bool = True
    ) -> None:
        # Phoenix.Presence broadcasts diffs from :none, so the tracker gets its own diff too.
        message = EncodedOnce.push(room.topic, "presence_diff", diff.as_payload())
        reached = self.fan_out(room, message, list(room.members.values()))
        self.presence_events.add(len(reached))
        if diff.leaves and member_left and self.store is not None and not self.closing:
            forget_vanished_members(self.store, room.topic, room.presence, diff.leaves)

    def deliver_changes(self, changes: list[Change]) -> None:
        """Committed row changes, in commit order (called by the store on the loop)."""
        self.deliveries += self.changes.deliver(self.db_events, changes)

    def presence_rate_exceeded(self) -> bool:
        """The server's check before a track or a presence_state (note: `>`, not `>=`):
        presence_handler.ex:202-213 `limit_presence_event/1`, `rate_counter.avg >
        tenant.max_presence_events_per_second`, against the per-second average."""
        limit = self.settings.max_presence_events_per_second
        return limit is not None and self.presence_events.current_avg() > limit


def hub_secret(settings: HubSettings) -> bytes:
    """The token-signing secret: given, else kept 0600 beside the database."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    return load_secret(settings.jwt_secret_path)
