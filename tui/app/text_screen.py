"""A read-only page of plain text in a dialog (the coverage what-if): lines from the
core, shown as text, never as markup; scrolls, and closes on escape or q."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app import format as fmt


class TextScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="text.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.body = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(fmt.plain(self.title_text), classes="title", id="text-title")
            with VerticalScroll():
                yield Static(fmt.plain(*self.body.split("\n")), id="text-body")

    def action_close(self) -> None:
        self.dismiss(None)
