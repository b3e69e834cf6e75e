"""A domain's uplink ports in a dialog, read again every few seconds (as `bayops ports
--watch`): link, speed, networks, error counters and their rate since the last read."""
from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Static

from tui.app import format as fmt
from tui.app.text_screen import TextScreen
from tui.model.errors import BayopsError
from tui.model.upkeep import ErrorRates, PortStatus

READ_SECONDS = 2.0


class PortsScreen(TextScreen):
    def __init__(self, domain: str, read: Callable[[str], list[PortStatus]],
                 ports: list[PortStatus]) -> None:
        """``ports``: the first read (the caller's: a refusal is its to show)."""
        self.domain, self.read, self.errors = domain, read, ErrorRates()
        super().__init__(*self._texts(ports))

    def _texts(self, ports: list[PortStatus]) -> tuple[str, str]:
        rates = self.errors.update(ports, time.monotonic())
        down = sum(p.link != "up" for p in ports)
        return (f"Uplink ports of {self.domain}: {len(ports)}, {down} down",
                "\n".join(p.line(rates.get(p.name)) for p in ports) or "no uplink port")

    def on_mount(self) -> None:
        self.set_interval(READ_SECONDS, self.reload)

    def reload(self) -> None:
        try:
            self.title_text, self.body = self._texts(self.read(self.domain))
        except BayopsError as exc:  # the server gone, a role revoked: say so, keep the last read
            self.title_text = f"Uplink ports of {self.domain}: not read ({exc})"
        self.query_one("#text-title", Static).update(fmt.plain(self.title_text))
        self.query_one("#text-body", Static).update(fmt.plain(*self.body.split("\n")))
