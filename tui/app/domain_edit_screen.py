"""Edit the configuration of a domain in maintenance: shows its drift from the group
baseline and asks for one KEY VALUE change (the same keys as `bayops domain set`)."""
from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain

KEY_HELP = ("network.NAME VLAN|-   fabric.NAME present|-   firmware VERSION   "
            "user.NAME ROLE|-")


class DomainEditScreen(FormScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="domain-edit.cancel")]

    def __init__(self, domain: str, config, baseline) -> None:
        super().__init__()
        self.domain, self.config, self.baseline = domain, config, baseline

    def compose(self) -> ComposeResult:
        diff = self.config.diff(self.baseline)
        with Vertical(classes="dialog wide-dialog"):
            yield Static(plain(f"Edit domain {self.domain} (in maintenance)"), classes="title")
            with VerticalScroll(classes="body"):
                yield Static("Configuration", classes="section")
                yield Static(plain(json.dumps(self.config.to_dict(), sort_keys=True)), id="config")
                yield Static("Drift from the group baseline", classes="section")
                yield Static(plain(*(f" {d}" for d in diff)) if diff else plain(" (none)"), id="drift")
            yield Static(KEY_HELP, classes="hint")
            with Horizontal(classes="buttons"):
                yield Input(placeholder="key, e.g. firmware", id="key")
                yield Input(placeholder="value, e.g. 4.70", id="value")
            with Horizontal(classes="buttons"):
                yield Button("Review change", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#key", Input).focus()

    def _submit(self) -> None:
        key = self.query_one("#key", Input).value.strip()
        value = self.query_one("#value", Input).value.strip()
        if not key or not value:
            self.notify("both a key and a value are needed", severity="warning")
            return
        self.dismiss((key, value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "key":
            self.query_one("#value", Input).focus()
        else:
            self._submit()
