"""Built-in media: a generated test pattern with a tone, so nothing needs downloading."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)


def demo_source(*, fps: int = 25, size: str = "640x360", tone_hz: int = 440) -> str:
    """A live lavfi source: moving test pattern plus a sine tone.

    Plays anywhere libmpv does, but libavfilter can only run forward (backward seeks do
    nothing), so rooms that seek should use `render_demo_file` instead.
    """
    return (
        f"av://lavfi:testsrc2=size={size}:rate={fps}[out0];"
        f"sine=frequency={tone_hz}:sample_rate=48000[out1]"
    )


CLOCK_LEVELS = (0, 95, 135, 175, 215, 255)
"""The channel levels a clock frame is drawn in: the xterm palette's cube levels, so a frame
survives compression and the terminal's palette and still reads back exactly."""


def clock_source(*, fps: int = 25, size: str = "64x36", tone_hz: int = 440) -> str:
    """A live lavfi source whose picture is its own frame number, plus a tone.

    Frame N is two flat halves: the left half's red, green and blue are the base-6 digits 0-2
    of N, the right half's digits 3-5, each digit d drawn at `CLOCK_LEVELS[d]`. So 6**6 frames
    (10 minutes at 75 fps) read back unambiguously (`read_clock`).
    """

    def level(digit: str) -> str:
        return f"if(eq({digit},0),0,55+40*{digit})"

    def digit(place: int) -> str:
        return f"mod(floor(N/{6**place}),6)"

    def channel(low: int) -> str:
        return f"if(lt(X,W/2),{level(digit(low))},{level(digit(low + 3))})"

    picture = f"geq=r='{channel(0)}':g='{channel(1)}':b='{channel(2)}'"
    return (
        f"av://lavfi:color=black:size={size}:rate={fps},format=gbrp,{picture}[out0];"
        f"sine=frequency={tone_hz}:sample_rate=48000[out1]"
    )


def read_clock(left: tuple[int, int, int], right: tuple[int, int, int]) -> int:
    """The frame number of a clock frame, from a pixel of each half (RGB, nearest level)."""

    def digit(value: int) -> int:
        return min(range(6), key=lambda index: abs(CLOCK_LEVELS[index] - value))

    digits = [digit(value) for value in (*left, *right)]
    return sum(d * 6**place for place, d in enumerate(digits))


def demo_chapters(duration_s: float) -> tuple[tuple[float, str], ...]:
    """Chapters for a rendered demo of ``duration_s``: an opening, three parts, credits."""
    marks = ((0.0, "Opening"), (0.1, "Part one"), (0.4, "Part two"), (0.7, "Part three"))
    return (
        *((round(duration_s * at, 3), title) for at, title in marks),
        (round(duration_s * 0.95, 3), "Credits"),
    )


RENDER_VERSION = 2
"""Part of every rendered file's name: bumped whenever what the renderer writes changes, so a
file cached by an older renderer is never reused. (Version 1 files carried AAC audio timed
wrongly: after a seek libmpv played them at about 1.7x, video chasing audio seconds ahead,
and every benchmark on them measured that.)"""


def render_demo_file(
    path: Path,
    *,
    duration_s: float = 600.0,
    fps: int = 25,
    size: str = "640x360",
    keyframe_every_s: float = 1.0,
    video_codec: str = "mpeg4",
    source: str | None = None,
    chapters: Sequence[tuple[float, str]] = (),
) -> Path:
    """Render `demo_source` into a seekable file with libmpv's own encoder (no ffmpeg CLI).

    Cached: an existing file of this renderer's version is reused (the file written, and
    returned, is `path` with `.r{RENDER_VERSION}` before its suffix). Short keyframe
    intervals keep exact seeks cheap;
    ``video_codec="libx264"`` with a keyframe every 10 s is encoded as films are, where an
    exact seek decodes up to 10 s of frames. `source` replaces the demo's lavfi graph (say
    `clock_source(...)`); `size` is then ignored. `chapters` (start seconds, title; say
    `demo_chapters(duration_s)`) go into a copy of the render (`player.mkv_chapters`).
    """
    from player.mpv_player import import_mpv

    if chapters:
        from player.mkv_chapters import ChapterWriteError, with_chapters

        plain = render_demo_file(
            path,
            duration_s=duration_s,
            fps=fps,
            size=size,
            keyframe_every_s=keyframe_every_s,
            video_codec=video_codec,
            source=source,
        )
        try:
            return with_chapters(plain, chapters, duration_s)
        except ChapterWriteError as error:  # another muxer's layout: the video still plays
            log.warning("could not write chapters into %s: %s", plain.name, error)
            return plain

    versioned = f".r{RENDER_VERSION}"
    if not path.stem.endswith(versioned):  # a path this function returned is taken as is
        path = path.with_name(f"{path.stem}{versioned}{path.suffix}")
    if path.exists() and path.stat().st_size > 0:
        return path
    mpv = import_mpv()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    encoder = mpv.MPV(
        o=str(partial),
        of="matroska",
        ovc=video_codec,
        ovcopts=f"g={max(1, round(fps * keyframe_every_s))},b=1500000"
        + (",preset=veryfast" if video_codec == "libx264" else ""),
        # MPEG-1 Layer II: libmpv's encoder times AAC, Opus, Vorbis and MP3 (codecs with
        # encoder priming) wrongly here, so a 90 s render came out 150-480 s long, by chance;
        # PCM in Matroska stalls playback for ~200 ms after seeks.
        oac="mp2",
        vo="null",
        ao="null",
        end=str(duration_s),
    )
    try:
        encoder.play(source or demo_source(fps=fps, size=size))
        encoder.wait_for_playback(timeout=max(60.0, duration_s))
    finally:
        encoder.terminate()
    partial.rename(path)
    return path
