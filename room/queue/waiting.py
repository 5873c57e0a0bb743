"""When the room starts an item: pure rules over the members' readiness and a clock.

Everyone loads a new item paused at 0 and reports how it stands (``Readiness``). The host
starts the item once the members it waits for are ready (``room.wait_for``: nobody, everyone,
or a minimum count, as Syncplay's "play when all ready"), each member for at most its own
timeout, so a stuck or vanished member never holds the room (Jellyfin's proposal, PR #17349:
60 s for a first start, 10 s for a re-buffer). A member that says it can't play the item,
or that never reports readiness (a browser), is not waited for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

FIRST_START_TIMEOUT_S = 60.0
REBUFFER_TIMEOUT_S = 10.0


class Readiness(StrEnum):
    """A member's state for the room's current item (the ``readiness`` field it publishes)."""

    READY = "ready"
    LOADING = "loading"
    BUFFERING = "buffering"
    CANT_PLAY = "cant_play"


@dataclass(frozen=True, slots=True)
class WaitFor:
    """``room.wait_for``: "off", "everyone", or a minimum number of ready members."""

    everyone: bool = True
    count: int = 0
    """With ``everyone`` False: start once this many are ready (0: do not wait at all)."""

    @classmethod
    def parse(cls, value: str | int) -> WaitFor:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            count = int(value)
            if count < 1:
                raise ValueError("a minimum count must be at least 1 (or say off)")
            return cls(everyone=False, count=count)
        if value == "everyone":
            return cls()
        if value == "off":
            return cls(everyone=False, count=0)
        raise ValueError(f"must be off, everyone or a number of members, not {value!r}")

    @property
    def is_off(self) -> bool:
        return not self.everyone and self.count == 0


@dataclass(frozen=True, slots=True)
class MemberReadiness:
    user_id: str
    username: str
    readiness: Readiness | None
    """None: the member does not report readiness (a browser): not waited for."""
    item_id: str | None
    """The item the report is about: a report about another item means still loading."""
    waiting_since_s: float
    """When the room began waiting for this member (the item change, or when it joined)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    start: bool
    waiting_for: tuple[str, ...] = ()
    """The names of the members the room still waits for."""
    deadline_s: float | None = None
    """When the last of them stops being waited for (None: nobody is waited for)."""


def readiness_for(member: MemberReadiness, item_id: str) -> Readiness | None:
    if member.readiness is None:
        return None
    if member.item_id != item_id:
        return Readiness.LOADING
    return member.readiness


def start_verdict(
    setting: WaitFor,
    members: Iterable[MemberReadiness],
    *,
    item_id: str,
    host_user_id: str,
    now_s: float,
    timeout_s: float = FIRST_START_TIMEOUT_S,
    go_on: bool = False,
) -> Verdict:
    """Whether the host starts ``item_id`` now, and whom it waits for otherwise.

    The host's own player must be ready first (it is the room's reference; no timeout)."""
    members = list(members)
    host = next((m for m in members if m.user_id == host_user_id), None)
    if host is None or readiness_for(host, item_id) is not Readiness.READY:
        name = host.username if host else host_user_id
        return Verdict(False, (name,), None)
    if go_on or setting.is_off:
        return Verdict(True)
    ready = 1
    holders: list[MemberReadiness] = []
    for member in members:
        if member.user_id == host_user_id:
            continue
        state = readiness_for(member, item_id)
        if state is Readiness.READY:
            ready += 1
        elif (
            state is not None
            and state is not Readiness.CANT_PLAY
            and now_s < member.waiting_since_s + timeout_s
        ):
            holders.append(member)
    if not holders or (not setting.everyone and ready >= setting.count):
        return Verdict(True)
    deadline = max(m.waiting_since_s for m in holders) + timeout_s
    return Verdict(False, tuple(m.username for m in holders), deadline)


def rebuffer_holders(
    setting: WaitFor,
    members: Iterable[MemberReadiness],
    *,
    item_id: str,
    host_user_id: str,
    now_s: float,
    timeout_s: float = REBUFFER_TIMEOUT_S,
) -> Verdict:
    """While the item plays: whom the room pauses for (members buffering for less than
    ``timeout_s``, ``waiting_since_s`` being when each began to buffer). ``start`` is True
    when nobody holds the room."""
    if setting.is_off:
        return Verdict(True)
    holders = [
        m
        for m in members
        if m.user_id != host_user_id
        and readiness_for(m, item_id) is Readiness.BUFFERING
        and now_s < m.waiting_since_s + timeout_s
    ]
    if not holders:
        return Verdict(True)
    deadline = max(m.waiting_since_s for m in holders) + timeout_s
    return Verdict(False, tuple(m.username for m in holders), deadline)
