"""Presence per topic, as Phoenix.Tracker/Phoenix.Presence keep it.

Each channel join holds at most one presence under its key. Tracking again replaces it: the
diff then leaves the old meta and joins the new one, whose `phx_ref_prev` names the old ref.
Several joins may share a key (one user, several tabs): the key then lists several metas.
"""

from __future__ import annotations

import base64
import itertools
import os
from dataclasses import dataclass
from typing import Any

from hub.protocol import JsonObject

_ref_counter = itertools.count(1)
_ref_prefix = os.urandom(4)


def new_phx_ref() -> str:
    """A unique, opaque ref like Phoenix's (base64 of a unique integer)."""
    raw = _ref_prefix + next(_ref_counter).to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(slots=True)
class TrackedPresence:
    key: str
    meta: JsonObject  # the tracked payload plus phx_ref (and phx_ref_prev after an update)


@dataclass(frozen=True, slots=True)
class PresenceDiff:
    joins: dict[str, list[JsonObject]]
    leaves: dict[str, list[JsonObject]]

    def as_payload(self) -> JsonObject:
        return {
            "joins": {key: {"metas": metas} for key, metas in self.joins.items()},
            "leaves": {key: {"metas": metas} for key, metas in self.leaves.items()},
        }


class TopicPresence:
    """The presences of one topic, keyed by the channel join that tracked each."""

    def __init__(self) -> None:
        self._by_member: dict[int, TrackedPresence] = {}

    def __len__(self) -> int:
        return len(self._by_member)

    def tracks(self, key: str) -> bool:
        """True if any channel join of this topic holds a presence under `key`."""
        return any(tracked.key == key for tracked in self._by_member.values())

    def state(self) -> JsonObject:
        grouped: dict[str, list[JsonObject]] = {}
        for tracked in self._by_member.values():
            grouped.setdefault(tracked.key, []).append(tracked.meta)
        return {key: {"metas": metas} for key, metas in grouped.items()}

    def track(self, member_id: int, key: str, payload: dict[str, Any]) -> PresenceDiff:
        meta = {**payload, "phx_ref": new_phx_ref()}
        previous = self._by_member.get(member_id)
        self._by_member[member_id] = TrackedPresence(key, meta)
        if previous is None:
            return PresenceDiff(joins={key: [meta]}, leaves={})
        meta["phx_ref_prev"] = previous.meta["phx_ref"]
        return PresenceDiff(joins={key: [meta]}, leaves={previous.key: [previous.meta]})

    def untrack(self, member_id: int) -> PresenceDiff | None:
        previous = self._by_member.pop(member_id, None)
        if previous is None:
            return None
        return PresenceDiff(joins={}, leaves={previous.key: [previous.meta]})
