"""`v` and `f` in the real app with a real player: the picture comes and goes, nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from tests.rooms import busy_room
from tests.tui.helpers import notices
from tests.video.apps import until, video_app
from tests.video.conftest import video_threads
from tui.video import colour_problem
from tui.widgets.playback_pane import PlaybackPane
from tui.widgets.video_view import VideoView


async def test_v_hides_the_video_stops_decoding_and_leaves_playback_and_room_alone(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    await player.seek_and_wait(3.0)
    room = busy_room()
    app, controller = video_app(room)
    async with app.run_test(size=(80, 24)) as pilot:
        app.video.attach(player)
        view = app.room_screen.query_one(VideoView)
        await until(pilot, lambda: view.stats.painted >= 1)
        before = player.state

        await pilot.press("v")
        await pilot.pause()
        assert not view.display
        assert player.frames is None
        assert player.mpv_option("vid") is False
        assert video_threads() == []
        assert "Video hidden" in notices(app)[-1]

        painted = view.stats.painted
        await pilot.press("v")
        await until(pilot, lambda: view.frame is not None and view.stats.painted > painted)
        assert view.display
        assert sorted(video_threads()) == ["video-cells", "video-render"]

        after = player.state
        assert (after.paused, after.position, after.restarts) == (
            before.paused,
            before.position,
            before.restarts,
        )
        assert controller.intents == []
        assert app.room_screen.room == room


async def test_toggling_while_playing_neither_pauses_nor_seeks(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    app, controller = video_app(busy_room())
    async with app.run_test(size=(80, 24)) as pilot:
        app.video.attach(player)
        view = app.room_screen.query_one(VideoView)
        player.play()
        await until(pilot, lambda: view.stats.painted >= 3)
        restarts = player.state.restarts
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause()
        position = player.state.position or 0.0
        await until(pilot, lambda: (player.state.position or 0.0) > position + 0.5)
        assert not player.state.paused
        assert player.state.restarts == restarts, "a toggle must not look like a seek"
        assert controller.intents == []


async def test_f_makes_the_video_larger_and_keeps_the_status_and_bar(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    app, _ = video_app(busy_room())
    async with app.run_test(size=(80, 24)) as pilot:
        app.video.attach(player)
        screen = app.room_screen
        view = screen.query_one(VideoView)
        await until(pilot, lambda: view.stats.painted >= 1)
        normal_rows = view.size.height
        assert screen.query_one("#body").display

        await pilot.press("f")
        await until(pilot, lambda: view.size.height > normal_rows)
        assert not screen.query_one("#body").region.height
        pane = screen.query_one(PlaybackPane)
        assert pane.region.height == 5, "the status, the bar and the host line stay"
        await until(pilot, lambda: view.frame is not None and view.frame.rows == view.size.height)

        await pilot.press("f")
        await until(pilot, lambda: view.size.height == normal_rows)
        assert screen.query_one("#body").region.height > 0


async def test_no_color_shows_a_plain_status_and_decodes_no_video(
    player: MpvPlayer, clock_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    await player.load(str(clock_file))
    app, _ = video_app(busy_room())
    async with app.run_test(size=(80, 24)) as pilot:
        app.video.attach(player)
        await pilot.pause()
        view = app.room_screen.query_one(VideoView)
        assert "NO_COLOR" in view.notice
        assert player.frames is None
        assert player.mpv_option("vid") is False
        assert view.display, "the pane says why there is no picture"


async def test_a_16_colour_terminal_shows_a_plain_status(
    player: MpvPlayer, clock_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    await player.load(str(clock_file))
    app, _ = video_app(busy_room())
    async with app.run_test(size=(80, 24)) as pilot:
        app.video.attach(player)
        await pilot.pause()
        view = app.room_screen.query_one(VideoView)
        assert "16 colours" in view.notice
        assert player.frames is None


@pytest.mark.parametrize(
    ("color_system", "no_color", "drawn"),
    [
        ("truecolor", False, True),
        ("256", False, True),
        ("standard", False, False),
        ("windows", False, False),
        (None, False, False),
        ("truecolor", True, False),
    ],
)
def test_frames_need_256_colours_and_no_no_color(
    color_system: str | None, no_color: bool, drawn: bool
) -> None:
    assert (colour_problem(color_system, no_color) is None) is drawn


async def test_in_a_window_v_turns_the_video_track_off_and_on(clock_file: Path) -> None:
    settings = PlayerSettings(video="window", vo="null", ao="null")
    player = MpvPlayer(settings=settings)
    try:
        await player.load(str(clock_file))
        app, _ = video_app(busy_room(), settings)
        async with app.run_test(size=(80, 24)) as pilot:
            app.video.attach(player)
            assert not app.room_screen.query_one(VideoView).display
            await pilot.press("v")
            await pilot.pause()
            assert player.mpv_option("vid") is False
            await pilot.press("v")
            await pilot.pause()
            assert player.mpv_option("vid") != "no" and player.mpv_option("vid") is not False
    finally:
        player.close()


async def test_video_off_in_the_settings_says_so(clock_file: Path) -> None:
    settings = PlayerSettings(video="off", ao="null")
    app, _ = video_app(busy_room(), settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        assert "player.video = off" in notices(app)[-1]
        assert not app.room_screen.query_one(VideoView).display


async def test_help_explains_the_video_setting_and_where_the_sound_plays() -> None:
    from textual.widgets import Static

    app, _ = video_app(busy_room())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-footnote", Static).render())
        assert "player.video" in text
        assert "Over SSH the sound plays on the machine the app runs on" in text


class _NoSoftwareRendering:
    """A libmpv without the software render API (older than 0.34): start_frames refuses."""

    stopped = 0

    def start_frames(self, sink: object, *, size: tuple[int, int]) -> object:
        from player.errors import PlayerError

        raise PlayerError("libmpv could not start software rendering: unsupported")

    def stop_frames(self) -> None:
        self.stopped += 1

    def set_window_video(self, shown: bool) -> None:
        raise AssertionError("not a window")


async def test_a_libmpv_that_cannot_render_leaves_a_plain_status_and_the_app_running() -> None:
    app, _ = video_app(busy_room())
    async with app.run_test(size=(80, 24)) as pilot:
        player = _NoSoftwareRendering()
        app.video.attach(player)  # type: ignore[arg-type]
        await pilot.pause()
        view = app.room_screen.query_one(VideoView)
        assert "could not start software rendering" in view.notice
        assert video_threads() == []
        await pilot.press("v")  # still answers keys
        assert app.is_running
