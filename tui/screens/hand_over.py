"""Pick the member to hand the host role to."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from room.state import Member
from room.text import clean_name


class HandOverScreen(ModalScreen[str | None]):
    """Returns the chosen member's user id, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, candidates: tuple[Member, ...]) -> None:
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Hand the host role to"
            yield OptionList(
                *(Option(Text(clean_name(m.username)), id=m.user_id) for m in self.candidates),
                markup=False,
            )
            yield Label("Enter to hand over, Esc to keep it", id="hint")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
