"""Chapters: the renderer writes them into the file, and libmpv reads them back to the player."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from player.base import Chapter
from player.mkv_chapters import ChapterWriteError, write_chapters
from player.mpv_player import MpvPlayer, parse_chapter_list
from player.settings import PlayerSettings
from player.sources import render_demo_file
from room.chapters import Chapter as RoomChapter
from room.chapters import chapter_choice
from tests.player.conftest import seek_within, wait_within

HOSTILE = "\x1b]0;pwned\x07[b]bold[/b] \x1b[31mred " + "x" * 5000
CHAPTERS = ((0.0, "Opening"), (4.0, "Part one ✓"), (11.5, HOSTILE))


@pytest.fixture(scope="module")
def chaptered_file(demo_file: Path) -> Path:
    return render_demo_file(demo_file, duration_s=20, fps=100, size="160x90", chapters=CHAPTERS)


async def test_the_player_reports_the_chapters_written_into_the_file(
    player: MpvPlayer, chaptered_file: Path
) -> None:
    await player.load(str(chaptered_file))
    state = await wait_within(player, lambda s: len(s.chapters) == 3)
    assert [chapter.start for chapter in state.chapters] == pytest.approx([0.0, 4.0, 11.5])
    assert [chapter.title for chapter in state.chapters[:2]] == ["Opening", "Part one ✓"]
    # The file's text as it is (escapes and markup are the panes' to neutralise), cut.
    assert state.chapters[2].title == HOSTILE[:500]
    assert state.chapter == 0
    assert state.duration == pytest.approx(20.0, abs=0.2)


async def test_the_current_chapter_follows_the_position(
    player: MpvPlayer, chaptered_file: Path
) -> None:
    await player.load(str(chaptered_file))
    await seek_within(player, 12.0)
    assert (await wait_within(player, lambda s: s.chapter == 2)).chapter == 2
    await seek_within(player, 5.0)
    assert (await wait_within(player, lambda s: s.chapter == 1)).chapter == 1


async def test_a_file_without_chapters_reports_none(player: MpvPlayer, demo_file: Path) -> None:
    await player.load(str(demo_file))
    assert player.state.chapters == ()
    assert player.state.chapter is None


async def test_loading_another_file_forgets_the_old_chapters(
    player: MpvPlayer, chaptered_file: Path, demo_file: Path
) -> None:
    await player.load(str(chaptered_file))
    await wait_within(player, lambda s: len(s.chapters) == 3)
    await player.load(str(demo_file))
    assert player.state.chapters == ()


def test_a_cached_render_with_other_chapters_is_not_reused(demo_file: Path) -> None:
    one = render_demo_file(demo_file, duration_s=20, fps=100, size="160x90", chapters=CHAPTERS)
    other = render_demo_file(
        demo_file, duration_s=20, fps=100, size="160x90", chapters=((0.0, "Only"),)
    )
    assert one != other != demo_file
    assert (
        render_demo_file(demo_file, duration_s=20, fps=100, size="160x90", chapters=CHAPTERS) == one
    )


def test_chapters_are_not_written_twice(chaptered_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again.mkv"
    copy.write_bytes(chaptered_file.read_bytes())
    with pytest.raises(ChapterWriteError, match="has chapters already"):
        write_chapters(copy, ((1.0, "again"),), 20.0)


def test_a_file_that_is_not_matroska_is_refused_in_words(tmp_path: Path) -> None:
    text = tmp_path / "notes.mkv"
    text.write_bytes(b"\x1a\x45\xdf\xa3\x81\x00" + b"not a segment" * 10)
    with pytest.raises(ChapterWriteError, match="Segment"):
        write_chapters(text, ((1.0, "x"),), 20.0)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (None, ()),
        ("chapters", ()),
        (
            [{"title": "b", "time": 5.0}, {"title": "a", "time": 1}],
            (Chapter(1.0, "a"), Chapter(5.0, "b")),
        ),
        ([{"time": 2.0}], (Chapter(2.0, ""),)),
        ([{"title": 7, "time": 2.0}], (Chapter(2.0, ""),)),
        ([{"title": "nan", "time": float("nan")}, {"title": "neg", "time": -1.0}], ()),
        ([{"title": "inf", "time": float("inf")}, {"title": "bool", "time": True}], ()),
        ([{"title": "no time"}, "not a dict", [1, 2]], ()),
    ],
)
def test_a_chapter_list_is_checked_at_the_edge(node: object, expected: tuple[Chapter, ...]) -> None:
    assert parse_chapter_list(node) == expected


def test_a_huge_chapter_list_is_cut() -> None:
    node = [{"title": "t" * 10_000, "time": float(n)} for n in range(5000)]
    chapters = parse_chapter_list(node)
    assert len(chapters) == 1000
    assert all(len(chapter.title) == 500 for chapter in chapters)


def test_a_truncated_file_is_refused_in_words(tmp_path: Path) -> None:
    stub = tmp_path / "stub.mkv"
    stub.write_bytes(b"\x1a\x45\xdf\xa3\x84")
    with pytest.raises(ChapterWriteError, match="ends too soon"):
        write_chapters(stub, ((1.0, "x"),), 20.0)


def test_a_file_the_writer_cannot_patch_still_plays_without_chapters(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import player.mkv_chapters

    def refuse(path: Path, chapters: object, duration_s: float) -> None:
        raise ChapterWriteError(f"{path.name}: no room reserved after the SeekHead")

    monkeypatch.setattr(player.mkv_chapters, "write_chapters", refuse)
    chapters = ((0.0, "never written"),)
    rendered = render_demo_file(demo_file, duration_s=20, fps=100, size="160x90", chapters=chapters)
    assert rendered == demo_file  # the plain render, which plays
    assert "could not write chapters" in caplog.text and "no room reserved" in caplog.text
    assert not list(demo_file.parent.glob("*.part")), "no half-written copy left behind"


@pytest.fixture
async def mpv_with_keys() -> AsyncIterator[MpvPlayer]:
    """A headless player with mpv's own key bindings, to press its PgUp and PgDn."""
    instance = MpvPlayer(
        settings=PlayerSettings(vo="null", ao="null"),
        mpv_options={"input_default_bindings": "yes"},
    )
    yield instance
    instance.close()


@pytest.mark.parametrize(
    ("position", "key"),
    [
        (0.5, "PGUP"),
        (3.0, "PGUP"),
        (4.2, "PGUP"),
        (9.5, "PGUP"),
        (3.0, "PGDWN"),
        (8.0, "PGDWN"),  # 4 s into "Part one": the chapter before
        (9.5, "PGDWN"),  # 5.5 s into it: its own start
        (15.0, "PGDWN"),
        (17.0, "PGDWN"),
    ],
)
async def test_the_rooms_chapter_rule_lands_where_mpvs_own_keys_do(
    mpv_with_keys: MpvPlayer, chaptered_file: Path, position: float, key: str
) -> None:
    """room.chapters against the real thing: mpv's PgUp/PgDn from the same position (past
    the last chapter they differ on purpose; see room/chapters.py)."""
    player = mpv_with_keys
    await player.load(str(chaptered_file))
    await seek_within(player, position)
    restarts = player.state.restarts
    player._mpv.command("keypress", key)  # mpv's key, as in its window
    landed = await wait_within(player, lambda s: s.restarts > restarts and not s.seeking)
    chapters = [RoomChapter(start, title) for start, title in CHAPTERS]
    choice = chapter_choice(position, chapters, 1 if key == "PGUP" else -1)
    assert choice is not None
    assert landed.position == pytest.approx(choice.start_s, abs=0.011)  # a frame at 100 fps
