"""Notifications in the dashboard: every one printable, never markup; and none over a
dialog. A toast arriving while a dialog is up would cover its steps or its spare list at
80x24, so it waits until the dialog closes; only the dialog's own answer to a key
(``answer``) shows at once."""
from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from tui.model.text import printable

HELD_SHOWN = 3  # of the notifications held behind a dialog, the newest shown when it closes


class NotesApp(App):
    def __init__(self) -> None:
        super().__init__()
        self._held: list[tuple[str, str, SeverityLevel, float | None]] = []

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True, now: bool = False) -> None:
        """Names and values from data are shown printable, never as markup. ``now``: the
        answer to a key just pressed in the dialog that is up."""
        note = (printable(message), printable(title), severity, timeout)
        stack = self.screen_stack  # any thread: the job threads and the feed notify too
        if not now and stack and isinstance(stack[-1], ModalScreen):
            self._held.append(note)
            return
        super().notify(note[0], title=note[1], severity=severity, timeout=timeout, markup=False)

    def show_held(self) -> None:
        """What waited behind a dialog: the newest few, and how many more (the event log
        has them all)."""
        if not self._held or isinstance(self.screen, ModalScreen):
            return
        held, self._held = self._held, []
        if len(held) > HELD_SHOWN:
            super().notify(f"{len(held) - HELD_SHOWN} more arrived while a dialog was open "
                           "(the event log has them)", title="Notifications", timeout=6,
                           markup=False)
        for message, title, severity, timeout in held[-HELD_SHOWN:]:
            super().notify(message, title=title, severity=severity, timeout=timeout,
                           markup=False)


def answer(screen: Screen, message: str, title: str = "") -> None:
    """A dialog's answer to the key just pressed in it: shown at once, over the dialog."""
    app = screen.app
    if isinstance(app, NotesApp):
        app.notify(message, title=title, severity="warning", now=True)
    else:
        app.notify(message, title=title, severity="warning")
