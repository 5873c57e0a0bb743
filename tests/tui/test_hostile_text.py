"""Text from other users is shown literally: no markup, no escape sequences, bounded length."""

from __future__ import annotations

from room.state import Comment, Member
from tests.rooms import T0, busy_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import screen_text
from tui.widgets.comment_feed import CommentFeed
from tui.widgets.member_list import MemberList
from tui.widgets.playback_pane import PlaybackPane

MARKUP_NAME = "[bold red]boss[/]"
ESCAPE_NAME = "\x1b[2J\x1b]0;pwned\x07mallory"
LONG_NAME = "N" * 300
HOSTILE_MESSAGE = "[link=http://evil]click[/link] \x1b[31mred\x1b[0m " + "spam " * 2000


async def test_hostile_names_and_messages_render_as_plain_truncated_text(
    make_app: AppFactory,
) -> None:
    room = busy_room()
    for user_id, name in (("u-m", MARKUP_NAME), ("u-e", ESCAPE_NAME), ("u-l", LONG_NAME)):
        room = room.with_member(Member(user_id, name, is_host=False))
    room = room.with_comment(Comment("h1", "u-m", MARKUP_NAME, HOSTILE_MESSAGE, T0, 5.0))
    room = room.with_comment(Comment("h2", "u-e", ESCAPE_NAME, "\x1b[2Jhello\x07", T0, 6.0))
    app, _ = make_app(room)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        members = screen_text(app.screen.query_one(MemberList))
        feed_widget = app.screen.query_one(CommentFeed)
        feed_widget.scroll_end(animate=False)
        await pilot.pause()
        feed = screen_text(feed_widget)
        playback = screen_text(app.screen.query_one(PlaybackPane))

    assert "[bold red]boss[/]" in members  # markup shown as typed, not applied
    assert "mallory" in members and "pwned" not in members and "\x1b" not in members
    assert "N" * 20 in members and "N" * 60 not in members  # long name cut ...
    assert "…" in members  # ... with an ellipsis
    assert "[link=http://evil]click[/link]" in feed
    assert "red" in feed and "\x1b" not in feed and "\x07" not in feed
    assert feed.count("spam") < 100  # a 10 KB message is cut, not shown whole
    assert "hello" in feed
    assert "\x1b" not in playback


def test_feed_lines_are_built_from_plain_text_only() -> None:
    from datetime import UTC

    from tui.widgets.comment_lines import comment_text

    text = comment_text(Comment("x", "u", MARKUP_NAME, "[i]not italic[/i]", T0, 61.0), 0, UTC)
    assert text.plain.startswith("[bold red]boss[/] 20:15 ▸1:01\n[i]not italic[/i]")
    assert all(span.style in ("bold", "dim", "cyan") for span in text.spans)


async def test_a_hostile_chapter_title_from_a_media_file_renders_plain_and_cut(
    make_app: AppFactory,
) -> None:
    from dataclasses import replace

    from room.chapters import Chapter

    title = "\x1b]0;pwned\x07[bold red]boss[/] \x1b[2J" + "chapter " * 100_000
    room = busy_room()
    room = replace(
        room,
        playback=replace(
            room.playback, position=10.0, chapters=(Chapter(0.0, "a"), Chapter(5.0, title))
        ),
    )
    app, _ = make_app(room)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        playback = screen_text(app.screen.query_one(PlaybackPane))
    assert "2/2 [bold red]boss[/]" in playback  # markup as typed, the escapes gone
    assert "pwned" not in playback and "\x1b" not in playback
    assert playback.count("chapter") < 10 and "…" in playback
