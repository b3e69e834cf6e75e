"""Alerting in a terminal: a new critical bay rings the bell (``[bayops] bell``), and the
terminal title carries the count of unacknowledged critical bays, so a background tmux
window or a minimised terminal flags (tmux: ``set -g set-titles on`` shows it)."""
from __future__ import annotations

from textual.app import App

from tui.model.text import printable


class Alerts:
    def __init__(self, app: App, bell: bool) -> None:
        self.app = app
        self.bell = bell
        self.known: set[str] | None = None  # None: nothing seen yet (no bell at start)
        self.title = ""

    def update(self, alerting: set[str]) -> None:
        new = alerting - self.known if self.known is not None else set()
        self.known = set(alerting)
        if new and self.bell:
            self.app.bell()
        self.set_title(f"bayops CRIT {len(alerting)}" if alerting else "bayops")

    def set_title(self, title: str) -> None:
        """OSC 2 through the driver: Textual's App.title is drawn inside the app only."""
        if title == self.title:
            return
        self.title = title
        driver = self.app._driver  # Textual has no public way to write to the terminal
        if driver is not None and not self.app.is_headless:
            driver.write(f"\x1b]2;{printable(title)}\x07")
            driver.flush()
