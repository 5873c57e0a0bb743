"""The terminal graphics probe: its answers parsed, the choice made, and a pty that answers."""

from __future__ import annotations

import os
import pty
import threading
from collections.abc import Iterator

import pytest

from tui.graphics_probe import (
    CELL_SIZE_QUERY,
    DA1_QUERY,
    KITTY_QUERY,
    VERSION_QUERY,
    KittyTerminal,
    ProbeAnswer,
    choose_graphics,
    draws_placeholders,
    parse_answer,
    passthrough_allowed,
    probe_terminal,
)

KITTY_OK = b"\x1b_Gi=31;OK\x1b\\"
KITTY_VERSION = b"\x1bP>|kitty(0.35.2)\x1b\\"
CELL = b"\x1b[6;20;10t"
XTERM_DA1 = b"\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c"
SIXEL_DA1 = b"\x1b[?62;4;22c"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            KITTY_OK + KITTY_VERSION + CELL + b"\x1b[?62;c",
            ProbeAnswer(kitty=True, complete=True, cell_px=(10, 20), version="kitty(0.35.2)"),
        ),
        (XTERM_DA1, ProbeAnswer(complete=True)),
        (SIXEL_DA1, ProbeAnswer(sixel=True, complete=True)),
        (b"\x1b[?4;6c", ProbeAnswer(complete=True)),  # class 4 (VT132) is not sixel
        (b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\" + XTERM_DA1, ProbeAnswer(complete=True)),
        (KITTY_OK, ProbeAnswer(kitty=True)),  # DA1 not yet in: more may come
        (b"", ProbeAnswer()),
        (b"\x1b[6;0;0t\x1b[?1;2c", ProbeAnswer(complete=True)),  # a cell size of 0: unknown
        (b"garbage\x1b[?1;2c", ProbeAnswer(complete=True)),
    ],
)
def test_answers_are_parsed(answer: bytes, expected: ProbeAnswer) -> None:
    assert parse_answer(answer) == expected


@pytest.mark.parametrize(
    ("version", "term", "term_program", "draws"),
    [
        ("kitty(0.35.2)", "", "", True),
        ("kitty(0.28.0)", "", "", True),
        ("kitty(0.27.1)", "xterm-kitty", "", False),  # placeholders are new in 0.28
        ("ghostty 1.1.3", "", "", True),
        ("", "xterm-ghostty", "ghostty", True),
        ("", "xterm-kitty", "", True),
        ("WezTerm 20240203", "xterm-256color", "WezTerm", False),
        ("", "xterm-256color", "WezTerm", False),
        ("Konsole 24.02", "xterm-256color", "", False),
        ("", "xterm-256color", "", False),
    ],
)
def test_only_terminals_that_draw_placeholders_count(
    version: str, term: str, term_program: str, draws: bool
) -> None:
    assert draws_placeholders(version, term, term_program) is draws


@pytest.mark.parametrize(
    ("value", "allowed"), [("on\n", True), ("all", True), ("off\n", False), ("", False)]
)
def test_tmux_passthrough(value: str, allowed: bool) -> None:
    assert passthrough_allowed(value) is allowed


KITTY = ProbeAnswer(kitty=True, complete=True, cell_px=(9, 18), version="kitty(0.35.2)")


def tmux_saying(passthrough: str | None, client: str = "xterm-kitty"):  # type: ignore[no-untyped-def]
    def run(arguments: list[str]) -> str | None:
        if arguments[0] == "show":
            return passthrough
        return client + "\n"

    return run


@pytest.mark.parametrize(
    ("setting", "answer", "environ", "tmux", "chosen"),
    [
        ("auto", KITTY, {}, None, KittyTerminal(cell_px=(9, 18))),
        ("auto", ProbeAnswer(complete=True), {}, None, None),
        ("auto", None, {}, None, None),  # not a terminal
        ("cells", KITTY, {}, None, None),
        ("kitty", ProbeAnswer(complete=True), {}, None, KittyTerminal()),  # the user knows
        ("auto", KITTY, {"SSH_CONNECTION": "1 2 3 4"}, None, None),  # nothing new over SSH
        (  # asked for over SSH: the pixels are compressed
            "kitty",
            None,
            {"SSH_CONNECTION": "1 2 3 4"},
            None,
            KittyTerminal(compress=True),
        ),
        (  # WezTerm answers the query but draws no placeholders
            "auto",
            ProbeAnswer(kitty=True, complete=True, version="WezTerm 20240203"),
            {"TERM_PROGRAM": "WezTerm"},
            None,
            None,
        ),
        ("auto", None, {"TMUX": "/tmp/t,1,0"}, tmux_saying("on"), KittyTerminal(tmux=True)),
        ("auto", None, {"TMUX": "/tmp/t,1,0"}, tmux_saying("off"), None),
        ("auto", None, {"TMUX": "/tmp/t,1,0"}, tmux_saying(None), None),  # tmux < 3.3
        ("auto", None, {"TMUX": "/tmp/t,1,0"}, tmux_saying("on", "xterm-256color"), None),
        (
            "kitty",
            None,
            {"TMUX": "/tmp/t,1,0"},
            tmux_saying("all", "screen"),
            KittyTerminal(tmux=True),
        ),
        ("kitty", None, {"TMUX": "/tmp/t,1,0"}, tmux_saying("off"), None),
    ],
)
def test_the_choice(  # type: ignore[no-untyped-def]
    setting, answer, environ, tmux, chosen
) -> None:
    def no_tmux(arguments: list[str]) -> str | None:
        raise AssertionError("tmux asked outside tmux")

    assert choose_graphics(setting, answer, environ, tmux or no_tmux) == chosen


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    controller, pane = pty.openpty()
    yield controller, pane
    os.close(controller)
    os.close(pane)


def answer_queries(controller: int, answer: bytes) -> threading.Thread:
    """The terminal's side: read the whole probe, then answer it."""

    def run() -> None:
        expected = (KITTY_QUERY + VERSION_QUERY + CELL_SIZE_QUERY + DA1_QUERY).encode()
        received = b""
        while not received.endswith(expected):
            received += os.read(controller, 1024)
        os.write(controller, answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_kitty_terminal_is_recognised_through_a_pty(terminal: tuple[int, int]) -> None:
    controller, pane = terminal
    thread = answer_queries(controller, KITTY_OK + KITTY_VERSION + CELL + b"\x1b[?62;c")
    answer = probe_terminal(pane, pane, timeout_s=10)
    thread.join()
    assert answer == ProbeAnswer(
        kitty=True, complete=True, cell_px=(10, 20), version="kitty(0.35.2)"
    )


def test_a_plain_terminal_answers_da1_only(terminal: tuple[int, int]) -> None:
    controller, pane = terminal
    thread = answer_queries(controller, XTERM_DA1)
    answer = probe_terminal(pane, pane, timeout_s=10)
    thread.join()
    assert answer == ProbeAnswer(complete=True)


def test_a_silent_terminal_times_out_and_keeps_its_settings(terminal: tuple[int, int]) -> None:
    import termios

    _, pane = terminal
    before = termios.tcgetattr(pane)
    answer = probe_terminal(pane, pane, timeout_s=0.05)
    assert answer == ProbeAnswer()
    assert termios.tcgetattr(pane) == before, "echo and line mode are back"


def test_no_terminal_no_probe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open(tmp_path / "out", "w+b") as file:
        assert probe_terminal(file.fileno(), file.fileno()) is None


def test_launching_without_real_streams_asks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from tui.graphics_probe import detect_graphics

    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no file descriptor, as under pytest
    for name in ("TMUX", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    assert detect_graphics("auto") is None
    assert detect_graphics("cells") is None
    assert detect_graphics("kitty") == KittyTerminal()
