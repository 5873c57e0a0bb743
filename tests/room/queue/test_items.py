"""Queue rows from the network: validated once, and opened only when safe."""

from __future__ import annotations

import pytest

from room.queue.items import in_order, may_open, parse_rows

ROW = {"id": "i1", "room_id": "r", "position": 1.0, "source": "https://example.com/a.mkv"}


@pytest.mark.parametrize(
    ("source", "open_paths", "opened"),
    [
        ("https://example.com/ep1.mkv", False, True),
        ("http://127.0.0.1:8000/page.html", False, True),
        ("/home/someone/.ssh/id_rsa", False, False),
        ("file:///etc/passwd", False, False),
        ("ytdl://ytsearch:anything", False, False),
        ("lavfi://sine", False, False),
        ("av://v4l2:/dev/video0", False, False),
        ("~/Videos/ep1.mkv", False, False),
        ("/srv/ep1.mkv", True, True),
        ("https://example.com/\x1b[31mred", False, False),
        ("https://example.com/\nnext", True, False),
    ],
)
def test_what_a_member_opens_by_itself(source: str, open_paths: bool, opened: bool) -> None:
    reason = may_open(source, open_paths=open_paths)
    assert (reason is None) == opened
    if not opened:
        assert reason  # in words


def test_bad_rows_are_dropped_and_the_good_kept_in_order() -> None:
    rows = [
        {**ROW, "id": "late", "position": 3.0},
        {**ROW, "id": "first", "position": 0.5},
        {**ROW, "id": "huge", "source": "x" * 5000},
        {**ROW, "id": "nan", "position": float("nan")},
        {**ROW, "id": "typed", "duration": "long"},
        "not a row",
    ]
    assert [item.id for item in in_order(parse_rows(rows))] == ["first", "late"]


def test_a_hostile_title_is_kept_as_text() -> None:
    title = "[bold red]EP1[/] \x1b]8;;file:///etc/passwd\x07link"
    (item,) = parse_rows([{**ROW, "title": title}])
    assert item.shown_title == title  # the TUI shows it literally (tests/tui)
