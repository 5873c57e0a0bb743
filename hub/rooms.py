"""Rooms (topics) and the fan-out's unit: a message encoded once per protocol version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.channels import ChannelJoin
from hub.presence import TopicPresence
from hub.protocol import Vsn, encode_v1, encode_v2
from hub.wsframe import text_frame


@dataclass(eq=False)
class Room:
    topic: str
    members: dict[int, ChannelJoin] = field(default_factory=dict)
    presence: TopicPresence = field(default_factory=TopicPresence)


class EncodedOnce:
    """One server message, encoded lazily at most once per protocol version."""

    __slots__ = ("_encoders", "_frames")

    def __init__(self, encoders: dict[Vsn, Callable[[], bytes | None]]) -> None:
        self._encoders = encoders
        self._frames: dict[Vsn, bytes | None] = {}

    @classmethod
    def push(cls, topic: str, event: str, payload: Any) -> EncodedOnce:
        """A channel push that every receiver gets identically (ref and join_ref null)."""
        return cls(
            {
                Vsn.V1: lambda: text_frame(encode_v1(topic, event, payload, None)),
                Vsn.V2: lambda: text_frame(encode_v2(None, None, topic, event, payload)),
            }
        )

    def frame_for(self, vsn: Vsn) -> bytes | None:
        if vsn not in self._frames:
            self._frames[vsn] = self._encoders[vsn]()
        return self._frames[vsn]
