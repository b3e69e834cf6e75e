"""Set a group's auto-failover policy: mode and optional time window."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain

MODES = {
    "manual": "the operator starts every failover",
    "alert": "a pre-failure or critical event raises an alert recommending a failover",
    "auto": "the failover starts by itself, then alerts",
}


class ModeButton(RadioButton):
    """A radio button whose mark is a shape, not only a colour: ● chosen, blank not, so the
    choice reads in NO_COLOR and in 16 colours."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button


class PolicyScreen(FormScreen):
    AUTO_FOCUS = "RadioSet"  # focused as it mounts: keys typed right after opening land here
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="policy.cancel")]

    def __init__(self, group: str, mode: str, window: str) -> None:
        super().__init__()
        self.group, self.mode, self.window = group, mode, window

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Auto-failover policy of group {self.group}"), classes="title")
            yield Static(plain(f"Now: {self.mode}" + (f" during {self.window}" if self.window else "")),
                         classes="hint")
            with RadioSet(id="mode"):
                for mode, text in MODES.items():
                    yield ModeButton(f"{mode:7} {text}", value=mode == self.mode, id=f"mode-{mode}")
            yield Static("Window (empty = always), e.g. sat,sun or mon-fri 18:00-06:00",
                         classes="section")
            yield Input(self.window, id="window")
            with Horizontal(classes="buttons"):
                yield Button("Review", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _submit(self) -> None:
        pressed = self.query_one(RadioSet).pressed_button
        mode = pressed.id.removeprefix("mode-") if pressed and pressed.id else self.mode
        self.dismiss((mode, self.query_one("#window", Input).value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()
