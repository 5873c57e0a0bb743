"""Web pages through mpv's ytdl hook and yt-dlp, offline: a page on 127.0.0.1 with a video
in it, real headless libmpv, the yt-dlp of this virtualenv; and what a member is told when
it does not work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from player.errors import MediaLoadError
from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.ytdl import default_ytdl_path, load_failure_reason, ytdl_missing, ytdl_options
from tests.web_site import PAGE_TITLE, YTDL_OFFLINE_OPTIONS, WebSite, offline_site

# The lines libmpv 0.35.1 logged at level "error" in these cases (seen with python-mpv's
# log handler; "ytdl_hook" lines come from player/lua/ytdl_hook.lua lines 862-878).
NOT_FOUND = "youtube-dl failed: not found or not enough permissions"
STREAM_FAILED = "stream: Failed to open http://127.0.0.1:8000/gone."
REASONS = [
    (
        [
            STREAM_FAILED,
            "ytdl_hook: ERROR: [generic] gone: Unable to download webpage: HTTP Error 404: "
            "Not Found (caused by <HTTPError 404: Not Found>)",
            "ytdl_hook: youtube-dl failed: unexpected error occurred",
        ],
        False,
        "the server answered HTTP 404 Not Found",
    ),
    (
        ["ytdl_hook: ", f"ytdl_hook: {NOT_FOUND}", "cplayer: Failed to recognize file format."],
        False,
        "a web page needs yt-dlp, which is not installed (pip install 'watchparty-tui[ytdl]')",
    ),
    # The hook's lines had not arrived yet (libmpv delivers log lines after the end of the
    # file), but its yt-dlp is known to be missing.
    (
        [STREAM_FAILED],
        True,
        "the address did not open, and yt-dlp (for web pages) is not installed "
        "(pip install 'watchparty-tui[ytdl]')",
    ),
    (
        ["ytdl_hook: ERROR: Unsupported URL: http://127.0.0.1:8000/x"],
        False,
        "yt-dlp found no video at that address",
    ),
    (
        ["ytdl_hook: ERROR: [generic] x: Unable to extract title"],
        False,
        "yt-dlp could not get the video: Unable to extract title",
    ),
    (["cplayer: Failed to recognize file format."], False, "it is not a media file mpv can play"),
    ([], False, "it is not a media file mpv can play"),
    (["ffmpeg/demuxer: something odd"], False, "ffmpeg/demuxer: something odd"),
]


@pytest.mark.parametrize(("lines", "missing", "reason"), REASONS)
def test_a_failed_load_is_told_in_words(lines: list[str], missing: bool, reason: str) -> None:
    assert load_failure_reason(lines, ytdl_missing=missing) == reason


def test_mpv_runs_the_yt_dlp_beside_our_python_not_one_on_path() -> None:
    assert default_ytdl_path().parent == Path(sys.executable).parent
    options = ytdl_options(PlayerSettings())
    assert options == {"ytdl": "yes", "script_opts": f"ytdl_hook-ytdl_path={default_ytdl_path()}"}
    assert ytdl_options(PlayerSettings(ytdl=False)) == {"ytdl": "no"}
    chosen = ytdl_options(PlayerSettings(ytdl_path="/opt/yt-dlp", ytdl_raw_options="a=b"))
    assert chosen["script_opts"] == "ytdl_hook-ytdl_path=/opt/yt-dlp"
    assert chosen["ytdl_raw_options"] == "a=b"


def test_the_test_setup_installed_yt_dlp() -> None:
    assert not ytdl_missing(PlayerSettings()), "scripts/setup.sh --test installs the ytdl extra"
    assert ytdl_missing(PlayerSettings(ytdl_path="/nonexistent/yt-dlp"))
    assert not ytdl_missing(PlayerSettings(ytdl=False, ytdl_path="/nonexistent/yt-dlp"))


@pytest.mark.skipif(sys.platform.startswith("win"), reason="':' separates paths off Windows")
def test_a_ytdl_path_the_hook_would_split_is_refused() -> None:
    with pytest.raises(ValidationError, match="one path"):
        PlayerSettings(ytdl_path="/a/yt-dlp:/b/yt-dlp")


@pytest.mark.parametrize("options", ["ignore-config", "a=b,,c", "=x", "a b=c", "a=1,b"])
def test_yt_dlp_options_mpv_would_refuse_are_a_config_error(options: str) -> None:
    with pytest.raises(ValidationError, match="name=value pairs"):
        PlayerSettings(ytdl_raw_options=options)


@pytest.fixture
async def site(demo_file: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WebSite]:
    async with offline_site(demo_file, monkeypatch) as served:
        yield served


def headless(**ytdl: object) -> MpvPlayer:
    settings = {"ytdl_raw_options": YTDL_OFFLINE_OPTIONS, **ytdl}
    return MpvPlayer(settings=PlayerSettings(vo="null", ao="null", **settings))  # type: ignore[arg-type]


@pytest.mark.slow
async def test_a_page_with_a_video_plays_through_yt_dlp(site: WebSite) -> None:
    player = headless()
    try:
        await player.load(site.page)
        assert player.state.loaded
        assert player.state.duration == pytest.approx(20.0, abs=0.2)
        # The page's title as yt-dlp read it, kept as text (the queue shows it literally).
        title = player.mpv_property("media-title")
        assert isinstance(title, str) and "Night <b>[red]" in title
        player.play()
        async with asyncio.timeout(20):
            await player.wait_for(lambda s: (s.position or 0) > 0.2)
    finally:
        player.close()
    agents = [agent for path, agent in site.requests if path == "/watch/episode-1"]
    assert agents[0] == "libmpv", "mpv tries the address itself first"
    assert any(agent != "libmpv" for agent in agents[1:]), "then yt-dlp reads the page"
    assert any(path.startswith("/media/") for path, _ in site.requests)
    assert site.outside_requests == [], "nothing left 127.0.0.1"
    assert PAGE_TITLE  # the page sent markup and an escape sequence in its title


@pytest.mark.slow
async def test_a_missing_page_says_the_server_answered_404(site: WebSite) -> None:
    player = headless()
    try:
        with pytest.raises(MediaLoadError) as failure:
            await player.load(site.missing_page)
        assert failure.value.reason == "the server answered HTTP 404 Not Found"
    finally:
        player.close()
    assert site.outside_requests == []


@pytest.mark.slow
async def test_without_yt_dlp_a_page_says_so_and_a_direct_url_still_plays(
    site: WebSite, demo_file: Path
) -> None:
    player = headless(ytdl_path="/nonexistent/yt-dlp")
    try:
        with pytest.raises(MediaLoadError) as failure:
            await player.load(site.page)
        assert "yt-dlp" in failure.value.reason and "not installed" in failure.value.reason
        # The failure before does not answer for the next load.
        await player.load(site.video(demo_file))
        assert player.state.loaded and player.state.error is None
        assert player.state.duration == pytest.approx(20.0, abs=0.2)
    finally:
        player.close()


@pytest.mark.slow
async def test_with_the_hook_off_yt_dlp_never_runs(site: WebSite) -> None:
    player = headless(ytdl=False)
    try:
        with pytest.raises(MediaLoadError) as failure:
            await player.load(site.page)
        assert failure.value.reason == "it is not a media file mpv can play"
    finally:
        player.close()
    assert [agent for _, agent in site.requests] == ["libmpv"]
