"""How the main screen's four panes share the terminal. From 100x28 up they sit side by
side; below, four squeezed panes cut every name (the tree, a 25-column event log), so one
pane at a time takes the screen (maximized, the header, filter bar and footer kept): the
focused one, switched with 1-4 or tab, the others named in its border."""
from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget

PANES = ("groups", "bays", "events", "jobs")  # their ids, in the order of keys 1-4 and tab
COMPACT_BELOW = (100, 28)


class PaneLayout:
    def __init__(self, screen: Screen) -> None:
        self.screen = screen

    @property
    def compact(self) -> bool:
        return self.screen.has_class("compact")

    def fit(self, width: int, height: int) -> None:
        screen = self.screen
        compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        if compact != self.compact:
            screen.set_class(compact, "compact")
            for pane in screen.query(", ".join(f"#{p}" for p in PANES)):
                others = [f"{n} {p}" for n, p in enumerate(PANES, 1) if p != pane.id]
                pane.border_subtitle = "  ".join(others) if compact else ""
            if compact:
                focused = screen.focused
                self.show(focused if focused is not None and focused.id in PANES
                          else screen.query_one("#bays"))
            else:
                screen.minimize()
        screen.set_class(width >= 180 and height >= 50, "wide")

    def focused(self, widget: Widget) -> None:
        """Focus moved (a key, go-to, a click): in compact, that pane is the one shown."""
        if self.compact and widget.id in PANES:
            self.show(widget)

    def show(self, pane: Widget) -> None:
        if self.screen.maximized is not pane:
            self.screen.maximize(pane, container=False)

    def next(self, step: int) -> str:
        """The pane tab (1) or shift+tab (-1) moves to: Textual's focus chain stops at a
        maximized pane, so the four are cycled by name, in both layouts."""
        focused = self.screen.focused
        at = focused.id if focused is not None else None
        here = PANES.index(at) if at in PANES else (-1 if step > 0 else 0)
        return PANES[(here + step) % len(PANES)]
