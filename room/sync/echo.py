"""Tell the user's own actions from the player carrying out commands we gave it.

Every command applied to the player (a remote play/pause/seek, a correction) is registered
as an expectation first. When the player reports a change, a matching expectation is
consumed and nothing goes out; a change nobody expected is the user's (a key in the mpv
window, a click in the TUI) and becomes a `LocalIntent` to publish. Stale or duplicated
remote commands never get this far: `Follower` drops anchors whose `seq` is not new.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from room import events
from room.sync.sample import PlaybackSample


class IntentKind(Enum):
    PLAY = events.PLAY
    PAUSE = events.PAUSE
    SEEK = events.SEEK


@dataclass(frozen=True, slots=True)
class LocalIntent:
    kind: IntentKind
    position_s: float
    observed_at_ms: float


@dataclass(frozen=True, slots=True)
class Expectation:
    kind: IntentKind
    position_s: float | None
    valid_from_ms: float
    expires_at_ms: float


class EchoGuard:
    def __init__(self, *, expiry_ms: float = 3000.0, seek_tolerance_s: float = 0.25) -> None:
        self._expiry_ms = expiry_ms
        self._seek_tolerance_s = seek_tolerance_s
        self._expected: list[Expectation] = []
        self._last: PlaybackSample | None = None

    @property
    def pending(self) -> tuple[Expectation, ...]:
        return tuple(self._expected)

    def expect(
        self,
        kind: IntentKind,
        now_ms: float,
        *,
        position_s: float | None = None,
        not_before_ms: float | None = None,
    ) -> None:
        """Register a command about to be applied. A scheduled one (a resume at a future
        instant) stays valid until `expiry_ms` after it is due."""
        due = now_ms if not_before_ms is None else max(now_ms, not_before_ms)
        self._expected.append(Expectation(kind, position_s, now_ms, due + self._expiry_ms))

    def withdraw(self, kind: IntentKind) -> None:
        """Forget expectations of `kind` whose command was cancelled before it ran."""
        self._expected = [e for e in self._expected if e.kind is not kind]

    def observe(self, sample: PlaybackSample, now_ms: float) -> list[LocalIntent]:
        """Compare with the previous sample; return the changes nobody asked for."""
        previous, self._last = self._last, sample
        self._expected = [e for e in self._expected if e.expires_at_ms >= now_ms]
        if previous is None:
            return []
        intents: list[LocalIntent] = []
        if sample.restarts > previous.restarts:
            self._classify(IntentKind.SEEK, sample, intents)
        if sample.paused != previous.paused:
            kind = IntentKind.PAUSE if sample.paused else IntentKind.PLAY
            self._classify(kind, sample, intents)
        return intents

    def _classify(
        self, kind: IntentKind, sample: PlaybackSample, intents: list[LocalIntent]
    ) -> None:
        for expectation in self._expected:
            if expectation.kind is not kind:
                continue
            if (
                kind is IntentKind.SEEK
                and expectation.position_s is not None
                and abs(expectation.position_s - sample.position_s) > self._seek_tolerance_s
            ):
                continue
            self._expected.remove(expectation)
            return
        intents.append(LocalIntent(kind, sample.position_s, sample.observed_at_ms))
