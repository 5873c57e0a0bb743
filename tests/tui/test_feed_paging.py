"""The feed asks for each page once: one ask per window edge, again once the edge moves."""

from __future__ import annotations

from room.state import Comment
from tests.rooms import T0
from tui.widgets.comment_lines import CommentWindow
from tui.widgets.feed_paging import PagingAsks


def window(*ids: str, has_older: bool = False, has_newer: bool = False) -> CommentWindow:
    comments = tuple(Comment(i, "u", "user", i, T0) for i in ids)
    return CommentWindow(comments, has_older, has_newer)


def test_older_comments_are_asked_for_once_per_window_top() -> None:
    asks, paged_back = PagingAsks(), window("c3", "c4", has_older=True)
    assert asks.ask_older(paged_back)
    assert asks.loading_older(paged_back)
    assert not asks.ask_older(paged_back)
    assert not asks.ask_older(window("c3", "c4", "c5", has_older=True))  # news at the bottom
    grown = window("c1", "c2", "c3", "c4", has_older=True)
    assert not asks.loading_older(grown)
    assert asks.ask_older(grown)


def test_nothing_is_asked_for_at_the_beginning_or_the_end() -> None:
    asks, everything = PagingAsks(), window("c1", "c2")
    assert not asks.ask_older(everything)
    assert not asks.ask_newest(everything)
    assert not asks.loading_older(everything)


def test_the_newest_are_asked_for_once_per_window_end() -> None:
    asks, behind = PagingAsks(), window("c1", "c2", has_newer=True)
    assert asks.ask_newest(behind)
    assert not asks.ask_newest(behind)
    assert asks.loading_newer(behind)


def test_a_refused_ask_is_forgotten_so_the_next_move_retries() -> None:
    asks, paged_back = PagingAsks(), window("c3", has_older=True, has_newer=True)
    assert asks.ask_older(paged_back) and asks.ask_newest(paged_back)
    asks.forget()
    assert not asks.loading_older(paged_back) and not asks.loading_newer(paged_back)
    assert asks.ask_older(paged_back) and asks.ask_newest(paged_back)
