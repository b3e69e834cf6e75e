"""Start maintenance: says what the lock means, asks for the reason, and is itself the
confirmation (nothing happens before Start)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.app.form_screen import FormScreen


class MaintenanceStartScreen(FormScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="maintenance-start.cancel")]

    def __init__(self, domain: str, group: str, others: list[str], lease_hours: float,
                 operator: str) -> None:
        super().__init__()
        self.domain, self.group, self.others = domain, group, others
        self.lease_hours, self.operator = lease_hours, operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Start maintenance of domain {self.domain}", classes="title")
            yield Static("Plan", classes="section")
            yield Static(
                f" 1. lock {self.domain} (group {self.group}) for {self.operator}, "
                f"lease {self.lease_hours:g} h\n"
                f" 2. while held, profile operations touching {self.domain} are refused\n"
                f" 3. its configuration may then change; complete propagates it to "
                f"{', '.join(self.others) or 'no other domain'}; cancel reverts it",
                id="plan")
            yield Static("Reason (required, recorded in the event log)", classes="section")
            yield Input(placeholder="e.g. VC firmware 4.70", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("Start maintenance", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("a reason is required", severity="warning")
            return
        self.dismiss(reason)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()
