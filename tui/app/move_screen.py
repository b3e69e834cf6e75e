"""Choose where a profile moves, in the core's order (the best spare first, invalid bays
below with the reason). Down or enter from the filter goes to the list, up from its first
row back to the filter, and typing in the list filters. A bay unfit only for its state
(critical, unknown) is taken only after the operator types that state."""
from __future__ import annotations

from collections.abc import Hashable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.app import format as fmt
from tui.app.form_screen import FormScreen
from tui.app.linelist import LineList, Parts
from tui.app.notes import answer


class TargetList(LineList):
    def item_key(self, item) -> Hashable:
        return item.bay.id

    def item_parts(self, item, width: int) -> Parts:
        b = item.bay
        mark, style = ("  ok ", "ok") if item.valid else \
            (" no! ", "warn") if item.forceable else (" no  ", "dim")
        health = fmt.HEALTH_TEXT.get(b.health, b.health) if not b.empty else ""
        return [(mark, style), (f"{b.id:12} ", "" if item.valid else "dim"),
                (f"{b.group:10} {fmt.short_model(b.model):12} {health:6} ", "dim"),
                (item.reason, "spare" if item.valid else "dim")]

    def action_cursor(self, delta: int) -> None:
        if delta < 0 and self.cursor == 0:
            self.screen.query_one("#target-filter", Input).focus()
            return
        super().action_cursor(delta)


class ForceUnfitScreen(FormScreen):
    """The typed confirmation that forces a profile onto an unfit bay: the operator types
    the bay's state; dismisses with it, or None."""

    AUTO_FOCUS = "#force-state"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="force-unfit.cancel")]

    def __init__(self, profile: str, choice) -> None:
        super().__init__()
        self.profile, self.choice = profile, choice

    def compose(self) -> ComposeResult:
        bay, state = self.choice.bay.id, self.choice.forceable
        with Vertical(classes="dialog"):
            yield Static(fmt.plain(f"Force {self.profile} onto {state} bay {bay}?"),
                         classes="title")
            yield Static(fmt.plain(self.choice.reason), classes="hint")
            yield Static(fmt.plain(f"Type {state} to force it (the plan still asks)"),
                         classes="section")
            yield Input(placeholder=state, id="force-state")
            with Horizontal(classes="buttons"):
                yield Button("Force", id="ok", variant="error", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _submit(self) -> None:
        if self.query_one("#force-state", Input).value.strip() != self.choice.forceable:
            self.app.bell()
            answer(self, f"type {self.choice.forceable} to force it, or esc")
            return
        self.dismiss(self.choice.forceable)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()


class MoveScreen(ModalScreen[tuple[str, str | None] | None]):
    """Dismisses with (target, the unfit state the operator typed to force it, or None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="move.cancel"),
                Binding("down", "to_list", "To the list", show=False, id="move.to-list")]
    AUTO_FOCUS = "#target-filter"
    DEFAULT_CSS = """
    MoveScreen .dialog.wide-dialog { width: 100%; max-width: 140; }
    MoveScreen #target-reason { height: auto; min-height: 2; }
    """

    def __init__(self, profile: str, source: str, choices: list) -> None:
        super().__init__()
        self.profile = profile
        self.source = source
        self.choices = choices

    def compose(self) -> ComposeResult:
        valid = sum(c.valid for c in self.choices)
        with Vertical(classes="dialog wide-dialog"):
            yield Static(fmt.plain(f"Move profile {self.profile} (now on {self.source})"),
                         classes="title")
            yield Static(f"{valid} valid target(s) of {len(self.choices)} bays. Type to filter, "
                         "enter or down to the list (up from its top: back); enter chooses; "
                         "esc cancels.", classes="hint")
            yield Input(placeholder="filter targets, e.g. enc-w2 or spare", id="target-filter",
                        select_on_focus=False)
            yield TargetList(id="targets")
            yield Static("", id="target-reason")

    def on_mount(self) -> None:
        self.query_one(TargetList).set_items(self.choices)
        self._show_reason(self.query_one(TargetList).current)

    def action_to_list(self) -> None:
        self.query_one(TargetList).focus()

    def on_key(self, event: events.Key) -> None:
        """A letter typed in the list goes to the filter (the list has no letter keys)."""
        box = self.query_one("#target-filter", Input)
        if self.query_one(TargetList).has_focus and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            box.value += event.character
            box.cursor_position = len(box.value)
            box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        items = [c for c in self.choices
                 if all(w in f"{c.bay.id} {c.bay.group} {c.bay.domain} {c.reason}".lower()
                        for w in words)]
        table = self.query_one(TargetList)
        table.set_items(items)
        self._show_reason(table.current)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(TargetList).focus()

    def on_line_list_highlighted(self, event: LineList.Highlighted) -> None:
        if not isinstance(event, LineList.Activated):
            self._show_reason(event.item)

    def _show_reason(self, choice) -> None:
        text = "" if choice is None else \
            f"{choice.bay.id}: {'valid' if choice.valid else 'not valid'}: {choice.reason}"
        if choice is not None and choice.forceable:
            text += f" (enter: type {choice.forceable} to force it)"
        self.query_one("#target-reason", Static).update(fmt.plain(text))

    def on_line_list_activated(self, event: LineList.Activated) -> None:
        event.stop()
        choice = event.item
        if choice.forceable:
            def forced(state: str | None) -> None:
                if state:
                    self.dismiss((choice.bay.id, state))
            self.app.push_screen(ForceUnfitScreen(self.profile, choice), forced)
            return
        if not choice.valid:
            self.app.bell()
            answer(self, f"{choice.bay.id}: {choice.reason}", title="Not a valid target")
            return
        self.dismiss((choice.bay.id, None))

    def action_cancel(self) -> None:
        self.dismiss(None)
