"""Status bar: driver, operator and role, read-only marker, critical bays, failed bays with
no spare of their model, empty spare pools, clock. Words beside every colour."""
from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from tui.humanize import duration as fmt_age
from tui.model.text import printable


def clock_minute(clock: Callable[[], float]) -> str:
    """The clock as the header shows it: a repaint is due when this changes."""
    return time.strftime("%H:%M", time.localtime(clock()))


class HeaderBar(Widget):
    DEFAULT_CSS = """
    HeaderBar { dock: top; height: 1; background: $panel; color: $foreground; }
    """
    COMPONENT_CLASSES = {"header--title", "header--crit", "header--ok", "header--ro", "header--dim",
                         "header--warn"}

    def __init__(self, clock: Callable[[], float] = time.time, *, id: str | None = "header") -> None:
        super().__init__(id=id)
        self.clock = clock
        self.driver = "?"
        self.operator = "?"
        self.role = ""
        self.read_only = False
        self.lost = False  # the server does not answer (a client of bayops serve)
        self.lost_since: float | None = None  # since when: what the panes show is that old
        self.critical = 0  # unacknowledged, as the terminal title counts them
        self.acked = 0  # critical and acknowledged
        self.no_spare = 0
        self.uncovered = 0
        self.unspared = ""  # e.g. "no spare Gen10 in prod-db": what would be refused
        self.running = 0
        self.outline = False  # an outline of a big fleet: its figures are being read

    def update(self, **values: object) -> None:
        changed = False
        for key, value in values.items():
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed = True
        if changed:
            self.refresh()

    def _s(self, name: str):
        return self.get_component_rich_style(f"header--{name}", partial=True)

    def render(self) -> Text:
        left = Text.assemble((" bayops ", self._s("title")), " ",
                             (printable(self.driver), self._s("dim")), "  ", printable(self.operator),
                             (f" ({printable(self.role)})" if self.role else "", self._s("dim")))
        if self.read_only:
            left.append("  ")
            left.append(" READ-ONLY ", self._s("ro"))
        if self.lost:
            left.append("  ")
            age = "" if self.lost_since is None else \
                f", data {fmt_age(self.clock() - self.lost_since)} old"
            left.append(f" SERVER LOST{age} ", self._s("crit"))
        right = Text()
        if self.outline:
            return self._line(left, Text.assemble(("loading the fleet…", self._s("dim")),
                                                  "  " + clock_minute(self.clock) + " "))
        if self.running:
            right.append(f"jobs {self.running}  ", self._s("warn"))
        right.append(f"CRIT {self.critical}" if self.critical else "crit 0",
                     self._s("crit") if self.critical else self._s("ok"))
        if self.acked:
            right.append(f" +{self.acked} ack", self._s("dim"))
        right.append("  ")
        if self.uncovered:  # a failed bay with no spare of its model: the worst news first
            right.append(f"NO SPARE for {self.uncovered} crit", self._s("crit"))
        if self.no_spare:
            right.append(("  " if self.uncovered else "") + f"NO SPARE {self.no_spare} grp",
                         self._s("crit"))
        if not self.uncovered and not self.no_spare:
            right.append(self.unspared or "spares ok",
                         self._s("warn") if self.unspared else self._s("ok"))
        right.append("  " + clock_minute(self.clock) + " ")
        return self._line(left, right)

    def _line(self, left: Text, right: Text) -> Text:
        width = self.size.width
        room = width - right.cell_len
        if left.cell_len > room:
            left.truncate(max(0, room - 1))
            left.append(" ")
        gap = max(0, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)
