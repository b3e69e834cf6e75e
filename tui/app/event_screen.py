"""One event whole: its message wrapped, date and time, severity, source, kind, operator,
job and every structured field. Plain text, so it can be selected and copied."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app import format as fmt
from tui.model.entities import Event


class EventScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="event.close")]

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(fmt.plain(f"Event #{self.event.seq}: {self.event.kind}"),
                         classes="title", id="event-title")
            with VerticalScroll():
                yield Static(fmt.event_detail(self.event), id="event-detail")

    def action_close(self) -> None:
        self.dismiss(None)
