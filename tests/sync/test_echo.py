from __future__ import annotations

from room.sync import EchoGuard, IntentKind, PlaybackSample


def s(position: float, *, paused: bool, restarts: int = 0) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=0, paused=paused, restarts=restarts)


def test_expected_changes_are_not_intents_but_surprises_are() -> None:
    guard = EchoGuard()
    guard.observe(s(1, paused=False), 0)
    guard.expect(IntentKind.PAUSE, 10)
    assert guard.observe(s(1, paused=True), 20) == []
    intents = guard.observe(s(1, paused=False), 30)
    assert [i.kind for i in intents] == [IntentKind.PLAY]


def test_a_seek_elsewhere_than_expected_is_the_users() -> None:
    guard = EchoGuard()
    guard.observe(s(1, paused=True), 0)
    guard.expect(IntentKind.SEEK, 0, position_s=50.0)
    intents = guard.observe(s(90, paused=True, restarts=1), 10)
    assert [(i.kind, i.position_s) for i in intents] == [(IntentKind.SEEK, 90)]


def test_expectations_expire() -> None:
    guard = EchoGuard(expiry_ms=1000)
    guard.observe(s(1, paused=False), 0)
    guard.expect(IntentKind.PAUSE, 0)
    assert [i.kind for i in guard.observe(s(1, paused=True), 5000)] == [IntentKind.PAUSE]


def test_a_scheduled_resume_is_expected_until_due_plus_expiry() -> None:
    guard = EchoGuard(expiry_ms=1000)
    guard.observe(s(1, paused=True), 0)
    guard.expect(IntentKind.PLAY, 0, not_before_ms=5000)
    assert guard.observe(s(1, paused=False), 5500) == []
