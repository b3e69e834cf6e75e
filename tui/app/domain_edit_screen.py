"""Edit the configuration of a domain in maintenance: shows its configuration as lines
and its drift from the group baseline, and takes changes picked from a list of kinds
(network, fabric, firmware target, local user, storage setting, staged upgrade, restore)
with a name and a value, the allowed values listed beside them, so no key syntax of
`bayops domain set` is remembered. Each change is checked by the core (its Plan) against
the configuration the changes queued before it leave, then joins the queue shown in the
dialog (del removes one); a refusal is shown here with the core's reason. Review hands the
queue over: confirmed, its edits run in order, one job each, stopping at the first that
fails."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.app.confirm_screen import PlanView
from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.model.entities import DomainConfig, Job
from tui.model.errors import BadInput, BayopsError
from tui.model.plan import Plan
from tui.model.text import quoted
from tui.model.upkeep import file_reference

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


SOLO = ("upgrade", "restore")  # their own operations, not edits a later edit builds on


@dataclass(frozen=True)
class QueuedEdit:
    key: str
    value: str
    plan: Plan

    def text(self) -> str:
        if self.key == "upgrade":
            return f"upgrade now to {self.value}"
        if self.key == "restore":
            return f"restore backup {self.value}"
        return f"{self.key} = {self.value}"


def edit_plan(core: Client, domain: str, key: str, value: str,
              after: list[tuple[str, str]]) -> Plan:
    """The dialog's KEY VALUE as the core's plan, made against the configuration the
    ``after`` edits (queued before it) leave: ``upgrade`` and ``restore`` are their own
    operations (`bayops firmware upgrade`, `bayops domain restore`), queued alone; the
    rest `domain set`."""
    if key == "upgrade":
        return core.plan_firmware_upgrade(domain, value)
    if key == "restore":
        return core.plan_domain_restore(domain, _backup_id(value))
    return core.plan_domain_set(domain, key, value, after=after)


def edit_run(core: Client, domain: str, key: str, value: str, expect: Plan) -> Job:
    if key == "upgrade":
        return core.firmware_upgrade(domain, value, expect=expect)
    if key == "restore":
        return core.domain_restore(domain, _backup_id(value), expect=expect)
    return core.domain_set(domain, key, value, expect=expect)


def run_edits(core: Client, domain: str, edits: list[QueuedEdit]) -> list[tuple[Job, str]]:
    """The queue in order, one job each; the first refusal or failure stops it, its
    message saying which edits were made and which were not."""
    done: list[tuple[Job, str]] = []
    for i, edit in enumerate(edits):
        try:
            job = edit_run(core, domain, edit.key, edit.value, edit.plan)
        except BayopsError as exc:
            made = ", ".join(e.text() for e in edits[:i]) or "none"
            left = ", ".join(e.text() for e in edits[i + 1:])
            exc.message = (f"edit {i + 1} of {len(edits)} ({edit.text()}): {exc.message}; "
                           f"made: {made}" + (f"; not run: {left}" if left else ""))
            exc.args = (exc.message,)
            raise
        done.append((job, edit.text()))
    return done


def queue_view(domain: str, edits: list[QueuedEdit]) -> PlanView:
    """The confirmation of the queue: one edit's plan as it is; several as their steps in
    order, their warnings, and the drift the last one leaves (planned after the others)."""
    if len(edits) == 1:
        return PlanView.from_plan(edits[0].plan)
    view = PlanView.from_plan(edits[-1].plan)
    view.title = f"Edit domain {domain}: {len(edits)} edits"
    view.summary = f"{len(edits)} edits on {domain}, in order, one job each: " + \
        "; ".join(e.text() for e in edits)
    view.steps = [step for e in edits for step in e.plan.steps]
    view.details_title = "Drift from the baseline after these edits"
    view.warnings = [w for e in edits for w in e.plan.warnings]
    return view


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


class QueueList(OptionList):
    """The queued edits, in order; del (or backspace) removes the highlighted one."""

    BINDINGS = [Binding("delete,backspace", "remove", "Remove edit", id="domain-edit.remove")]

    def __init__(self, removed: Callable[[int], None]) -> None:
        super().__init__(id="queue", compact=True)
        self.removed = removed

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.removed(self.highlighted)


class DomainEditScreen(FormScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="domain-edit.cancel")]
    AUTO_FOCUS = "#kind"  # keys typed right after `E` pick the kind
    DEFAULT_CSS = """
    /* not the theme's .body (app CSS outranks this): it scrolls at 25vh so the picker, the
       queue and the buttons stay on screen at 80x24 */
    DomainEditScreen #edit-body { height: auto; max-height: 25vh; }
    DomainEditScreen .dialog Input { margin-bottom: 0; }
    DomainEditScreen #picker { height: auto; margin-top: 1; }
    DomainEditScreen #kind { width: 19; height: auto; border: none; padding: 0; }
    DomainEditScreen #fields { width: 1fr; height: auto; padding-left: 1; }
    DomainEditScreen .field { height: 1; }
    DomainEditScreen .field-label { width: 6; text-style: bold; }
    DomainEditScreen .field Input { width: 1fr; }
    DomainEditScreen #allowed { height: auto; color: $text-muted; }
    DomainEditScreen #queue-title { height: 1; text-style: bold; }
    DomainEditScreen #queue { height: auto; max-height: 4; border: none; padding: 0; }
    DomainEditScreen #edit-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, domain: str, config: DomainConfig, baseline: DomainConfig,
                 make_plan: Callable[[str, str, list[tuple[str, str]]], Plan]) -> None:
        super().__init__()
        self.domain, self.config, self.baseline = domain, config, baseline
        self.make_plan = make_plan
        self.kind = KINDS[0]
        self.queue: list[QueuedEdit] = []

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
                    yield Static("", id="queue-title")
                    yield QueueList(self._remove)
            yield Static("", id="edit-error")
            with Horizontal(classes="buttons"):
                yield Button("Add (enter)", id="add", compact=True)
                yield Button("Review", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._show_kind(KINDS[0])
        self._show_queue()

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

    def _show_queue(self) -> None:
        """The queue in order (typed text: never markup), and what Review does with it."""
        queue = self.query_one(QueueList)
        queue.clear_options()
        queue.add_options([plain(f"{i}. {e.text()}") for i, e in enumerate(self.queue, 1)])
        queue.display = bool(self.queue)
        self.query_one("#queue-title", Static).update(
            plain(f"Queued, in order ({len(self.queue)}; del removes one):") if self.queue
            else plain("Nothing queued: enter adds the edit"))
        n = len(self.queue)
        self.query_one("#ok", Button).label = f"Review {n} edit{'s' if n != 1 else ''}" if n \
            else "Review"

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_list.id == "kind":
            self._show_kind(BY_ID[event.option.id or ""])

    def _picked(self) -> None:
        self.query_one("#name" if self.kind.name else "#value", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#edit-error", Static).update(plain(text))

    def _planned(self, key: str, value: str, before: list[QueuedEdit]) -> Plan:
        return self.make_plan(key, value, [(e.key, e.value) for e in before])

    def _add(self) -> bool:
        """The edit in the boxes, checked against the queue, appended to it; False (the
        reason shown) if it is incomplete or refused."""
        name = self.query_one("#name", Input).value.strip() if self.kind.name else ""
        value = file_reference(self.query_one("#value", Input).value.strip())
        missing = "#name" if self.kind.name and not name else "#value" if not value else ""
        if missing:
            self._error(f"{self.kind.name if missing == '#name' else 'a value'} is needed")
            self.query_one(missing, Input).focus()
            return False
        key = edit_key(self.kind.id, name)
        if self.queue and (key in SOLO or self.queue[0].key in SOLO):
            self._error("an upgrade or a restore is reviewed alone: remove the queued "
                        "edits first, or review them")
            return False
        try:
            plan = self._planned(key, value, self.queue)
        except BayopsError as exc:
            self._error(exc.message)
            return False
        self.queue.append(QueuedEdit(key, value, plan))
        self._error("")
        for box in self.query(Input):
            box.value = ""
        self._show_queue()
        self._picked()  # the next edit of the same kind is the likeliest
        return True

    def _remove(self, index: int) -> None:
        """Drop an edit; those after it are planned again without it, and any the core now
        refuses are dropped too, the reason said."""
        removed, kept, dropped = self.queue[index], self.queue[:index], []
        for edit in self.queue[index + 1:]:
            try:
                kept.append(QueuedEdit(edit.key, edit.value, self._planned(edit.key, edit.value, kept)))
            except BayopsError as exc:
                dropped.append(f"{edit.text()} ({exc.message})")
        self.queue = kept
        self._show_queue()
        self._error(f"removed {removed.text()}" + (f"; dropped {'; '.join(dropped)}" if dropped else ""))
        if self.queue:
            self.query_one(QueueList).highlighted = min(index, len(self.queue) - 1)
        else:
            self._picked()

    def _boxes_empty(self) -> bool:
        """Nothing typed in the boxes shown (a hidden name box may keep another kind's)."""
        name = self.query_one("#name", Input).value.strip() if self.kind.name else ""
        return not name and not self.query_one("#value", Input).value.strip()

    def _submit(self) -> None:
        """Review: the edit still in the boxes joins the queue first; then the queue."""
        if (self.queue and self._boxes_empty()) or self._add():
            self.dismiss(list(self.queue))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Add; the other buttons are FormScreen's (Textual calls its handler next)."""
        if event.button.id == "add":
            event.stop()
            event.prevent_default()  # not FormScreen's too
            self._add()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter adds the edit; on empty boxes with edits queued, it reviews them."""
        event.stop()
        if self.queue and self._boxes_empty():
            self._submit()
        elif event.input.id == "name" and not self.query_one("#value", Input).value.strip():
            self.query_one("#value", Input).focus()
        else:
            self._add()
