"""Start maintenance: shows the core's plan for the lock, asks for the reason, and is
itself the confirmation (nothing happens before Start)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.app.notes import answer
from tui.model.plan import Plan


class MaintenanceStartScreen(FormScreen):
    AUTO_FOCUS = "#reason"  # focused as it mounts: keys typed right after opening land here
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="maintenance-start.cancel")]

    def __init__(self, plan: Plan, operator: str) -> None:
        super().__init__()
        self.plan, self.operator = plan, operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Start maintenance of domain {self.plan.target}"), classes="title")
            yield Static(plain(f"Plan (for {self.operator})"), classes="section")
            yield Static(plain(*(f" {i}. {s}" for i, s in enumerate(self.plan.steps, 1))), id="plan")
            yield Static("Reason (required, recorded in the event log)", classes="section")
            yield Input(placeholder="e.g. VC firmware 4.70", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("Start maintenance", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            answer(self, "a reason is required")
            return
        self.dismiss(reason)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()
