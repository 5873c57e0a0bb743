"""A channel join (what one socket asked for when it joined one topic) and `Peer`, what the
rooms and the frame handlers need of the socket that holds it.

The two name each other, so they live in one module; the socket itself (`hub.client_socket`)
sits above everything that only needs a `Peer`.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.limits import FixedWindowLimit
from hub.protocol import Frame, JsonObject, UserBroadcastPush, Vsn, dumps

TOPIC_PREFIX = "realtime:"
_member_ids = itertools.count(1)
_NOT_TRACKED = object()

RoomKey = tuple[bool, str]
"""(private, sub_topic): the server keeps public and private channels of one name apart."""


def flexible_bool(value: object, default: bool = False) -> bool:
    """Booleans as the server's FlexibleBoolean reads them ('true'/'false' strings too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _as_dict(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}


def binding_id(binding: JsonObject) -> int:
    """A stable, non-zero id for a postgres_changes binding (the server uses phash2, whose
    range is 0..2^27-1; realtime-py ignores callbacks whose id is falsy, so 0 is avoided)."""
    digest = zlib.crc32(dumps(binding).encode()) & ((1 << 27) - 1)
    return digest or 1


@dataclass(frozen=True, slots=True)
class JoinRequest:
    self_broadcast: bool
    ack_broadcast: bool
    presence_enabled: bool
    presence_key: str
    private: bool
    wants_replay: bool
    postgres_changes: list[JsonObject]

    @classmethod
    def parse(cls, payload: object) -> JoinRequest:
        """Read a phx_join payload the way the server does: unknown keys are ignored and
        malformed parts fall back to their defaults."""
        config = _as_dict(_as_dict(payload).get("config"))
        broadcast = _as_dict(config.get("broadcast"))
        presence = _as_dict(config.get("presence"))
        key: Any = presence.get("key")
        changes = config.get("postgres_changes")
        return cls(
            self_broadcast=flexible_bool(broadcast.get("self")),
            ack_broadcast=flexible_bool(broadcast.get("ack")),
            presence_enabled=flexible_bool(presence.get("enabled")),
            presence_key=str(uuid.uuid1()) if key in (None, "") else str(key),
            private=flexible_bool(config.get("private")),
            wants_replay="replay" in broadcast,
            postgres_changes=[b for b in changes if b is not None]
            if isinstance(changes, list)
            else [],
        )


class Peer(Protocol):
    """A client socket as the rooms and the frame handlers use it."""

    vsn: Vsn
    channels: dict[str, ChannelJoin]
    """The socket's channel joins by topic."""
    api_key: str
    """The API key it connected with (as an access token: no user)."""

    def write(self, frame: bytes) -> bool:
        """Queue a whole websocket frame; False if the socket is gone (or was just cut off)."""
        ...

    def reply(self, frame: Frame | UserBroadcastPush, payload: JsonObject) -> None: ...

    def push(self, channel: ChannelJoin, event: str, payload: Any) -> None: ...

    def request_close(self, code: int, reason: str) -> None:
        """Close the socket gracefully once the frame in hand is handled."""
        ...

    def abort(self, reason: str) -> None:
        """Drop the socket at once."""
        ...

    def close_channel(self, channel: ChannelJoin, *, rejoining: bool = False) -> None: ...

    def shutdown_channel(self, channel: ChannelJoin, message: str) -> None:
        """The server's shutdown_response: a system error, then phx_close."""
        ...


NAMES_ANOTHER_USER = frozenset({"host_changed"})
"""Events whose `user_id` is the member they are about (the new host), not their sender."""

CLOCK_PING = "sync_ping"
"""The app's clock ping: its sender is `from_user` (the host it asks is `to_user`)."""
CLOCK_PONGS = "sync_pongs"
"""The host's batched answers, `{"pongs": [...]}`, each naming the host as `from_user`."""


@dataclass(eq=False, slots=True)
class ChannelJoin:
    peer: Peer
    topic: str
    join_ref: str | None
    request: JoinRequest
    presence_limit: FixedWindowLimit
    presence_enabled: bool
    user_id: str | None = None
    """The verified user of the join's access token (its `sub`); None: only the API key, or
    the service role."""
    service: bool = False
    """Joined with a service-role token: the hub's identity checks do not apply."""
    member_id: int = field(default_factory=lambda: next(_member_ids))
    tracked_payload: object = _NOT_TRACKED
    token_exp: int | None = None
    """The `exp` of the channel's access token (None: joined with the API key alone)."""
    token_timer: asyncio.TimerHandle | None = None
    """When the token is checked next (hub.token_expiry)."""

    @property
    def sub_topic(self) -> str:
        return self.topic.removeprefix(TOPIC_PREFIX)

    @property
    def room_key(self) -> RoomKey:
        return (self.request.private, self.sub_topic)

    def speaks_for(self, payload: object, event: str | None = None) -> bool:
        """Whether the sender a payload names is this join's verified user. The seed's events
        carry their sender's id as `user_id`; the app's `host_changed` names the new host
        there and its sender as `by_user_id`; its clock pings name their sender `from_user`,
        and each of the host's batched pongs too. On the hub all must be true."""
        if self.service or not isinstance(payload, dict):
            return True
        if "by_user_id" in payload and payload["by_user_id"] != self.user_id:
            return False
        if event in NAMES_ANOTHER_USER and "by_user_id" in payload:
            return True
        if not self._is_self(payload.get("user_id")):
            return False
        if event == CLOCK_PING:
            return self._is_self(payload.get("from_user"))
        if event == CLOCK_PONGS:
            pongs = payload.get("pongs")
            return not isinstance(pongs, list) or all(
                self._is_self(pong.get("from_user")) for pong in pongs if isinstance(pong, dict)
            )
        return True

    def _is_self(self, claimed: object) -> bool:
        """An id a payload claims for its sender: absent, or this join's verified user."""
        return claimed is None or claimed == self.user_id

    def may_track_as(self, key: str) -> bool:
        """A presence key, when given, is the tracker's own verified id."""
        return self.service or key == "" or key == self.user_id

    def is_tracking(self, payload: object) -> bool:
        return self.tracked_payload is not _NOT_TRACKED and self.tracked_payload == payload

    def forget_tracked(self) -> None:
        self.tracked_payload = _NOT_TRACKED
