from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from room.notices import MAX_QUEUED, NoticeThrottle, playback_notice
from room.publisher import SAFETY_MARGIN_S, Kind, PresenceBudget, PresencePublisher, as_news
from room.wire import PresenceFields


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=300))
def test_budget_never_allows_more_than_supabase_in_any_window(gaps: list[float]) -> None:
    """Supabase counts calls in 30 s windows; wherever its window starts, we stay within 5."""
    budget = PresenceBudget(calls=5, window_s=30.0)
    now, spent = 0.0, []
    for gap in gaps:
        now += gap * 20
        if budget.try_spend(now):
            spent.append(now)
    for index, start in enumerate(spent):
        in_window = [t for t in spent[index:] if t - start < 30.0 + SAFETY_MARGIN_S]
        assert len(in_window) <= 5


def test_budget_frees_calls_as_the_window_slides() -> None:
    budget = PresenceBudget(calls=2, window_s=10.0)
    assert budget.try_spend(0.0)
    assert budget.try_spend(1.0)
    assert not budget.try_spend(5.0)
    assert not budget.try_spend(10.0 + SAFETY_MARGIN_S - 0.01)
    assert budget.try_spend(10.0 + SAFETY_MARGIN_S)
    assert budget.try_spend(11.0 + SAFETY_MARGIN_S)
    budget.reset()
    assert budget.available(12.0) == 2


def test_throttle_shows_one_a_second_in_order() -> None:
    throttle = NoticeThrottle()
    assert throttle.offer("a", 0.0) == "a"
    assert throttle.offer("b", 0.1) is None
    assert throttle.offer("c", 0.2) is None
    assert throttle.due(0.5) is None
    assert throttle.next_due_at() == 1.0
    assert throttle.due(1.0) == "b"
    assert throttle.offer("d", 1.5) is None  # c is still waiting: d goes behind it
    assert throttle.due(2.0) == "c"
    assert throttle.due(3.0) == "d"
    assert throttle.due(9.0) is None


def test_throttle_queue_is_bounded() -> None:
    throttle = NoticeThrottle()
    throttle.offer("first", 0.0)
    for number in range(100):
        throttle.offer(str(number), 0.5)
    shown = []
    now = 1.0
    while (text := throttle.due(now)) is not None:
        shown.append(text)
        now += 1.0
    assert len(shown) == MAX_QUEUED
    assert shown[-1] == "99"


def test_playback_notices_use_the_spec_words() -> None:
    assert playback_notice("play", "ann", 0) == "ann resumed playback"
    assert playback_notice("pause", "ann", 0) == "ann paused playback"
    assert playback_notice("seek", "ann", 754) == "ann seeked to 12:34"
    assert playback_notice("seek", "\x1b[2Jann", 5) == "ann seeked to 0:05"


def _fields(**changes: object) -> PresenceFields:
    return PresenceFields.model_validate({"user_id": "u", "username": "u", **changes})


def test_publisher_tracks_changes_at_once_and_routine_refreshes_within_budget() -> None:
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0), refresh_s=3.0)
    tracked_at = [
        t for t in range(0, 120, 3) if publisher.should_track(_fields(current_time=t), float(t))
    ]
    # First join, then routine refreshes only while 2 calls stay in reserve.
    assert tracked_at[0] == 0
    for index, start in enumerate(tracked_at):
        assert len([t for t in tracked_at[index:] if t - start < 31]) <= 5
    # A change in kind goes out at once, from the reserve.
    now = 121.0
    assert publisher.should_track(_fields(current_time=121, buffering=True), now)
    assert publisher.should_track(_fields(current_time=121, buffering=False), now + 0.1)


def test_play_and_pause_alone_are_no_change_in_kind() -> None:
    """The host's play/pause events tell the room; a whole room re-tracking on each pause
    would cost one presence event per member per member."""
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0), refresh_s=3.0)
    assert publisher.should_track(_fields(is_playing=False, is_synced=True), 0.0)
    assert not publisher.should_track(_fields(is_playing=True, is_synced=True), 1.0)
    assert publisher.should_track(_fields(is_playing=True, is_synced=False), 1.5)


def test_changes_in_kind_retrack_presence_a_few_times_sooner_than_routine_at_most() -> None:
    """In a room of 50 a routine track is due every 255 s; a change may go after 64 s. The
    heartbeat has told the change already; presence must not be re-tracked by a whole room
    flipping in and out of sync."""
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0))
    assert publisher.should_track(_fields(is_synced=True), 0.0, refresh_s=255.0)
    assert not publisher.should_track(_fields(is_synced=False), 10.0, refresh_s=255.0)
    assert not publisher.should_track(_fields(buffering=True), 60.0, refresh_s=255.0)
    assert publisher.should_track(_fields(buffering=True), 64.0, refresh_s=255.0)


def test_a_newcomers_first_sync_verdict_is_no_change_for_presence() -> None:
    """It joined with no verdict; getting in sync a second later is what every newcomer
    does, and re-tracking for it doubled a gathering room's presence cost. A later change
    of verdict is a change."""
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0), refresh_s=300.0)
    assert publisher.should_track(_fields(is_synced=None), 0.0)
    assert not publisher.should_track(_fields(is_synced=True), 1.0)
    assert not publisher.should_track(_fields(is_synced=False), 2.0)
    assert publisher.should_track(_fields(is_synced=True, buffering=True), 3.0)
    assert publisher.should_track(_fields(is_synced=False), 4.0), "synced to off is news"


@pytest.mark.parametrize(
    ("told", "now", "news"),
    [
        # (is_host, is_synced, buffering): a verdict that changed while we buffer is none
        ((False, True, True), (False, False, True), (False, True, True)),
        ((False, False, True), (False, None, True), (False, False, True)),
        # the spell's end (or its start) tells the verdict of the moment
        ((False, True, True), (False, False, False), (False, False, False)),
        ((False, True, False), (False, False, True), (False, False, True)),
        # not buffering: a verdict is news as ever; the host's role always is
        ((False, True, False), (False, False, False), (False, False, False)),
        ((False, True, True), (True, False, True), (True, True, True)),
    ],
)
def test_a_verdict_is_no_news_while_buffering(told: Kind, now: Kind, news: Kind) -> None:
    assert as_news(told, now) == news


def test_a_verdict_that_changes_while_buffering_does_not_retrack_presence() -> None:
    """Every list shows a buffering member as buffering, whatever its verdict."""
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0), refresh_s=300.0)
    assert publisher.should_track(_fields(is_synced=True), 0.0)
    assert publisher.should_track(_fields(is_synced=True, buffering=True), 1.0)
    assert not publisher.should_track(_fields(is_synced=False, buffering=True), 4.0)
    assert publisher.should_track(_fields(is_synced=False), 5.0), "the spell's end is news"


def test_a_busy_room_holds_changes_but_never_the_first_track() -> None:
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0), refresh_s=3.0)
    assert publisher.should_track(_fields(), 0.0, room_allows=False), "how the room sees us"
    assert not publisher.should_track(_fields(is_synced=False), 1.0, room_allows=False)
    assert not publisher.should_track(_fields(), 60.0, refresh_s=3.0, room_allows=False)
    assert publisher.should_track(_fields(is_synced=False), 61.0, room_allows=True)
    assert not publisher.should_track(_fields(is_synced=False), 70.0, refresh_s=120.0)


def test_publisher_never_exceeds_budget_even_when_everything_changes() -> None:
    publisher = PresencePublisher(PresenceBudget(calls=5, window_s=30.0))
    tracked = [
        t for t in range(60) if publisher.should_track(_fields(buffering=t % 2 == 0), float(t))
    ]
    for index, start in enumerate(tracked):
        assert len([t for t in tracked[index:] if t - start < 31]) <= 5
