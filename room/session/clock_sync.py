"""Clock sync over the room channel: followers ping the host, the host answers in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
MAX_EARLY_PONGS = 4
"""Pongs kept while we do not know who hosts yet."""
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
PING_FIELD = "sync_ping"
"""A follower's heartbeat (and its member_joined) may carry a clock ping in this field..."""
PONGS_FIELD = "sync_pongs"
"""...and the host's heartbeat the answers, as a list of pongs, in this one."""


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
        heartbeat_due: Callable[[], bool] = lambda: False,
    ) -> None:
        self.ctx = ctx
        self.estimator = estimator
        self.lead = lead
        """Where the host keeps the latencies that followers report in their pings."""
        self._heartbeat_due = heartbeat_due
        """Our routine heartbeat is due and waiting (for the budget, or a busy room): a ping
        due now rides on it instead of spending the sends it waits for."""
        self._host = host
        self._budget = budget
        self._pings: list[tuple[SyncPing, float]] = []
        self._join_pings: list[tuple[SyncPing, float]] = []
        """Newcomers' first pings (on their member_joined), answered with the welcome."""
        self._beat_pings: dict[str, tuple[SyncPing, float]] = {}
        """Pings that came on heartbeats (the latest per member), answered on ours."""
        self._early_pongs: list[tuple[SyncPong, float]] = []
        """Pongs to us that came while we did not know who hosts (see ``reset``)."""
        self._wake = asyncio.Event()

    def reset(self, host_user_id: str) -> None:
        """A new host: its clock is another clock (the estimator may follow it already:
        the ping loop saw it first). Answers that came before we knew who hosts (a
        newcomer's first, to the ping on its member_joined) are taken now."""
        if self.estimator.host_user_id != host_user_id:
            self.estimator.reset(host_user_id)
        early, self._early_pongs = self._early_pongs, []
        for pong, received in early:
            self.estimator.on_pong(pong, received)
        self._wake.set()

    # --- as the host --------------------------------------------------------------------

    def on_ping(self, payload: object) -> None:
        received = self.ctx.clock.monotonic_ms()
        ping = self._ping_for_us(payload)
        if ping is None:
            return
        self._note_latency(ping)
        self._pings.append((ping, received))
        if len(self._pings) == 1:  # the first of a batch: answer the lot a moment later
            self.ctx.tasks.spawn(self._flush_later())

    def on_join_ping(self, newcomer: str, payload: object) -> None:
        """A newcomer's first ping, on its member_joined (whose ``user_id`` the hub has
        verified: the ping must be that user's). Answered by ``flush_join_pongs``, with the
        welcome the host sends newcomers anyway."""
        received = self.ctx.clock.monotonic_ms()
        ping = self._ping_for_us(payload, to_whoever_hosts=True)
        if ping is not None and ping.from_user == newcomer:
            # Answered as ours whoever it was addressed to: the pong names the host.
            self._join_pings.append(
                (ping.model_copy(update={"to_user": self.ctx.user_id}), received)
            )

    def on_heartbeat(self, sender: str, payload: object) -> None:
        """A heartbeat from ``sender`` (whose ``user_id`` the hub has verified): as the host,
        a ping on it is kept for our next heartbeat (or pong batch); as a follower, the
        host's answers on it are taken. Pings and pongs cost no message of their own there,
        so a follower warms up at its heartbeat's pace whatever the room's size: in a room
        of 11 a ping of its own got ~3 through the budget in the first 30 s."""
        if not isinstance(payload, dict):
            return
        if self._host.is_host and PING_FIELD in payload:
            ping = self._ping_for_us(payload[PING_FIELD])
            room_for_it = len(self._beat_pings) < MAX_PONGS_PER_BATCH or sender in self._beat_pings
            if ping is not None and ping.from_user == sender and room_for_it:
                self._note_latency(ping)
                self._beat_pings[sender] = (ping, self.ctx.clock.monotonic_ms())
        elif sender == self._host.host_user_id and PONGS_FIELD in payload:
            self.on_pongs({"pongs": payload[PONGS_FIELD]})

    def heartbeat_fields(self) -> dict[str, object]:
        """What rides on our heartbeat about to go: as the host, the answers to the pings
        that came on heartbeats; as a follower, a ping when one is due."""
        now_ms = self.ctx.clock.monotonic_ms()
        if self._host.is_host:
            pings = list(self._beat_pings.values())
            self._beat_pings.clear()
            if not pings:
                return {}
            return {
                PONGS_FIELD: [
                    answer_ping(p, received, now_ms).model_dump() for p, received in pings
                ]
            }
        self._beat_pings.clear()
        host = self._host.host_user_id
        if host is None or not self.estimator.ping_due(now_ms):
            return {}
        self._follow_host()
        return {PING_FIELD: self.estimator.make_ping(now_ms).model_dump()}

    def _note_latency(self, ping: SyncPing) -> None:
        if self.lead is not None and ping.one_way_ms is not None:
            self.lead.note(ping.from_user, ping.one_way_ms, self.ctx.clock.monotonic_ms())

    def _ping_for_us(self, payload: object, *, to_whoever_hosts: bool = False) -> SyncPing | None:
        """The ping in ``payload`` if we are to answer it: we host and it is addressed to
        us (or, on a member_joined, to whoever hosts: a newcomer may not know yet)."""
        try:
            ping = SyncPing.model_validate(payload)
        except ValidationError:
            return None
        addressed = ping.to_user == self.ctx.user_id or (to_whoever_hosts and not ping.to_user)
        if not addressed or not self._host.is_host:
            return None
        return ping

    async def _flush_later(self) -> None:
        await self.ctx.clock.sleep(PONG_BATCH_S)
        await self.flush_pongs()

    async def flush_pongs(self) -> None:
        """One broadcast answers every ping of the last moment: each answer reaches the whole
        room, so a room of followers warming up at once costs one message, not one each.
        Holding a ping doesn't skew the offset: the host's hold time is left out of the trip."""
        pings, self._pings = self._pings, []
        pings += self._beat_pings.values()  # going anyway: answer the heartbeats' pings too
        self._beat_pings.clear()
        await self._answer(pings)

    async def flush_join_pongs(self) -> None:
        """Answer the newcomers' pings held since the last welcome, in one broadcast."""
        pings, self._join_pings = self._join_pings, []
        await self._answer(pings)

    async def _answer(self, pings: list[tuple[SyncPing, float]]) -> None:
        sent = self.ctx.clock.monotonic_ms()
        pongs = [answer_ping(ping, received, sent).model_dump() for ping, received in pings]
        if pongs:
            await self.ctx.link.send(events.SYNC_PONGS, {"pongs": pongs})

    # --- as a follower ------------------------------------------------------------------

    def on_pongs(self, payload: object) -> None:
        pongs = payload.get("pongs") if isinstance(payload, dict) else None
        if not isinstance(pongs, list):
            return
        self._follow_host()  # we may have learnt who hosts since our last ping
        now = self.ctx.clock.monotonic_ms()
        for item in pongs[:MAX_PONGS_PER_BATCH]:
            try:
                pong = SyncPong.model_validate(item)
            except ValidationError:
                continue
            if pong.to_user != self.ctx.user_id:
                continue
            if self._host.host_user_id is None:
                self._early_pongs = [*self._early_pongs[-MAX_EARLY_PONGS + 1 :], (pong, now)]
            else:
                self.estimator.on_pong(pong, now)

    def join_ping(self) -> dict[str, object] | None:
        """A ping to ride on our member_joined (None as the host): no broadcast of its own,
        and the host's welcome answers it. In a room of 50 a ping of our own waits about two
        minutes for our share of the budget. Addressed to whoever hosts when we do not know
        yet (the server's presence state may come after the join)."""
        if self._host.is_host:
            return None
        self._follow_host()
        now_ms = self.ctx.clock.monotonic_ms()
        return self.estimator.make_ping(now_ms, offset_only=True).model_dump()

    def _follow_host(self) -> None:
        """The estimator learns the clock of the member we know as host."""
        host = self._host.host_user_id
        if host is not None and self.estimator.host_user_id != host:
            self.estimator.reset(host)

    async def ping_if_due(self) -> None:
        host = self._host.host_user_id
        if host is None or self._host.is_host or not self.ctx.link.is_joined:
            return
        self._follow_host()
        budget = self._budget
        self.estimator.set_intervals(
            warmup_ms=WARMUP_INTERVAL_MS,
            refresh_ms=budget.clock_refresh_interval_s(REFRESH_FLOOR_S) * 1000,
        )
        now = self.ctx.clock.monotonic_ms()
        now_s = self.ctx.clock.monotonic_s()
        # A ping and the host's answer reach the whole room: they wait while it is over its
        # budget, however good our estimate (a member whose first trips were slow would
        # otherwise spend its whole bucket on pings just as a party gathers: in the
        # room_scale run that let such members through, a room of 50 on a loaded machine
        # sent 0.6 pings a second, reached 109 msgs/s and was cut off). Our estimate holds
        # meanwhile, and improves once the room calms.
        # Nor does a ping go while our own heartbeat is due: it rides on that, and a ping of
        # its own in a busy room's first quiet moment took the sends the heartbeat waited for
        # (before pings rode on heartbeats, in the fake-clock gathering of 50, a heartbeat
        # then waited 56 s more and every list showed its member stale).
        if (
            self.estimator.ping_due(now)
            and not self._heartbeat_due()
            and not budget.room_busy(now_s)
            and budget.try_send(now_s, PING_SENDS, keep=KEPT_FOR_CHANGES)
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
