"""The data layer's pure parts: values by column type, filter parsing, ordering SQL."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from postgrest.utils import sanitize_param

from hub.data.errors import DataError
from hub.data.filters import parse_binding_filter, parse_filter, parse_in_list
from hub.data.ops import Order
from hub.data.schema import COMMENTS, ROOMS, TABLES
from hub.data.values import from_json, from_text

CURRENT_TIME = ROOMS.column("current_time")
CREATED_AT = COMMENTS.column("created_at")
COMMENT_ID = COMMENTS.column("id")
EPISODE = COMMENTS.column("episode_number")
IS_ANCHOR = COMMENTS.column("is_anchor")
assert CURRENT_TIME and CREATED_AT and COMMENT_ID and EPISODE and IS_ANCHOR


@given(st.lists(st.text(min_size=1), min_size=1, max_size=20))
def test_in_lists_as_postgrest_py_quotes_them_parse_back(values: list[str]) -> None:
    text = "(" + ",".join(sanitize_param(v) for v in values) + ")"
    assert parse_in_list(text) == values


@pytest.mark.parametrize("text", ["", "(", "a,b", '("a)', "(a,b", '("a"b)'])
def test_malformed_in_lists_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="in list"):
        parse_in_list(text)


def test_timestamps_are_stored_in_utc_with_microseconds() -> None:
    stored = "2026-11-26T12:45:14.500000+00:00"
    for spelling in (
        "2026-11-26T13:45:14.5+01:00",
        "2026-11-26 12:45:14.5Z",
        "2026-11-26T12:45:14.500",  # no offset: UTC, as a Supabase session
    ):
        assert from_json(CREATED_AT, spelling) == stored
        assert from_text(CREATED_AT, spelling) == stored


def test_uuids_are_stored_canonical() -> None:
    canonical = "5d1f3a52-3e4d-4b0c-9a53-04f9ad7a1c11"
    for spelling in (canonical.upper(), canonical.replace("-", ""), "{" + canonical + "}"):
        assert from_json(COMMENT_ID, spelling) == canonical


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        (CURRENT_TIME, True, "22P02"),
        (CURRENT_TIME, "1", "22P02"),
        (CURRENT_TIME, 10**400, "22003"),
        (EPISODE, 2**31, "22003"),
        (EPISODE, -(2**31) - 1, "22003"),
        (EPISODE, 2.0, "22P02"),
        (IS_ANCHOR, 0, "22P02"),
        (IS_ANCHOR, "false", "22P02"),
        (COMMENT_ID, "x" * 100, "22P02"),
        (CREATED_AT, 0, "22P02"),
        (CREATED_AT, "0001-01-01T00:00:00+01:00", "22008"),
    ],
)
def test_json_values_of_the_wrong_kind_are_refused(column, value, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError) as caught:
        from_json(column, value)
    assert caught.value.code == code


def test_filter_text_is_read_as_postgresql_reads_it() -> None:
    assert from_text(IS_ANCHOR, " TRUE ") == 1 and from_text(IS_ANCHOR, "off") == 0
    assert from_text(CURRENT_TIME, "1e3") == 1000.0
    assert from_text(CURRENT_TIME, "-Infinity") == -math.inf
    assert from_text(EPISODE, "+7") == 7
    for column, text in ((CURRENT_TIME, "nan"), (CURRENT_TIME, "1_0"), (EPISODE, "1.0")):
        with pytest.raises(DataError):
            from_text(column, text)


def test_binding_filters_are_one_condition_without_not() -> None:
    assert parse_binding_filter(COMMENTS, "room_id=eq.a,b").value == "a,b"  # no AND lists
    for text in ("room_id=not.eq.a", "room_id", "=eq.a", "room_id=is.null", "room_id=like.a"):
        with pytest.raises(DataError):
            parse_binding_filter(COMMENTS, text)
    assert parse_filter(COMMENTS, "room_id", "not.eq.a").negated


def test_order_spells_out_postgresql_null_placement_only_where_it_differs() -> None:
    seq, video = COMMENTS.column("seq"), COMMENTS.column("video_timestamp")
    assert seq and video
    assert Order(seq, descending=True).sql() == '"seq" DESC'  # not null: index order kept
    assert Order(video).sql() == '"video_timestamp" ASC NULLS LAST'
    assert Order(video, descending=True).sql() == '"video_timestamp" DESC NULLS FIRST'
    assert Order(video, nulls_first=True).sql() == '"video_timestamp" ASC'


def test_the_tables_are_the_contracts() -> None:
    assert {name: len(table.columns) for name, table in TABLES.items()} == {
        "rooms": 10,
        "room_members": 10,
        "comments": 15,
        "queue_items": 10,
    }
