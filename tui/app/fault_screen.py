"""Simulator: choose the fault to inject into a bay."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.format import plain

FAULTS = {
    "critical": "server health critical (a failed server)",
    "cpu-threshold": "pre-failure: CPU correctable error threshold",
    "memory-errors": "pre-failure: correctable memory error storm",
    "no-answer": "management processor stops answering",
    "power-stuck": "power controller fault (power-off fails)",
    "wont-power-on": "power-on self test fault (power-on fails)",
}


class FaultScreen(ModalScreen[str | None]):
    AUTO_FOCUS = "OptionList"  # focused as it mounts: keys typed right after opening land here
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="fault.cancel")]

    def __init__(self, bay: str) -> None:
        super().__init__()
        self.bay = bay

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Simulator: inject a fault into {self.bay}"), classes="title")
            yield OptionList(*[Option(f"{k:14} {v}", id=k) for k, v in FAULTS.items()],
                             id="faults")
            yield Static("enter chooses, esc cancels", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
