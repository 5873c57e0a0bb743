"""The per-media offset: typed in the dialog, kept in the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.offsets import OffsetStore
from tui.screens.offset import parse_offset


@pytest.mark.parametrize(("text", "expected"), [("+1.5", 1.5), ("-0.25", -0.25), (" 0 ", 0.0)])
def test_offsets_are_signed_seconds(text: str, expected: float) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "1:30", "nan", "inf", "601", "-9999", "\x1b[2J"])
def test_bad_offsets_are_refused_in_plain_words(text: str) -> None:
    with pytest.raises(ValueError, match=r"seconds|at most"):
        parse_offset(text)


def test_an_offset_is_remembered_per_media_and_zero_forgets_it(tmp_path: Path) -> None:
    store = OffsetStore(tmp_path / "offsets.json")
    media = tmp_path / "episode-1.mkv"
    store.remember(str(media), 1.5)
    store.remember("https://example.com/ep2.mkv", -0.5)
    assert OffsetStore(tmp_path / "offsets.json").get(str(media)) == 1.5
    assert store.get(str(tmp_path / "." / "episode-1.mkv")) == 1.5  # same file, same key
    assert store.get("https://example.com/ep2.mkv") == -0.5
    store.remember(str(media), 0.0)
    assert store.get(str(media)) is None


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"a": "x", "b": true, "c": NaN}'])
def test_a_broken_file_loses_nothing_else(tmp_path: Path, content: str) -> None:
    path = tmp_path / "offsets.json"
    path.write_text(content)
    store = OffsetStore(path)
    assert store.get("a") is None
    store.remember("https://example.com/x", 2.0)  # and writing works again
    assert store.get("https://example.com/x") == 2.0
