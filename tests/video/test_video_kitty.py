"""Kitty graphics in the real app with a real player: what reaches the terminal, and the pane.

No kitty runs here: the driver's `write` is wrapped to keep what the app sends (Pilot's driver
sends nothing on), which is what is under test: our sequences and the layout's placeholders.
"""

from __future__ import annotations

import base64
import re
import zlib
from pathlib import Path

import pytest
from textual.geometry import Region

from player.mpv_player import MpvPlayer
from tests.rooms import busy_room
from tests.tui.helpers import notices
from tests.video.apps import stalled_writer, until, video_app
from tests.video.conftest import video_threads
from tui.app import WatchPartyApp
from tui.graphics_probe import KittyTerminal
from tui.kitty_feed import image_size
from tui.kitty_graphics import PLACEHOLDER, placeholder_cell
from tui.widgets.video_view import VideoView

COMMAND = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


class Terminal:
    """What the app writes, split into graphics commands (keys, payload) and the rest."""

    def __init__(self, app: WatchPartyApp) -> None:
        self.writes: list[str] = []
        self.fail_with: Exception | None = None
        driver = app._driver
        assert driver is not None
        write = driver.write

        def capture(data: str) -> None:
            if self.fail_with is not None and "\x1b_G" in data:
                raise self.fail_with
            self.writes.append(data)
            write(data)

        driver.write = capture  # type: ignore[method-assign]

    def commands(self) -> list[tuple[dict[str, str], str]]:
        found = []
        for data in self.writes:
            for match in COMMAND.finditer(data):
                keys = dict(pair.split("=") for pair in match.group(1).split(","))
                found.append((keys, match.group(2) or ""))
        return found

    def images(self) -> list[tuple[dict[str, str], bytes]]:
        """Every image sent: its first chunk's keys and its pixels, chunks joined."""
        images: list[tuple[dict[str, str], bytes]] = []
        keys: dict[str, str] | None = None
        payload = ""
        for command, data in self.commands():
            if command.get("a") == "T":
                keys, payload = command, ""
            if keys is None or "m" not in command:
                continue
            payload += data
            if command["m"] == "0":
                raw = base64.standard_b64decode(payload)
                images.append((keys, zlib.decompress(raw) if keys.get("o") == "z" else raw))
                keys = None
        return images

    def deletes(self) -> list[dict[str, str]]:
        return [keys for keys, _ in self.commands() if keys.get("a") == "d"]


def shown_rows(app: WatchPartyApp, view: VideoView) -> list[str]:
    """The view's rows as the screen composes them (what Textual sends the terminal)."""
    strips = app.screen._compositor.render_strips()
    region: Region = view.region
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


async def test_frames_go_out_as_kitty_graphics_behind_placeholders_of_the_panes_size(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    app, controller = video_app(busy_room(), graphics=KittyTerminal(cell_px=(9, 18)))
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        player.play()
        await until(pilot, lambda: view.stats.painted >= 3)

        columns, rows = view.size.width, view.size.height
        width, height = image_size(columns, rows, (9, 18))
        images = terminal.images()
        assert len(images) >= 3
        image_id = str(app.video.image.value)
        for keys, pixels in images:
            assert keys["i"] == image_id
            assert (keys["U"], keys["q"], keys["f"]) == ("1", "2", "24")
            assert (keys["c"], keys["r"]) == (str(columns), str(rows))
            assert (keys["s"], keys["v"]) == (str(width), str(height))
            assert len(pixels) == width * height * 3
        assert len({pixels for _, pixels in images}) > 1, "the picture moves"
        assert view.frame is None, "no cells are made"
        assert sorted(video_threads()) == ["video-kitty", "video-render"]

        await pilot.pause()
        lines = shown_rows(app, view)
        assert len(lines) == rows
        image = app.video.image
        for row, line in enumerate(lines):
            assert line.count(PLACEHOLDER) == columns
            assert line.startswith(placeholder_cell(image, row, 0))
            assert line.endswith(placeholder_cell(image, row, columns - 1))
        assert controller.intents == []


async def test_v_deletes_the_image_stops_sending_and_leaves_playback_alone(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    await player.seek_and_wait(3.0)
    app, controller = video_app(busy_room(), graphics=KittyTerminal())
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        await until(pilot, lambda: view.stats.painted >= 1)
        before = player.state

        await pilot.press("v")
        await pilot.pause()
        assert terminal.deletes() == [
            {"a": "d", "d": "I", "i": str(app.video.image.value), "q": "2"}
        ]
        assert player.frames is None
        assert player.mpv_option("vid") is False
        assert video_threads() == []
        sent = len(terminal.images())
        player.play()
        position = player.state.position or 0.0
        await until(pilot, lambda: (player.state.position or 0.0) > position + 0.3)
        player.pause()
        assert len(terminal.images()) == sent, "nothing is sent while hidden"

        await pilot.press("v")
        await until(pilot, lambda: len(terminal.images()) > sent)
        assert sorted(video_threads()) == ["video-kitty", "video-render"]
        after = player.state
        assert after.restarts == before.restarts, "a toggle must not look like a seek"
        assert controller.intents == []


async def test_a_write_that_fails_falls_back_to_cells_with_a_plain_status(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    app, _ = video_app(busy_room(), graphics=KittyTerminal())
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        terminal.fail_with = OSError("the terminal went away")
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        player.play()
        await until(pilot, lambda: view.frame is not None and view.stats.painted >= 1)

        assert view.kitty is None
        assert app.video.graphics is None
        assert any("Kitty graphics failed" in notice for notice in notices(app))
        assert "the terminal went away" in (app.video.graphics_problem or "")
        assert sorted(video_threads()) == ["video-cells", "video-render"]
        await pilot.pause()
        assert all(PLACEHOLDER not in line for line in shown_rows(app, view))
        assert not player.state.paused


async def test_a_frame_that_cannot_be_encoded_falls_back_to_cells(
    player: MpvPlayer, clock_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.kitty_feed

    def refuse(*args: object, **kwargs: object) -> str:
        raise MemoryError("no room for the frame")

    monkeypatch.setattr(tui.kitty_feed, "transmit", refuse)
    await player.load(str(clock_file))
    app, _ = video_app(busy_room(), graphics=KittyTerminal())
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        player.play()
        await until(pilot, lambda: view.frame is not None and view.stats.painted >= 1)

        assert app.video.graphics is None
        assert "no room for the frame" in (app.video.graphics_problem or "")
        assert terminal.images() == []
        assert sorted(video_threads()) == ["video-cells", "video-render"]


async def test_a_slow_terminal_costs_frames_not_the_apps_loop(
    player: MpvPlayer, clock_file: Path
) -> None:
    from tui.kitty_output import MAX_BACKLOG

    await player.load(str(clock_file))
    app, _ = video_app(busy_room(), graphics=KittyTerminal())
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        writer = stalled_writer(app)
        for _ in range(MAX_BACKLOG):
            writer.write("an earlier screen update")
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        player.play()
        await until(pilot, lambda: view.kitty is not None and view.kitty.dropped >= 3)
        assert terminal.images() == []
        assert app.video.graphics is not None, "slow is not broken: no fallback"

        while not writer._queue.empty():
            writer._queue.get_nowait()
        await until(pilot, lambda: len(terminal.images()) >= 2)


async def test_the_larger_view_sends_a_larger_picture_for_a_larger_placeholder(
    player: MpvPlayer, clock_file: Path
) -> None:
    await player.load(str(clock_file))
    app, _ = video_app(busy_room(), graphics=KittyTerminal(cell_px=(8, 16)))
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app)
        view = app.room_screen.query_one(VideoView)
        app.video.attach(player)
        player.play()
        await until(pilot, lambda: view.stats.painted >= 1)
        normal_rows = view.size.height

        await pilot.press("f")
        await until(pilot, lambda: view.size.height > normal_rows)
        rows = view.size.height
        await until(pilot, lambda: terminal.images()[-1][0]["r"] == str(rows))
        keys, pixels = terminal.images()[-1]
        width, height = image_size(80, rows, (8, 16))
        assert (keys["s"], keys["v"], keys["c"]) == (str(width), str(height), "80")
        assert len(pixels) == width * height * 3
        await until(
            pilot, lambda: view.graphics_frame is not None and view.graphics_frame.rows == rows
        )
        await pilot.pause()
        lines = shown_rows(app, view)
        assert len(lines) == rows
        assert all(line.count(PLACEHOLDER) == 80 for line in lines)
