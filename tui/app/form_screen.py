"""Base of the small modal forms: OK submits, Cancel or escape dismisses with None."""
from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Button


class FormScreen(ModalScreen):
    def _submit(self) -> None:
        raise NotImplementedError

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
