"""Edit the configuration of a domain in maintenance: shows its configuration as lines
and its drift from the group baseline, and asks for one change picked from a list of
kinds (network, fabric, firmware target, local user, storage setting, staged upgrade,
restore) with a name and a value, the allowed values listed beside them, so no key syntax
of `bayops domain set` is remembered. The change is checked by the core (its Plan) before
the dialog closes: a refusal is shown here with the core's reason and the dialog stays
open."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.model.entities import DomainConfig, Job
from tui.model.errors import BadInput, BayopsError
from tui.model.plan import Plan
from tui.model.text import quoted

if TYPE_CHECKING:
    from tui.client.protocol import Client


@dataclass(frozen=True)
class Kind:
    """One entry of the picker: what it edits, how its name and value become the key of
    `bayops domain set` (or of upgrade/restore), and what values it takes."""
    id: str
    label: str
    name: str  # what the name box asks for; "" when the kind has no name
    values: str  # the allowed values, as shown


KINDS = (
    Kind("network", "network VLAN", "network name", "a VLAN id 1..4094, or - to remove"),
    Kind("fabric", "SAN fabric", "fabric name", "present (add it), or - to remove"),
    Kind("firmware", "firmware target", "", "a version, e.g. 4.70 (staged on complete)"),
    Kind("user", "local user", "user name",
         "a role: admin, operator, user, network, storage, domain; or - to remove"),
    Kind("storage", "storage setting", "fabric and setting, e.g. san-a speed",
         "type fc|fcoe|iscsi, speed auto|2..32, targets A,B, credentials @FILE; - removes"),
    Kind("upgrade", "upgrade now", "", "a version, staged one enclosure at a time now"),
    Kind("restore", "restore backup", "", "a backup number (bayops domain backups)"),
)
BY_ID = {k.id: k for k in KINDS}


def edit_key(kind: str, name: str) -> str:
    """The picker's kind and name as the key of `bayops domain set`: ``network.NAME``,
    ``storage.FABRIC.SETTING`` (the name's words joined by dots), or the kind alone."""
    if not BY_ID[kind].name:
        return kind
    return ".".join([kind, *name.replace(".", " ").split()])


def config_lines(config: DomainConfig) -> list[str]:
    """The configuration as readable lines, one per network, fabric, user and setting."""
    lines = [f" firmware  {config.firmware or '(none)'}"]
    lines += [f" network   {name}  VLAN {vlan}" for name, vlan in sorted(config.networks.items())]
    lines += [f" fabric    {name}" for name in sorted(config.fabrics)]
    lines += [f" user      {name}  role {role}" for name, role in sorted(config.users.items())]
    lines += [f" storage   {fabric}  {key} {value}"
              for fabric, settings in sorted(config.storage.items())
              for key, value in sorted(settings.items())]
    return lines


def _names(config: DomainConfig, kind: str) -> list[str]:
    """The names a kind has now, listed beside the name box."""
    return {"network": sorted(config.networks), "fabric": sorted(config.fabrics),
            "user": sorted(config.users), "storage": sorted(config.fabrics)}.get(kind, [])


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


class KindList(OptionList):
    """The picker of kinds. Enter moves the focus to the kind's first box at once, in the
    key's own handler: a name typed right after it (in one burst) lands in that box, not
    in the list while a message about the choice is still on its way."""

    def __init__(self, *options: Option, picked: Callable[[], None]) -> None:
        super().__init__(*options, id="kind", compact=True)
        self.picked = picked

    def action_select(self) -> None:
        super().action_select()
        self.picked()


class DomainEditScreen(FormScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="domain-edit.cancel")]
    AUTO_FOCUS = "#kind"  # keys typed right after `E` pick the kind
    DEFAULT_CSS = """
    /* not the theme's .body (app CSS outranks this): it scrolls at 30vh so the picker and
       buttons stay on screen at 80x24 */
    DomainEditScreen #edit-body { height: auto; max-height: 30vh; }
    DomainEditScreen .dialog Input { margin-bottom: 0; }
    DomainEditScreen #picker { height: auto; margin-top: 1; }
    DomainEditScreen #kind { width: 19; height: auto; border: none; padding: 0; }
    DomainEditScreen #fields { width: 1fr; height: auto; padding-left: 1; }
    DomainEditScreen .field { height: 1; }
    DomainEditScreen .field-label { width: 6; text-style: bold; }
    DomainEditScreen .field Input { width: 1fr; }
    DomainEditScreen #allowed { height: auto; color: $text-muted; }
    DomainEditScreen #edit-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, domain: str, config: DomainConfig, baseline: DomainConfig,
                 make_plan: Callable[[str, str], Plan]) -> None:
        super().__init__()
        self.domain, self.config, self.baseline = domain, config, baseline
        self.make_plan = make_plan
        self.kind = KINDS[0]

    def compose(self) -> ComposeResult:
        diff = self.config.diff(self.baseline)
        with Vertical(classes="dialog wide-dialog"):
            yield Static(plain(f"Edit domain {self.domain} (in maintenance)"), classes="title")
            with VerticalScroll(id="edit-body"):
                yield Static("Configuration", classes="section")
                yield Static(plain(*config_lines(self.config)), id="config")
                yield Static("Drift from the group baseline", classes="section")
                yield Static(plain(*(f" {d}" for d in diff)) if diff else plain(" (none)"), id="drift")
            with Horizontal(id="picker"):
                yield KindList(*(Option(k.label, id=k.id) for k in KINDS), picked=self._picked)
                with Vertical(id="fields"):
                    with Horizontal(classes="field", id="name-field"):
                        yield Label("Name", classes="field-label")
                        yield Input(id="name", compact=True)
                    with Horizontal(classes="field"):
                        yield Label("Value", classes="field-label")
                        yield Input(id="value", compact=True)
                    yield Static("", id="allowed")
            yield Static("", id="edit-error")
            with Horizontal(classes="buttons"):
                yield Button("Review change", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._show_kind(KINDS[0])

    def _show_kind(self, kind: Kind) -> None:
        """The fields for ``kind``: the name box only when it has names, its allowed values
        and the names it has now (text from the BMC: never markup)."""
        self.kind = kind
        self.query_one("#name-field").display = bool(kind.name)
        self.query_one("#name", Input).placeholder = kind.name
        self.query_one("#value", Input).placeholder = kind.values
        names = _names(self.config, kind.id)
        now = [f"now: {', '.join(names)}"] if names else []
        self.query_one("#allowed", Static).update(plain(f"{kind.label}: {kind.values}", *now))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_kind(BY_ID[event.option.id or ""])

    def _picked(self) -> None:
        self.query_one("#name" if self.kind.name else "#value", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#edit-error", Static).update(plain(text))

    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip() if self.kind.name else ""
        value = self.query_one("#value", Input).value.strip()
        missing = "#name" if self.kind.name and not name else "#value" if not value else ""
        if missing:
            self._error(f"{self.kind.name if missing == '#name' else 'a value'} is needed")
            self.query_one(missing, Input).focus()
            return
        key = edit_key(self.kind.id, name)
        try:
            plan = self.make_plan(key, value)
        except BayopsError as exc:
            self._error(exc.message)
            return
        self.dismiss((key, value, plan))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "name" and not self.query_one("#value", Input).value.strip():
            self.query_one("#value", Input).focus()
            return
        self._submit()
