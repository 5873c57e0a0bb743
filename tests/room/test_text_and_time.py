from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from room.text import clean_message, clean_name, strip_controls, truncate
from room.timefmt import format_time, parse_time


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]0;owned title\x07alice", "alice"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("bell\x07 and back\x08space", "bell and backspace"),
        ("\u202eevil bidi", "evil bidi"),
        ("\x9b2Jclear", "clear"),
        ("[bold]kept literally[/bold]", "[bold]kept literally[/bold]"),
    ],
)
def test_strip_controls_removes_escapes_and_keeps_markup_text(raw: str, shown: str) -> None:
    assert strip_controls(raw) == shown


@given(st.text())
def test_cleaned_text_never_contains_control_characters(raw: str) -> None:
    for cleaned in (clean_name(raw), clean_message(raw, 2000)):
        assert "\x1b" not in cleaned and "\x9b" not in cleaned
        assert all(ch == "\n" or ord(ch) >= 0x20 for ch in cleaned)
        assert not any(0x7F <= ord(ch) <= 0x9F for ch in cleaned)


def test_names_are_one_line_and_bounded() -> None:
    assert clean_name("a\nb\tc", limit=32) == "a b c"
    assert clean_name("x" * 100, limit=10) == "x" * 9 + "…"
    assert clean_name("\x1b[2J") == "?"


def test_truncate_marks_the_cut() -> None:
    assert truncate("hello", 5) == "hello"
    assert truncate("hello!", 5) == "hell…"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (75.9, "1:15"),
        (3725, "1:02:05"),
        (None, "--:--"),
        (float("nan"), "--:--"),
        (-3, "--:--"),
        (float("inf"), "--:--"),
    ],
)
def test_format_time(seconds: float | None, text: str) -> None:
    assert format_time(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("1:30", 90), ("1:01:30", 3690), (" 0:05 ", 5), ("2:03.5", 123.5)],
)
def test_parse_time(text: str, seconds: float) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:60:00", "-5", "1::2", "nan", "1e9"])
def test_parse_time_refuses_non_times(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_time(text)
