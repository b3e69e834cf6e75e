"""Edit the configuration of a domain in maintenance: shows its drift from the group
baseline and asks for one KEY VALUE change (the same keys as `bayops domain set`). The
change is checked by the core (its Plan) before the dialog closes: a refusal is shown
here with the core's reason and the dialog stays open."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.model.entities import Job
from tui.model.errors import BadInput, BayopsError
from tui.model.plan import Plan
from tui.model.text import quoted

if TYPE_CHECKING:
    from tui.client.protocol import Client

KEY_HELP = ("network.NAME VLAN|-   fabric.NAME present|-   firmware VERSION (target)   "
            "user.NAME ROLE|-   storage.FABRIC.SETTING VALUE   upgrade VERSION (staged "
            "firmware upgrade)   restore BACKUP   (or type `key value` in the key box)")


def edit_plan(core: Client, domain: str, key: str, value: str) -> Plan:
    """The dialog's KEY VALUE as the core's plan: ``upgrade`` and ``restore`` are their own
    operations (`bayops firmware upgrade`, `bayops domain restore`), the rest `domain set`."""
    if key == "upgrade":
        return core.plan_firmware_upgrade(domain, value)
    if key == "restore":
        return core.plan_domain_restore(domain, _backup_id(value))
    return core.plan_domain_set(domain, key, value)


def edit_run(core: Client, domain: str, key: str, value: str, expect: Plan) -> Job:
    if key == "upgrade":
        return core.firmware_upgrade(domain, value, expect=expect)
    if key == "restore":
        return core.domain_restore(domain, _backup_id(value), expect=expect)
    return core.domain_set(domain, key, value, expect=expect)


def _backup_id(value: str) -> int:
    if not value.isdigit():
        raise BadInput(f"restore needs a backup number (bayops domain backups), got {quoted(value)}")
    return int(value)


class DomainEditScreen(FormScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="domain-edit.cancel")]
    AUTO_FOCUS = "#key"
    DEFAULT_CSS = """
    DomainEditScreen .field { height: auto; }
    DomainEditScreen .field-label { width: 7; padding-top: 1; text-style: bold; }
    DomainEditScreen .field Input { width: 1fr; }
    DomainEditScreen #edit-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, domain: str, config, baseline,
                 make_plan: Callable[[str, str], Plan]) -> None:
        super().__init__()
        self.domain, self.config, self.baseline = domain, config, baseline
        self.make_plan = make_plan

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
            with Horizontal(classes="field"):
                yield Label("Key", classes="field-label")
                yield Input(placeholder="key, e.g. firmware or network.web-front", id="key")
            with Horizontal(classes="field"):
                yield Label("Value", classes="field-label")
                yield Input(placeholder="value, e.g. 4.70, a VLAN id, or - to remove", id="value")
            yield Static("", id="edit-error")
            with Horizontal(classes="buttons"):
                yield Button("Review change", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _split_key(self) -> None:
        """`key value` typed into the key box: the first word is the key, the rest the value."""
        key_box, value_box = self.query_one("#key", Input), self.query_one("#value", Input)
        key, _, rest = key_box.value.strip().partition(" ")
        if rest.strip():
            key_box.value, value_box.value = key, rest.strip()

    def _error(self, text: str) -> None:
        self.query_one("#edit-error", Static).update(plain(text))

    def _submit(self) -> None:
        self._split_key()
        key = self.query_one("#key", Input).value.strip()
        value = self.query_one("#value", Input).value.strip()
        if not key or not value:
            self._error("both a key and a value are needed")
            self.query_one("#value" if key else "#key", Input).focus()
            return
        try:
            plan = self.make_plan(key, value)
        except BayopsError as exc:
            self._error(exc.message)
            return
        self.dismiss((key, value, plan))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "key":
            self._split_key()
            if not self.query_one("#value", Input).value.strip():
                self.query_one("#value", Input).focus()
                return
        self._submit()
