"""Acknowledge one bay (A) or every visible one that needs it (K): an optional comment,
enter records it at once (a recorded act, not a job: nothing to plan or confirm), esc
changes nothing."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.model.entities import Bay

LISTED = 6  # bays named in the dialog; the rest are counted


class AckScreen(FormScreen):
    AUTO_FOCUS = "#comment"  # keys typed right after opening land in the comment
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ack.cancel")]

    def __init__(self, bays: list[Bay]) -> None:
        super().__init__()
        self.bays = bays

    def compose(self) -> ComposeResult:
        bays = self.bays
        title = (f"Acknowledge {bays[0].id} ({bays[0].health})" if len(bays) == 1
                 else f"Acknowledge {len(bays)} visible bays")
        with Vertical(classes="dialog"):
            yield Static(plain(title), classes="title")
            if len(bays) > 1:
                named = [f" {b.id} ({b.health})" for b in bays[:LISTED]]
                if len(bays) > LISTED:
                    named.append(f" and {len(bays) - LISTED} more")
                yield Static(plain(*named), id="ack-bays")
            yield Static("Comment (optional, in the event log)", classes="section")
            yield Input(placeholder="e.g. on it, ticket 4711", id="comment", max_length=200)
            yield Static("They stay listed, dimmed, until healthy; the title and the bell no "
                         "longer count them.", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Acknowledge (enter)", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _submit(self) -> None:
        self.dismiss(self.query_one("#comment", Input).value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()
