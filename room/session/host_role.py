"""Who hosts the room: claims, hand-overs, and electing a new host when one vanishes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from room import events
from room.members import elect_host
from room.session.context import RoomContext
from room.text import clean_name
from room.wire import HostChanged, HostRequested, PresenceFields

log = logging.getLogger(__name__)

HOST_GRACE_S = 10.0
"""How long a vanished host has to come back before the room elects a new one."""
FIRST_PRESENCE_WAIT_S = 2.0
"""``--host`` waits this long for presence to say whether the room already has a host."""


@dataclass(frozen=True, slots=True)
class HostChange:
    """What the rest of the session needs to know after the role moved."""

    user_id: str | None
    """The new host; None when the host vanished and someone else is being elected."""
    was_host: bool
    announced: bool
    """We made this change (a claim or hand-over) and told the room."""


class HostRole:
    """Holds ``host_user_id`` and keeps the room on one host.

    ``on_change`` runs after every change of host, for the parts of the session that react
    (the rooms row, the host's first anchor, clock sync, presence).
    """

    def __init__(
        self,
        ctx: RoomContext,
        *,
        name_of: Callable[[str], str],
        present: Callable[[], Mapping[str, PresenceFields]],
        on_change: Callable[[HostChange], Awaitable[None]],
        claim_host: bool = False,
        grace_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.host_user_id: str | None = None
        self.host_since = 0
        """When the current host took the role (ms since the epoch): newer claims win."""
        self.claim_host = claim_host
        self._name_of = name_of
        self._present = present
        self._on_change = on_change
        self._grace_s = HOST_GRACE_S if grace_s is None else grace_s
        self._election: asyncio.Task[None] | None = None
        self._seen_presence = asyncio.Event()

    @property
    def is_host(self) -> bool:
        return self.host_user_id == self.ctx.user_id

    @property
    def drives_playback(self) -> bool:
        """Our player is the reference: we host, or nobody does and we act for ourselves."""
        return self.host_user_id is None or self.is_host

    # --- what the room tells us ---------------------------------------------------------

    @property
    def knows_the_room(self) -> bool:
        """We have had the room's presence since we (re)joined: we know who hosts, if any."""
        return self._seen_presence.is_set()

    def joined(self) -> None:
        self._seen_presence.clear()
        if self.claim_host:
            self.ctx.tasks.spawn(self._claim_when_no_host())

    def link_lost(self) -> None:
        if self._election is not None:
            self._election.cancel()  # who left is unknowable while we are away ourselves

    def on_presence(self, present: Mapping[str, PresenceFields]) -> None:
        self._seen_presence.set()
        for fields in present.values():
            self.consider_claim(fields)
        host = self.host_user_id
        pending = self._election is not None and not self._election.done()
        if host is not None and host != self.ctx.user_id and host not in present and not pending:
            self._election = self.ctx.tasks.spawn(self._elect_unless_host_returns(host))

    def consider_claim(self, fields: PresenceFields) -> None:
        """Two members may both believe they host (each elected while the other was away):
        everyone adopts the newest claim, so the room converges on one host."""
        if not fields.is_host or fields.user_id == self.host_user_id:
            return
        claim = (fields.host_since or 0, fields.user_id)
        current = (self.host_since, self.host_user_id or "")
        if self.host_user_id is None or claim > current:
            self.ctx.tasks.spawn(self.set_host(fields.user_id, announce=False, since=claim[0]))

    def on_host_changed(self, model: HostChanged) -> None:
        since = model.since if model.since is not None else self.ctx.clock.wall_ms()
        self.ctx.tasks.spawn(self.set_host(model.user_id, announce=False, since=since))

    def on_host_requested(self, model: HostRequested) -> None:
        if self.is_host and model.user_id != self.ctx.user_id:
            self.ctx.notices.notice(
                f"{clean_name(model.username)} asks for the host role: press h to hand it over."
            )

    # --- what we do ---------------------------------------------------------------------

    async def request(self) -> None:
        await self.ctx.link.send(events.HOST_REQUEST, self.ctx.member_payload())
        self.ctx.notices.notice("Asked the host for the role.", force=True)

    async def set_host(self, user_id: str, *, announce: bool, since: int | None = None) -> None:
        if user_id == self.host_user_id and not announce:
            return
        was_host = self.is_host
        self.host_user_id = user_id
        self.host_since = since if since is not None else self.ctx.clock.wall_ms()
        if announce:
            await self.ctx.link.send(
                events.HOST_CHANGED,
                {
                    "user_id": user_id,
                    "username": self._name_of(user_id),
                    "by_user_id": self.ctx.user_id,
                    "since": self.host_since,
                },
            )
        await self._on_change(HostChange(user_id, was_host, announce))
        if user_id != self.ctx.user_id and not announce:
            self.ctx.notices.notice(f"{clean_name(self._name_of(user_id))} is now the host")

    async def _elect_unless_host_returns(self, host: str) -> None:
        """The host vanished from presence: give it a moment to reconnect, then elect.

        Every member runs the same election over the same presence, so they agree; the one
        elected announces itself, and a later ``host_changed`` always wins.
        """
        await self.ctx.clock.sleep(self._grace_s)
        present = self._present()
        if self.host_user_id != host or host in present or not self.ctx.link.is_joined:
            return
        new_host = elect_host(sorted(present))
        log.info("host %s left; %s is elected", host, new_host)
        self.host_user_id = None
        if new_host == self.ctx.user_id:
            await self.set_host(self.ctx.user_id, announce=True)
        else:
            await self._on_change(HostChange(None, was_host=False, announced=False))

    async def _claim_when_no_host(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._seen_presence.wait(), timeout=FIRST_PRESENCE_WAIT_S)
        if self.host_user_id is None:
            await self.set_host(self.ctx.user_id, announce=True)
