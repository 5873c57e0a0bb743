"""The mpv adapter against real libmpv, headless (vo=null, ao=null)."""

from __future__ import annotations

import asyncio
import builtins
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from player.base import PlayerState
from player.errors import LibmpvMissingError, MediaLoadError, MediaNotFoundError
from player.mpv_player import MpvPlayer, import_mpv
from player.settings import PlayerSettings
from player.sources import demo_source, render_demo_file
from tests.player.conftest import DEMO_FPS, seek_within, wait_within

FRAME_S = 1 / DEMO_FPS


async def test_load_opens_paused_at_start(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file))
    state = player.state
    assert state.loaded
    assert state.paused
    assert state.position == pytest.approx(0.0, abs=0.03)
    assert state.duration == pytest.approx(20.0, abs=0.2)


@pytest.mark.parametrize("target", [7.37, 0.5, 15.0, 3.21])
async def test_seek_lands_exactly_where_asked(
    player: MpvPlayer, demo_file: Path, target: float
) -> None:
    await player.load(str(demo_file))
    state = await seek_within(player, target)
    assert state.position == pytest.approx(target, abs=FRAME_S / 2)
    assert not state.seeking


async def test_seeking_is_reported_until_playback_restarts(
    player: MpvPlayer, demo_file: Path
) -> None:
    await player.load(str(demo_file))
    restarts_before = player.state.restarts
    player.seek(12.0)
    assert player.state.seeking, "a seek in flight must be visible at once"
    state = await wait_within(player, lambda s: s.restarts > restarts_before)
    assert not state.seeking
    assert state.position == pytest.approx(12.0, abs=FRAME_S / 2)


async def test_play_advances_and_pause_stops_position(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file))
    player.play()
    await wait_within(player, lambda s: (s.position or 0) > 0.3)
    player.pause()
    paused = await wait_within(player, lambda s: s.paused)
    stopped_at = paused.position
    with pytest.raises(TimeoutError):
        await wait_within(player, lambda s: s.position != stopped_at, 0.3)


async def test_double_speed_moves_position_twice_as_fast(
    player: MpvPlayer, demo_file: Path
) -> None:
    await player.load(str(demo_file))
    player.set_speed(2.0)
    player.play()
    samples: list[tuple[float, float]] = []
    player.add_listener(
        lambda s: (
            samples.append((s.position_at, s.position))
            if s.advancing and s.position is not None
            else None
        )
    )
    await wait_within(player, lambda s: (s.position or 0) >= 3.0)
    # The slope of position over observation time, fitted over ~1.5 s of reports: one late
    # report on a loaded CPU moves it little, a player at the wrong speed a lot.
    assert slope(samples) == pytest.approx(2.0, abs=0.2)
    assert player.state.speed == 2.0


def slope(samples: list[tuple[float, float]]) -> float:
    assert len(samples) > 10
    mean_t = sum(t for t, _ in samples) / len(samples)
    mean_p = sum(p for _, p in samples) / len(samples)
    covariance = sum((t - mean_t) * (p - mean_p) for t, p in samples)
    return covariance / sum((t - mean_t) ** 2 for t, _ in samples)


async def test_speed_changes_keep_audio_pitch(player: MpvPlayer) -> None:
    assert player.mpv_option("audio-pitch-correction") is True
    assert player.mpv_option("hr-seek") in (True, "yes")


async def test_position_extrapolates_between_frames(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file))
    player.play()
    state = await wait_within(player, lambda s: s.advancing and (s.position or 0) > 0.3)
    assert state.position is not None
    assert state.position_now(state.position_at + 0.004) == pytest.approx(state.position + 0.004)
    paused = PlayerState(loaded=True, position=3.0, position_at=1.0, paused=True)
    assert paused.position_now(99.0) == 3.0


async def test_end_of_file_is_reported(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file))
    await seek_within(player, 19.7)
    player.play()
    state = await wait_within(player, lambda s: s.eof)
    assert state.position == pytest.approx(state.duration, abs=0.05)


async def test_states_arrive_on_the_loop_thread_from_observers(
    player: MpvPlayer, demo_file: Path
) -> None:
    threads: set[int] = set()
    positions: list[float] = []

    def listener(state: PlayerState) -> None:
        threads.add(threading.get_ident())
        if state.position is not None:
            positions.append(state.position)

    player.add_listener(listener)
    await player.load(str(demo_file))
    player.play()
    await wait_within(player, lambda s: (s.position or 0) > 0.5)
    assert threads == {threading.get_ident()}
    assert len(set(positions)) > 10, "time-pos changes must be pushed, not polled"


async def test_missing_file_gives_a_clear_error(player: MpvPlayer, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mkv"
    with pytest.raises(MediaNotFoundError, match=r"No such file: .*nope\.mkv"):
        await player.load(str(missing))


async def test_unplayable_file_gives_a_clear_error(player: MpvPlayer, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mkv"
    junk.write_bytes(b"\x00not a video\x00" * 10)
    with pytest.raises(MediaLoadError, match="Could not play"):
        await player.load(str(junk))


async def test_missing_libmpv_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "mpv":
            raise OSError("Cannot find libmpv in the usual places.")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(LibmpvMissingError, match="apt install libmpv2"):
        import_mpv()


async def test_live_demo_source_plays_headless(player: MpvPlayer) -> None:
    await player.load(demo_source(fps=25, size="160x90"), paused=False)
    state = await wait_within(player, lambda s: (s.position or 0) > 0.2)
    assert state.loaded


async def test_buffering_is_debounced(demo_file: Path) -> None:
    player = MpvPlayer(settings=PlayerSettings(vo="null", ao="null", buffering_debounce_ms=100))
    try:
        await player.load(str(demo_file))
        reports: list[bool] = []
        player.add_listener(lambda s: reports.append(s.buffering))

        def from_mpv_thread(value: bool) -> None:
            worker = threading.Thread(target=player._on_property, args=("paused-for-cache", value))
            worker.start()
            worker.join()

        # A blip shorter than the debounce never shows as buffering.
        from_mpv_thread(True)
        from_mpv_thread(False)
        with pytest.raises(TimeoutError):
            await wait_within(player, lambda s: s.buffering, 0.2)
        from_mpv_thread(True)
        state = await wait_within(player, lambda s: s.buffering)
        assert state.buffering
        from_mpv_thread(False)
        await wait_within(player, lambda s: not s.buffering)
        assert reports.count(True) >= 1
    finally:
        player.close()


async def test_playback_moves_on_without_a_stall_after_a_seek(
    player: MpvPlayer, demo_file: Path
) -> None:
    """A stall after seeks would read as drift; the demo's audio codec once caused 200 ms."""
    await player.load(str(demo_file))
    player.play()
    await wait_within(player, lambda s: (s.position or 0) > 0.3)
    landed = await seek_within(player, 2.0)
    stamps: list[tuple[float, float]] = []
    player.add_listener(
        lambda s: (
            stamps.append((s.position_at, s.position))
            if s.advancing and s.position is not None
            else None
        )
    )
    await wait_within(player, lambda s: (s.position or 0) > 3.0)
    assert landed.position is not None
    lags_ms = [
        ((stamp - landed.position_at) - (position - landed.position)) * 1000
        for stamp, position in stamps
        if position > landed.position + 0.5
    ]
    # A stall puts every later report behind by its length; a report that reaches us late
    # (a busy CPU) is behind alone. So the least lag of the later reports is the stall.
    assert lags_ms and min(lags_ms) < 50, f"playback stalled {min(lags_ms):.0f} ms after the seek"


async def test_resuming_restamps_the_held_position(player: MpvPlayer, demo_file: Path) -> None:
    """A position reported while paused is true until playback resumes, not older: else
    extrapolation right after a resume would jump ahead by the whole pause."""
    await player.load(str(demo_file))
    await seek_within(player, 5.0)
    with pytest.raises(TimeoutError):  # stay paused a while
        await wait_within(player, lambda s: not s.paused, 0.3)
    resumed_at = time.monotonic()
    player.play()
    state = await wait_within(player, lambda s: not s.paused)
    assert state.position_at >= resumed_at
    now = time.monotonic()
    position_now = state.position_now(now)
    assert position_now is not None
    # At most as far past 5.0 as time has passed since the resume (however slowly this
    # test got here), not by the 0.3 s pause on top.
    assert 5.0 - 0.05 <= position_now <= 5.0 + (now - resumed_at) + 0.05


async def test_a_failing_listener_does_not_starve_the_others(
    player: MpvPlayer, demo_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(state: PlayerState) -> None:
        raise RuntimeError("bug in a widget")

    seen: list[PlayerState] = []
    player.add_listener(broken)
    player.add_listener(seen.append)
    await player.load(str(demo_file))
    assert seen, "the second listener still got states"
    assert "listener failed" in caplog.text


async def test_loading_another_file_keeps_playing_state(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file), paused=False)
    await wait_within(player, lambda s: (s.position or 0) > 0.2)
    await player.load(str(demo_file), paused=False)
    state = await wait_within(player, lambda s: (s.position or 0) > 0.1)
    assert not state.paused


async def test_a_file_opened_paused_is_never_reported_playing(
    player: MpvPlayer, tmp_path: Path
) -> None:
    """At the end of a playing file (keep-open stops there without pausing) the next file
    opens paused: no state of it may say "playing" before mpv confirms the pause. The race
    is mpv's observer against our own delivery, so it is tried a few times."""
    short = render_demo_file(tmp_path / "short-160x90-0.4s.mkv", duration_s=0.4, size="160x90")
    following = str(short.with_name("next-160x90.mkv"))
    short.with_name("next-160x90.mkv").write_bytes(short.read_bytes())
    playing_states: list[PlayerState] = []
    player.add_listener(
        lambda s: playing_states.append(s) if s.source == following and not s.paused else None
    )
    for _ in range(6):
        await player.load(str(short), paused=False)
        await wait_within(player, lambda s: s.eof)
        await player.load(following, paused=True)
        assert player.state.paused
        assert playing_states == []


async def test_a_seek_asked_for_while_the_file_opens_lands_once_it_is_open(
    player: MpvPlayer, demo_file: Path
) -> None:
    """mpv refuses a seek before the file is open (python-mpv raised SystemError), or takes
    it for the file being replaced and loses it; a follower told to seek as it loads must
    still end up there."""
    await player.load(str(demo_file))
    for target in (5.0, 12.5, 3.0):
        loading = asyncio.create_task(player.load(str(demo_file)))
        await asyncio.sleep(0)  # load has asked mpv for the file and waits for it
        player.seek(target)
        await loading
        state = await wait_within(player, lambda s: s.loaded and not s.seeking)
        assert state.position == pytest.approx(target, abs=0.011)
        assert state.paused


async def test_a_machine_without_a_sound_device_still_plays(demo_file: Path) -> None:
    """A server over SSH or a container has no sound device. With the pane's video not on
    yet (no video decoded), mpv had nothing left to play and ended the file at once: the
    room could not be joined. It now plays muted, on mpv's own clock."""
    settings = PlayerSettings(video="terminal", ao="alsa")
    missing = {"audio_device": "alsa/watchparty-test-no-such-device"}
    player = MpvPlayer(settings=settings, mpv_options=missing)
    try:
        await player.load(str(demo_file))
        player.play()
        state = await wait_within(player, lambda s: (s.position or 0) > 0.3)
        assert not state.paused and not state.eof
    finally:
        player.close()
