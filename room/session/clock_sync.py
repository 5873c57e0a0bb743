"""Clock sync over the room channel: followers ping the host, the host answers in batches."""

from __future__ import annotations

import asyncio
from typing import Protocol

from pydantic import ValidationError

from room import events
from room.session.budget import KEPT_FOR_CHANGES, PING_SENDS, RoomBudget
from room.session.context import RoomContext, wait_for_event
from room.sync.clock import ClockSync, SyncPing, SyncPong, answer_ping
from room.sync.lead import StartLead

PONG_BATCH_S = 0.25
MAX_PONGS_PER_BATCH = 200
PING_CHECK_S = 0.25
"""The shortest wait between two checks for a due ping."""
IDLE_CHECK_S = 1.0
"""How often to look again while there is nobody to ping (no host, or we host)."""


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def is_host(self) -> bool: ...


WARMUP_INTERVAL_MS = 1000.0
REFRESH_FLOOR_S = 60.0
"""A warm estimate is refreshed at most this often; big rooms stretch it (the budget)."""


def new_estimator(user_id: str) -> ClockSync:
    # Pings are broadcasts that reach every member: warm up gently, then refresh rarely.
    return ClockSync(
        user_id,
        "",
        warmup_samples=3,
        warmup_interval_ms=WARMUP_INTERVAL_MS,
        refresh_interval_ms=REFRESH_FLOOR_S * 1000,
    )


class ClockSyncer:
    """Keeps ``estimator`` (the follower's view of the host's clock) fed, and answers the
    room's pings while we host."""

    def __init__(
        self,
        ctx: RoomContext,
        host: HostView,
        estimator: ClockSync,
        budget: RoomBudget,
        *,
        lead: StartLead | None = None,
    ) -> None:
        self.ctx = ctx
        self.estimator = estimator
        self.lead = lead
        """Where the host keeps the latencies that followers report in their pings."""
        self._host = host
        self._budget = budget
        self._pings: list[tuple[SyncPing, float]] = []
        self._wake = asyncio.Event()

    def reset(self, host_user_id: str) -> None:
        """A new host: its clock is another clock."""
        self.estimator.reset(host_user_id)
        self._wake.set()

    # --- as the host --------------------------------------------------------------------

    def on_ping(self, payload: object) -> None:
        received = self.ctx.clock.monotonic_ms()
        try:
            ping = SyncPing.model_validate(payload)
        except ValidationError:
            return
        if ping.to_user != self.ctx.user_id or not self._host.is_host:
            return
        if self.lead is not None and ping.one_way_ms is not None:
            self.lead.note(ping.from_user, ping.one_way_ms, received)
        self._pings.append((ping, received))
        if len(self._pings) == 1:  # the first of a batch: answer the lot a moment later
            self.ctx.tasks.spawn(self._flush_later())

    async def _flush_later(self) -> None:
        await self.ctx.clock.sleep(PONG_BATCH_S)
        await self.flush_pongs()

    async def flush_pongs(self) -> None:
        """One broadcast answers every ping of the last moment: each answer reaches the whole
        room, so a room of followers warming up at once costs one message, not one each.
        Holding a ping doesn't skew the offset: the host's hold time is left out of the trip."""
        pings, self._pings = self._pings, []
        sent = self.ctx.clock.monotonic_ms()
        pongs = [answer_ping(ping, received, sent).model_dump() for ping, received in pings]
        if pongs:
            await self.ctx.link.send(events.SYNC_PONGS, {"pongs": pongs})

    # --- as a follower ------------------------------------------------------------------

    def on_pongs(self, payload: object) -> None:
        pongs = payload.get("pongs") if isinstance(payload, dict) else None
        if not isinstance(pongs, list):
            return
        now = self.ctx.clock.monotonic_ms()
        for item in pongs[:MAX_PONGS_PER_BATCH]:
            try:
                pong = SyncPong.model_validate(item)
            except ValidationError:
                continue
            if pong.to_user == self.ctx.user_id:
                self.estimator.on_pong(pong, now)

    async def ping_if_due(self) -> None:
        host = self._host.host_user_id
        if host is None or self._host.is_host or not self.ctx.link.is_joined:
            return
        if self.estimator.host_user_id != host:
            self.estimator.reset(host)
        budget = self._budget
        self.estimator.set_intervals(
            warmup_ms=WARMUP_INTERVAL_MS,
            refresh_ms=budget.clock_refresh_interval_s(REFRESH_FLOOR_S) * 1000,
        )
        now = self.ctx.clock.monotonic_ms()
        if self.estimator.ping_due(now) and budget.try_send(
            self.ctx.clock.monotonic_s(), PING_SENDS, keep=KEPT_FOR_CHANGES
        ):
            await self.ctx.link.send(events.SYNC_PING, self.estimator.make_ping(now).model_dump())

    def _next_check_s(self) -> float:
        host = self._host
        if host.host_user_id is None or host.is_host or not self.ctx.link.is_joined:
            return IDLE_CHECK_S
        due_in_s = self.estimator.next_ping_in_ms(self.ctx.clock.monotonic_ms()) / 1000
        return max(PING_CHECK_S, due_in_s)

    async def run(self) -> None:
        while True:
            await wait_for_event(self.ctx.clock, self._wake, self._next_check_s())
            self._wake.clear()
            await self.ping_if_due()
