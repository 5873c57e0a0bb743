"""Who is in the room: presence says who is here, heartbeats say where each one is.

Pure functions over wire models, so the member list can be tested without a channel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from room.state import Member, SyncStatus
from room.wire import HeartbeatEvent, PresenceFields, describe_error

log = logging.getLogger(__name__)


def presence_members(state: Mapping[str, list[dict[str, Any]]]) -> dict[str, PresenceFields]:
    """One entry per present user (the newest meta of each key); invalid metas are skipped."""
    members: dict[str, PresenceFields] = {}
    for key, metas in state.items():
        newest: PresenceFields | None = None
        for meta in metas:
            try:
                fields = PresenceFields.model_validate(meta)
            except ValidationError as error:
                log.warning("ignored presence of %r: %s", key[:64], describe_error(error))
                continue
            if fields.user_id != key:
                log.warning(
                    "ignored presence under key %r claiming user %r", key[:64], fields.user_id[:64]
                )
                continue
            if newest is None or fields.last_update >= newest.last_update:
                newest = fields
        if newest is not None:
            members[key] = newest
    return members


def sync_status(fields: PresenceFields) -> SyncStatus:
    if fields.buffering:
        return SyncStatus.BUFFERING
    if fields.is_synced is None:
        return SyncStatus.UNKNOWN
    return SyncStatus.SYNCED if fields.is_synced else SyncStatus.OUT_OF_SYNC


def member_from(fields: PresenceFields, host_user_id: str | None) -> Member:
    return Member(
        user_id=fields.user_id,
        username=fields.username or fields.user_id,
        is_host=fields.user_id == host_user_id,
        is_playing=fields.is_playing,
        current_time=fields.current_time,
        sync=sync_status(fields),
        last_update_ms=fields.last_update or None,
        drift_ms=fields.drift_ms,
        off_reason=fields.off_reason,
        offset_s=fields.offset_s,
        readiness=fields.readiness,
        item_id=fields.item_id,
    )


def merge_members(
    present: Mapping[str, PresenceFields],
    heartbeats: Mapping[str, HeartbeatEvent],
    host_user_id: str | None,
    order: list[str],
) -> tuple[Member, ...]:
    """The member list: everyone present, with the fresher of presence and heartbeat.

    ``order`` is the order users were first seen in; it keeps rows from jumping around.
    """
    for user_id in present:
        if user_id not in order:
            order.append(user_id)
    members = []
    for user_id in order:
        fields = present.get(user_id)
        if fields is None:
            continue
        beat = heartbeats.get(user_id)
        if beat is not None and beat.last_update >= fields.last_update:
            fields = beat
        members.append(member_from(fields, host_user_id))
    return tuple(members)


def elect_host(present_user_ids: list[str]) -> str | None:
    """Who hosts when the host leaves: every client computes the same answer."""
    return min(present_user_ids) if present_user_ids else None
