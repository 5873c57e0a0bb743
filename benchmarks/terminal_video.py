"""The video in the pane: CPU, frames painted, bytes to the terminal, frame against sound.

Each case runs a Textual app in a pseudo-terminal of the pane's size: a `VideoView` filling it,
fed by `tui.video.VideoOutput` from a real headless libmpv (`ao=null`) through the software
render API, exactly as the app draws it (palette half-blocks, 256 colours, no COLORTERM, as
over SSH). The parent reads everything the app writes to the terminal and measures the app
process's CPU time from /proc (all threads: libmpv's decoder and render thread, our converter,
Textual) over the measured seconds.

Baselines in the same run and at the same size: the same app with the video off (`vid=no`,
what `v` leaves), and mpv's own `vo=tct` (256 colours, half-blocks, `vf=fps` at the same rate)
writing into a pseudo-terminal.

Kitty graphics (`kitty_*` keys): the same app sending each frame as kitty graphics behind
Unicode placeholders, as `player.video_graphics = "kitty"` does, with 8x16-pixel cells (the
picture is then the pane's pixels capped at 640x360) and no compression (as in a local
terminal). No kitty reads the pty: the figures are the app's side, not the terminal's.

    python benchmarks/terminal_video.py [--seconds 8] [--quick] [--repeat 1]

With `--repeat N` each case runs N times and reports its median run by CPU (`cpu_pct_runs`
lists them all): one 8-second window is a single sample of a machine that has other work.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _bootstrap  # noqa: F401 (first: the venv, and a private data and config folder)
from harness import OtherLoad, percentile, process_cpu_s

WARM_UP_S = 2.0
SIZES = ((80, 24), (160, 48))
RATES = (12, 15, 25)


# --------------------------------------------------------------------------------------------
# The child: one app (or mpv's vo=tct) in the terminal it was given
# --------------------------------------------------------------------------------------------
def child_app(source: str, fps: float, video: str, seconds: float, report: Path) -> None:
    from textual.app import App, ComposeResult

    from player.mpv_player import MpvPlayer
    from player.settings import PlayerSettings
    from tui.graphics_probe import KittyTerminal
    from tui.video import VideoOutput
    from tui.widgets.video_view import VideoView

    class VideoApp(App[None]):
        CSS = "Screen { layers: base; } VideoView { width: 1fr; height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield VideoView()

        async def on_mount(self) -> None:
            # "decode": mpv decodes the video and shows it nowhere (vo=null), the cost of
            # decoding alone; "off": no video decoded at all; "terminal": the pane in cells;
            # "kitty": the pane in kitty graphics.
            place = {"decode": "auto", "kitty": "terminal"}.get(video, video)
            vo = "null" if video == "decode" else None
            settings = PlayerSettings(video=place, vo=vo, ao="null", video_fps=fps)  # type: ignore[arg-type]
            self.player = MpvPlayer(settings=settings)
            graphics = KittyTerminal(cell_px=(8, 16)) if video == "kitty" else None
            self.output = VideoOutput(settings, graphics=graphics)
            view = self.query_one(VideoView)
            view.stats.keep_offsets = True
            self.output.check_colours(self.console.color_system, self.no_color)
            self.output.set_view(view)
            self.output.resize(view.size.width, view.size.height)
            await self.player.load(source)
            self.output.attach(self.player)
            self.player.play()
            self.set_timer(seconds, self.finish)

        def on_video_view_resized(self, message: VideoView.Resized) -> None:
            self.output.resize(message.columns, message.rows)

        async def finish(self) -> None:
            try:
                self.write_report()
            except Exception:
                import traceback

                report.with_suffix(".err").write_text(traceback.format_exc())
            self.output.detach()
            self.player.close()
            self.exit()

        def write_report(self) -> None:
            view = self.query_one(VideoView)
            frames = self.player.frames
            drops = self.player.mpv_property("frame-drop-count")
            stats = {
                "color_system": self.console.color_system,
                "graphics": "kitty" if self.output.graphics else "cells",
                "rendered": frames.stats.rendered if frames else 0,
                "skipped": frames.stats.skipped if frames else 0,
                "received": view.stats.received,
                "painted": view.stats.painted,
                "feed_dropped": self.output.feed.dropped if self.output.feed else 0,
                "mpv_drops": drops if isinstance(drops, int) else 0,
                "offsets_ms": [round(1000 * o, 2) for o in view.stats.offsets_s],
            }
            report.write_text(json.dumps(stats))

    VideoApp().run()


def child_tct(source: str, fps: float, seconds: float) -> None:
    from player.mpv_player import import_mpv

    mpv = import_mpv()
    player = mpv.MPV(vo="tct", ao="null", vo_tct_256="yes", vf=f"fps={fps}", really_quiet="yes")
    player.play(source)
    time.sleep(seconds)  # the child only plays; the parent measures
    player.terminate()


# --------------------------------------------------------------------------------------------
# The parent: run each case in a pty, measure
# --------------------------------------------------------------------------------------------
def run_case(args: list[str], columns: int, rows: int, seconds: float) -> dict[str, Any]:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "DISPLAY")}
    env.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    written = 0
    started = time.monotonic()
    measure_from = started + WARM_UP_S
    measure_until = measure_from + seconds
    cpu_start: float | None = None
    cpu_s: float | None = None
    load: OtherLoad | None = None
    other: float | None = None
    try:
        while process.poll() is None:
            ready, _, _ = select.select([controller], [], [], 0.05)
            now = time.monotonic()
            if ready:
                try:
                    chunk = os.read(controller, 1 << 16)
                except OSError:
                    break
                if measure_from <= now <= measure_until:
                    written += len(chunk)
            if cpu_start is None and now >= measure_from:
                cpu_start = process_cpu_s(process.pid)
                load = OtherLoad(lambda: [process.pid])
            if cpu_start is not None and cpu_s is None and now >= measure_until:
                cpu_s = process_cpu_s(process.pid) - cpu_start
                other = load.pct_of_a_core() if load else None
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        os.close(controller)
    span = measure_until - measure_from
    return {
        "cpu_pct": None if cpu_s is None else round(100 * cpu_s / span, 1),
        "bytes_per_s": round(written / span),
        "other_load_pct": other,
    }


def app_case(
    source: str, size: tuple[int, int], fps: float, video: str, seconds: float, folder: Path
) -> dict[str, Any]:
    report = folder / f"report-{size[0]}x{size[1]}-{fps}-{video}-{time.monotonic_ns()}.json"
    args = ["app", source, str(fps), video, str(seconds + WARM_UP_S + 1), str(report)]
    measured = run_case(args, *size, seconds)
    if report.with_suffix(".err").exists():
        raise RuntimeError(report.with_suffix(".err").read_text())
    stats = json.loads(report.read_text()) if report.exists() else {}
    offsets = stats.pop("offsets_ms", [])
    due = stats.get("rendered", 0)
    measured.update(stats)
    measured["painted_ratio"] = round(stats.get("painted", 0) / due, 3) if due else None
    measured["av_offset_p50_ms"] = percentile(offsets, 50)
    measured["av_offset_p95_ms"] = percentile(offsets, 95)
    return measured


def tct_case(source: str, size: tuple[int, int], fps: float, seconds: float) -> dict[str, Any]:
    return run_case(["tct", source, str(fps), str(seconds + WARM_UP_S + 1)], *size, seconds)


def repeated(times: int, case: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """The median run by CPU of `times` runs of `case(*args)`, with every run's CPU beside it."""
    runs = sorted((case(*args) for _ in range(times)), key=lambda run: run.get("cpu_pct") or 0.0)
    chosen = dict(runs[(len(runs) - 1) // 2])
    if times > 1:
        chosen["cpu_pct_runs"] = [run.get("cpu_pct") for run in runs]
    return chosen


def sources(folder: Path, quick: bool) -> dict[str, str]:
    from player.sources import demo_source, render_demo_file

    path = render_demo_file(
        folder / "motion-1280x720-25fps.mkv", duration_s=20 if quick else 40, size="1280x720"
    )
    found = {"file": str(path)}
    if not quick:
        found["lavfi"] = demo_source(fps=25, size="1280x720")
        # The demo's own size, close to the 320x240 file of terminal-video.md's prototype.
        small = render_demo_file(folder / "demo-320x180-25fps.mkv", duration_s=40, size="320x180")
        found["small_file"] = str(small)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case (median)")
    parser.add_argument("--child", nargs="+")
    options = parser.parse_args()
    if options.child:
        kind, source, fps, *rest = options.child
        if kind == "app":
            child_app(source, float(fps), rest[0], float(rest[1]), Path(rest[2]))
        else:
            child_tct(source, float(fps), float(rest[0]))
        return

    folder = Path(os.environ.get("XDG_DATA_HOME", "/tmp")) / "terminal-video-bench"
    folder.mkdir(parents=True, exist_ok=True)
    seconds = 5.0 if options.quick else options.seconds
    repeat = max(1, options.repeat)
    cases = (
        [((80, 24), 15), ((160, 48), 25)]
        if options.quick
        else [(size, fps) for size in SIZES for fps in RATES]
    )
    results: dict[str, Any] = {}
    table: list[str] = []
    for source_name, source in sources(folder, options.quick).items():
        for size, fps in cases:
            name = f"{size[0]}x{size[1]}_{fps}fps_{source_name}"
            results[name] = repeated(
                repeat, app_case, source, size, fps, "terminal", seconds, folder
            )
            table.append(f"{name:28} {results[name]}")
            print(table[-1], flush=True)
        for size in SIZES:
            name = f"{size[0]}x{size[1]}_off_{source_name}"
            results[name] = repeated(repeat, app_case, source, size, 15, "off", seconds, folder)
            print(f"{name:28} {results[name]}", flush=True)
            name = f"{size[0]}x{size[1]}_decode_only_{source_name}"
            results[name] = repeated(repeat, app_case, source, size, 15, "decode", seconds, folder)
            print(f"{name:28} {results[name]}", flush=True)
            fps = 15 if size == (80, 24) else 25
            name = f"{size[0]}x{size[1]}_{fps}fps_tct_{source_name}"
            results[name] = repeated(repeat, tct_case, source, size, fps, seconds)
            print(f"{name:28} {results[name]}", flush=True)
            if source_name == "file":
                name = f"{size[0]}x{size[1]}_{fps}fps_kitty_{source_name}"
                results[name] = repeated(
                    repeat, app_case, source, size, fps, "kitty", seconds, folder
                )
                print(f"{name:28} {results[name]}", flush=True)

    def pick(key: str, field: str) -> Any:
        return results.get(key, {}).get(field)

    painted = [r["painted_ratio"] for r in results.values() if r.get("painted_ratio") is not None]
    offsets = [r["av_offset_p95_ms"] for r in results.values() if r.get("av_offset_p95_ms")]
    loads = [r["other_load_pct"] for r in results.values() if r.get("other_load_pct") is not None]
    summary = {
        "seconds_per_case": seconds,
        "runs_per_case": repeat,
        "cpu_pct_80x24_15fps": pick("80x24_15fps_file", "cpu_pct"),
        "cpu_pct_160x48_25fps": pick("160x48_25fps_file", "cpu_pct"),
        "cpu_pct_80x24_12fps": pick("80x24_12fps_file", "cpu_pct"),
        "cpu_pct_160x48_15fps": pick("160x48_15fps_file", "cpu_pct"),
        "cpu_pct_80x24_15fps_lavfi": pick("80x24_15fps_lavfi", "cpu_pct"),
        "cpu_pct_160x48_25fps_lavfi": pick("160x48_25fps_lavfi", "cpu_pct"),
        "cpu_pct_80x24_15fps_320x180": pick("80x24_15fps_small_file", "cpu_pct"),
        "cpu_pct_160x48_25fps_320x180": pick("160x48_25fps_small_file", "cpu_pct"),
        "baseline_off_cpu_pct_80x24": pick("80x24_off_file", "cpu_pct"),
        "baseline_off_cpu_pct_160x48": pick("160x48_off_file", "cpu_pct"),
        "baseline_decode_only_cpu_pct_80x24": pick("80x24_decode_only_file", "cpu_pct"),
        "tct_cpu_pct_80x24_15fps": pick("80x24_15fps_tct_file", "cpu_pct"),
        "tct_cpu_pct_160x48_25fps": pick("160x48_25fps_tct_file", "cpu_pct"),
        "painted_ratio_min": min(painted) if painted else None,
        "av_offset_p50_ms": pick("80x24_15fps_file", "av_offset_p50_ms"),
        "av_offset_p95_ms": max(offsets) if offsets else None,
        "bytes_per_s_80x24_15fps": pick("80x24_15fps_file", "bytes_per_s"),
        "tct_bytes_per_s_80x24_15fps": pick("80x24_15fps_tct_file", "bytes_per_s"),
        "bytes_per_s_160x48_25fps": pick("160x48_25fps_file", "bytes_per_s"),
        "tct_bytes_per_s_160x48_25fps": pick("160x48_25fps_tct_file", "bytes_per_s"),
        "kitty_cpu_pct_80x24_15fps": pick("80x24_15fps_kitty_file", "cpu_pct"),
        "kitty_bytes_per_s_80x24_15fps": pick("80x24_15fps_kitty_file", "bytes_per_s"),
        "kitty_cpu_pct_160x48_25fps": pick("160x48_25fps_kitty_file", "cpu_pct"),
        "kitty_bytes_per_s_160x48_25fps": pick("160x48_25fps_kitty_file", "bytes_per_s"),
        "kitty_painted_ratio_min": min(
            (
                r["painted_ratio"]
                for key, r in results.items()
                if "_kitty_" in key and r.get("painted_ratio") is not None
            ),
            default=None,
        ),
        "mpv_drops_max": max((r.get("mpv_drops", 0) for r in results.values()), default=0),
        "other_load_pct_max": max(loads) if loads else None,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
