"""Built-in media: a generated test pattern with a tone, so nothing needs downloading."""

from __future__ import annotations

from pathlib import Path


def demo_source(*, fps: int = 25, size: str = "640x360", tone_hz: int = 440) -> str:
    """A live lavfi source: moving test pattern plus a sine tone.

    Plays anywhere libmpv does, but libavfilter can only run forward (backward seeks do
    nothing), so rooms that seek should use `render_demo_file` instead.
    """
    return (
        f"av://lavfi:testsrc2=size={size}:rate={fps}[out0];"
        f"sine=frequency={tone_hz}:sample_rate=48000[out1]"
    )


def render_demo_file(
    path: Path,
    *,
    duration_s: float = 600.0,
    fps: int = 25,
    size: str = "640x360",
    keyframe_every_s: float = 1.0,
    video_codec: str = "mpeg4",
) -> Path:
    """Render `demo_source` into a seekable file with libmpv's own encoder (no ffmpeg CLI).

    Cached: an existing file is reused. Short keyframe intervals keep exact seeks cheap;
    ``video_codec="libx264"`` with a keyframe every 10 s is encoded as films are, where an
    exact seek decodes up to 10 s of frames.
    """
    from player.mpv_player import import_mpv

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
        encoder.play(demo_source(fps=fps, size=size))
        encoder.wait_for_playback(timeout=max(60.0, duration_s))
    finally:
        encoder.terminate()
    partial.rename(path)
    return path
