"""Choose where a profile moves: valid bays first, invalid ones below with the reason."""
from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts


class TargetList(LineList):
    def item_key(self, item) -> Hashable:
        return item.bay.id

    def item_parts(self, item, width: int) -> Parts:
        b = item.bay
        mark, style = ("  ok ", "ok") if item.valid else (" no  ", "dim")
        health = fmt.HEALTH_TEXT.get(b.health, b.health)
        return [(mark, style), (f"{b.id:12} ", "" if item.valid else "dim"),
                (f"{b.group:10} {fmt.short_model(b.model):12} {health:6} ", "dim"),
                (item.reason, "spare" if item.valid else "dim")]


class MoveScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="move.cancel")]

    def __init__(self, profile: str, source: str, choices: list) -> None:
        super().__init__()
        self.profile = profile
        self.source = source
        self.choices = sorted(choices, key=lambda c: (not c.valid, c.bay.group, c.bay.enclosure,
                                                      c.bay.number))

    def compose(self) -> ComposeResult:
        valid = sum(c.valid for c in self.choices)
        with Vertical(classes="dialog wide-dialog"):
            yield Static(fmt.plain(f"Move profile {self.profile} (now on {self.source})"),
                         classes="title")
            yield Static(f"{valid} valid target(s) of {len(self.choices)} bays with a server. "
                         "Type to filter, enter or down to the list; enter chooses; esc cancels.",
                         classes="hint")
            yield Input(placeholder="filter targets, e.g. enc-w2 or spare", id="target-filter")
            yield TargetList(id="targets")

    def on_mount(self) -> None:
        self.query_one(TargetList).set_items(self.choices)
        self.query_one("#target-filter", Input).focus()

    def key_down(self) -> None:
        if self.query_one("#target-filter", Input).has_focus:
            self.query_one(TargetList).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        items = [c for c in self.choices
                 if all(w in f"{c.bay.id} {c.bay.group} {c.bay.domain} {c.reason}".lower()
                        for w in words)]
        self.query_one(TargetList).set_items(items)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(TargetList).focus()

    def on_line_list_activated(self, event: LineList.Activated) -> None:
        event.stop()
        choice = event.item
        if not choice.valid:
            self.app.bell()
            self.notify(f"{choice.bay.id}: {choice.reason}", title="Not a valid target",
                        severity="warning")
            return
        self.dismiss(choice.bay.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
