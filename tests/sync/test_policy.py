from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from room.sync.policy import CorrectionKind, CorrectionState, correct, nudge_factor
from room.sync.settings import SyncSettings

SETTINGS = SyncSettings()

states = st.builds(
    CorrectionState,
    speed_factor=st.floats(0.95, 1.05),
    nudge_sign=st.sampled_from([-1, 0, 1]),
    last_speed_change_ms=st.floats(-1e6, 1e6),
    last_seek_ms=st.one_of(st.just(-math.inf), st.floats(-1e6, 1e6)),
    failed_seeks=st.integers(0, 5),
)


@given(st.floats(-SETTINGS.dead_zone_ms, SETTINGS.dead_zone_ms), st.floats(0, 1e7), states)
def test_never_seeks_within_the_dead_zone(drift: float, now: float, state: CorrectionState) -> None:
    correction, _ = correct(drift, now, state, SETTINGS)
    assert correction.kind not in (CorrectionKind.SEEK, CorrectionKind.GIVE_UP)


@given(st.floats(-SETTINGS.dead_zone_ms, SETTINGS.dead_zone_ms), st.floats(0, 1e7))
def test_never_starts_a_nudge_within_the_dead_zone(drift: float, now: float) -> None:
    correction, _ = correct(drift, now, CorrectionState(), SETTINGS)
    assert correction.kind is CorrectionKind.NONE


@given(st.floats(-1e6, 1e6))
def test_nudges_stay_within_bounds_and_push_against_drift(drift: float) -> None:
    factor = nudge_factor(drift, SETTINGS)
    assert 1 - SETTINGS.max_nudge <= factor <= 1 + SETTINGS.max_nudge
    if drift > 0:
        assert factor <= 1.0  # ahead: slow down
    if drift < 0:
        assert factor >= 1.0


def test_large_drift_seeks_then_cools_down() -> None:
    correction, state = correct(500, 0, CorrectionState(), SETTINGS)
    assert correction.kind is CorrectionKind.SEEK
    correction, state = correct(500, 100, state, SETTINGS)
    assert correction.kind is CorrectionKind.SPEED, "nudge while cooling down"
    correction, _ = correct(500, SETTINGS.seek_cooldown_ms + 1, state, SETTINGS)
    assert correction.kind is CorrectionKind.SEEK


def test_gives_up_after_repeated_failed_seeks_and_retries_later() -> None:
    state = CorrectionState()
    now = 0.0
    kinds = []
    for _ in range(SETTINGS.max_failed_seeks + 1):
        correction, state = correct(900, now, state, SETTINGS)
        kinds.append(correction.kind)
        now += SETTINGS.seek_cooldown_ms
    assert kinds[-1] is CorrectionKind.GIVE_UP
    assert kinds[:-1] == [CorrectionKind.SEEK] * SETTINGS.max_failed_seeks
    assert state.gave_up
    correction, state = correct(900, now, state, SETTINGS)
    assert correction.kind is CorrectionKind.NONE
    correction, state = correct(900, now + SETTINGS.give_up_retry_ms, state, SETTINGS)
    assert correction.kind is CorrectionKind.SEEK


def test_a_seek_that_worked_resets_the_failure_count() -> None:
    _, state = correct(900, 0, CorrectionState(), SETTINGS)
    _, state = correct(2, 3000, state, SETTINGS)
    assert state.failed_seeks == 0


def test_nudge_ends_on_release_or_overshoot() -> None:
    correction, state = correct(30, 0, CorrectionState(), SETTINGS)
    assert correction.kind is CorrectionKind.SPEED
    assert correction.speed is not None
    assert correction.speed < 1
    correction, state = correct(-1, 1000, state, SETTINGS)
    assert correction.speed == 1.0
    assert state.nudge_sign == 0


def test_correction_off_only_restores_normal_speed() -> None:
    off = SyncSettings(correction_enabled=False)
    _, nudging = correct(30, 0, CorrectionState(), SETTINGS)
    correction, state = correct(5000, 10, nudging, off)
    assert correction.kind is CorrectionKind.SPEED
    assert correction.speed == 1.0
    correction, _ = correct(5000, 20, state, off)
    assert correction.kind is CorrectionKind.NONE


@pytest.mark.parametrize(
    ("drift_ms", "seek_cost_ms", "kind"),
    [
        (160.0, 0.0, CorrectionKind.SEEK),  # nothing measured: the setting decides
        (160.0, 30.0, CorrectionKind.SEEK),  # a small file's seek: still the setting
        (160.0, 131.0, CorrectionKind.SPEED),  # a film's seek (p50 playing): nudge instead
        (-250.0, 131.0, CorrectionKind.SPEED),
        (270.0, 131.0, CorrectionKind.SEEK),  # worth twice the freeze: seek
        (-400.0, 185.0, CorrectionKind.SEEK),
    ],
)
def test_a_seek_is_chosen_only_when_it_is_worth_what_it_costs_this_player(
    drift_ms: float, seek_cost_ms: float, kind: CorrectionKind
) -> None:
    correction, _ = correct(
        drift_ms, 10_000.0, CorrectionState(), SyncSettings(), seek_cost_ms=seek_cost_ms
    )
    assert correction.kind is kind
