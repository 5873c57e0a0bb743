"""The keyboard map: one table that the room screen binds and the help screen lists."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    key: str
    """Textual key name(s), comma-separated."""
    shown_as: str
    action: str
    description: str
    help: str
    needs: str = ""
    """What the key needs to act on the room: "host", "connection" or nothing."""
    show_in_footer: bool = True
    footer_first: bool = False
    """Shown at the front of the footer (the help screen keeps the table's order): at 80
    columns the footer is cut at the right, and `? Help` and `q Quit` were cut off."""


ROOM_KEYS: tuple[Key, ...] = (
    Key("space", "Space", "toggle_play", "Play/Pause", "Play or pause for the whole room", "host"),
    Key("left", "←", "seek_small(-1)", "Back", "Seek back by the small step", "host", False),
    Key("right", "→", "seek_small(1)", "Forward", "Seek forward by the small step", "host", False),
    Key("down", "↓", "seek_large(-1)", "Back more", "Seek back by the large step", "host", False),
    Key(
        "up", "↑", "seek_large(1)", "Forward more", "Seek forward by the large step", "host", False
    ),
    Key(
        "pageup",
        "PgUp",
        "chapter(1)",
        "Next chapter",
        "Next chapter for the room (mpv's PgUp)",
        "host",
        False,
    ),
    Key(
        "pagedown",
        "PgDn",
        "chapter(-1)",
        "Previous chapter",
        "Previous chapter; over 5 s in, this one's start",
        "host",
        False,
    ),
    Key(
        "u",
        "u",
        "undo_seek",
        "Undo seek",
        "Undo the last seek for the room (again: redo)",
        "host",
        False,
    ),
    Key(
        "o",
        "o",
        "offset",
        "Offset",
        "Your own offset for another release, per media",
        show_in_footer=False,
    ),
    Key(
        "left_square_bracket",
        "[",
        "speed(-1)",
        "Slower",
        "Slower for the room, down to 0.5× (pitch kept)",
        "host",
        False,
    ),
    Key(
        "right_square_bracket",
        "]",
        "speed(1)",
        "Faster",
        "Faster for the room, up to 2× (pitch kept)",
        "host",
        False,
    ),
    Key(
        "backspace",
        "Backspace",
        "speed_reset",
        "1×",
        "Normal speed for the whole room",
        "host",
        False,
    ),
    Key("g", "g", "jump", "Jump", "Jump to a time you type (90, 1:30, 1:02:03)", "host"),
    Key("c", "c", "comment", "Comment", "Write a comment stamped with the video time"),
    Key("r", "r", "reply", "Reply", "Reply to the highlighted comment", show_in_footer=False),
    Key(
        "end",
        "End",
        "newest_comments",
        "Newest",
        "Show the newest comments (loading them if paged back)",
        show_in_footer=False,
    ),
    Key(
        "h",
        "h",
        "host_role",
        "Host",
        "Take the host role, hand it over, or ask for it",
        "connection",
    ),
    Key("v", "v", "toggle_video", "Video", "Show or hide the video (hidden, none is decoded)"),
    Key(
        "f",
        "f",
        "larger_video",
        "Larger",
        "Larger video: hide the members and comments (status and bar stay)",
        show_in_footer=False,
    ),
    Key("l", "l", "toggle_queue", "Queue", "Show or hide the room's queue"),
    Key("n", "n", "next_item", "Next", "Move the room to the next queue item", "host"),
    Key(
        "p",
        "p",
        "previous_item",
        "Previous",
        "Move the room to the previous queue item",
        "host",
        False,
    ),
    Key(
        "w",
        "w",
        "go_on",
        "Go on",
        "Start the item without the members the room waits for",
        "host",
        False,
    ),
    Key("question_mark", "?", "help", "Help", "Show this list of keys", footer_first=True),
    Key("q", "q", "quit", "Quit", "Leave the room and quit", footer_first=True),
)

FEED_KEYS: tuple[Key, ...] = (
    Key(
        "up",
        "↑",
        "cursor_up",
        "Up",
        "Previous comment; at the top, older ones load",
        show_in_footer=False,
    ),
    Key("down", "↓", "cursor_down", "Down", "Next comment", show_in_footer=False),
    Key("enter", "Enter", "select", "Go to", "Seek to the comment's moment, or mark it on the bar"),
    Key("escape", "Esc", "leave", "Back", "Back to the room (and clear the mark)"),
)
"""Keys in the comment list, bound by the feed itself (Home, PgUp, PgDn and End work too)."""

QUEUE_KEYS: tuple[Key, ...] = (
    Key("up", "↑", "cursor(-1)", "Up", "Previous item", show_in_footer=False),
    Key("down,j", "↓", "cursor(1)", "Down", "Next item", show_in_footer=False),
    Key("a", "a", "add", "Add", "Add a file, URL or web page (title optional)", "host"),
    Key("x,delete", "x", "remove", "Remove", "Remove the highlighted item", "host"),
    Key("shift+up", "Shift+↑", "move(-1)", "Move up", "Move the highlighted item up", "host"),
    Key("shift+down", "Shift+↓", "move(1)", "Move down", "Move the highlighted item down", "host"),
    Key("enter", "Enter", "play", "Play", "Move the room to the highlighted item", "host"),
    Key("escape,l", "Esc", "close", "Close", "Back to the comments"),
)
"""Keys in the queue view, bound by the view itself."""

APP_KEYS: tuple[Key, ...] = (
    Key("ctrl+p", "Ctrl+P", "command_palette", "Commands", "Open the command palette"),
    Key("tab", "Tab", "focus_next", "Comments", "Move to the comment list (↑/↓ pick, Esc back)"),
)


def bindings(keys: tuple[Key, ...]) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The keys as Textual bindings, in footer order: the first key (Space, the one a room
    presses most), then the `footer_first` ones, then the rest in the table's order."""
    if keys:
        first, rest = keys[:1], keys[1:]
        keys = first + tuple(k for k in rest if k.footer_first)
        keys += tuple(k for k in rest if not k.footer_first)
    return [
        Binding(
            key.key,
            key.action,
            key.description,
            show=key.show_in_footer,
            key_display=key.shown_as,
        )
        for key in keys
    ]
