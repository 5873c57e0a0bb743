"""Who is in the room and how each stands: presence, heartbeats, and our own report."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol

from room import events
from room.members import merge_members, presence_members
from room.notices import joined_notice, left_notice
from room.publisher import PresencePublisher
from room.roomdata import RoomData
from room.session.context import RoomContext
from room.tables import TableError
from room.wire import HeartbeatEvent, MemberEvent, PresenceFields

log = logging.getLogger(__name__)


class OwnPlayback(Protocol):
    """What the roster reports of our own player."""

    def position_now(self) -> float | None: ...

    @property
    def is_playing(self) -> bool: ...

    @property
    def buffering(self) -> bool: ...

    def is_synced(self) -> bool | None:
        """True, False, or None while there is nothing to follow yet."""
        ...


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def host_since(self) -> int: ...

    @property
    def is_host(self) -> bool: ...


class Roster:
    """Merges presence (who is here) with heartbeats (fresh positions) for the member list,
    and publishes our own state: a heartbeat every ``heartbeat_s``, presence as the
    publisher's budget allows, and our member row when the room has tables."""

    def __init__(
        self,
        ctx: RoomContext,
        playback: OwnPlayback,
        host: HostView,
        *,
        publisher: PresencePublisher | None = None,
        heartbeat_s: float = 3.0,
        data: RoomData | None = None,
    ) -> None:
        self.ctx = ctx
        self.publisher = publisher or PresencePublisher()
        self.heartbeat_s = heartbeat_s
        self.present: dict[str, PresenceFields] = {}
        self.heartbeats: dict[str, HeartbeatEvent] = {}
        self._playback = playback
        self._host = host
        self._data = data
        self._member_order: list[str] = []

    # --- what the room tells us ---------------------------------------------------------

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        self.present = presence_members(state)

    def on_heartbeat(self, beat: HeartbeatEvent) -> None:
        self.heartbeats[beat.user_id] = beat
        if beat.user_id in self.present:  # a heartbeat is no proof of presence
            self.refresh()

    def on_member_event(self, event: str, model: MemberEvent) -> None:
        if event == events.MEMBER_JOINED:
            self.ctx.notices.notice(joined_notice(model.username))
        else:
            self.ctx.notices.notice(left_notice(model.username))
            self.heartbeats.pop(model.user_id, None)

    def name_of(self, user_id: str) -> str:
        if user_id == self.ctx.user_id:
            return self.ctx.username
        fields = self.present.get(user_id)
        return fields.username if fields and fields.username else user_id

    # --- what we publish ----------------------------------------------------------------

    def own_fields(self) -> PresenceFields:
        host = self._host
        position = self._playback.position_now()
        return PresenceFields(
            user_id=self.ctx.user_id,
            username=self.ctx.username,
            current_time=position if position is not None else 0.0,
            is_playing=self._playback.is_playing,
            last_update=self.ctx.clock.wall_ms(),
            is_host=host.is_host,
            host_since=host.host_since if host.is_host else None,
            is_synced=self._playback.is_synced(),
            buffering=self._playback.buffering,
        )

    def member_row(self) -> dict[str, Any]:
        """Our ``room_members`` row (the table's own columns)."""
        fields = self.own_fields()
        return {
            "username": self.ctx.username,
            "is_host": fields.is_host,
            "is_synced": bool(fields.is_synced) if fields.is_synced is not None else True,
            "current_time": fields.current_time,
        }

    def rejoined(self) -> None:
        self.publisher.rejoined()

    async def publish(self) -> None:
        """A heartbeat broadcast, and presence too when the publisher says so."""
        fields = self.own_fields()
        link = self.ctx.link
        if not link.is_joined:
            return
        await link.send(
            events.HEARTBEAT, {**fields.model_dump(), "is_synced": bool(fields.is_synced)}
        )
        if self.publisher.should_track(fields, self.ctx.clock.monotonic_s()):
            await link.track(fields.model_dump())

    async def untrack_if_allowed(self) -> None:
        """On leaving: leaving the channel drops our presence anyway; an untrack past the
        budget would only get the channel closed under us (Supabase counts untracks too)."""
        if self.publisher.budget.try_spend(self.ctx.clock.monotonic_s()):
            await self.ctx.link.untrack()

    async def beat(self) -> None:
        """One round of the heartbeat: publish, save our member row, redraw the list."""
        try:
            await self.publish()
            if self._data is not None and self.ctx.link.is_joined:
                await self._data.save_member(self.member_row())
        except TableError as error:
            log.info("%s", error)
        except Exception:
            log.exception("heartbeat failed (will try again)")
        self.refresh()

    async def run(self) -> None:
        while True:
            await self.ctx.clock.sleep(self.heartbeat_s)
            await self.beat()

    def refresh(self) -> None:
        """Redraw the member list."""
        present = dict(self.present)
        present[self.ctx.user_id] = self.own_fields()
        members = merge_members(
            present, self.heartbeats, self._host.host_user_id, self._member_order
        )
        self.ctx.store.set(replace(self.ctx.store.state, members=members))
