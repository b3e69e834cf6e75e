"""Event log pane: live, newest at the bottom, follows unless scrolled back, filterable."""
from __future__ import annotations

from collections.abc import Hashable

from textual.binding import Binding

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts
from tui.model.entities import Event

MAX_EVENTS = 20_000
SEVERITY_FILTERS = ("info", "warning", "critical")


class EventLog(LineList):
    BINDINGS = [
        Binding("up", "scroll_lines(-1)", "Up", show=False, id="events.up"),
        Binding("down", "scroll_lines(1)", "Down", show=False, id="events.down"),
        Binding("pageup", "scroll_lines(-10)", "Page up", show=False, id="events.page-up"),
        Binding("pagedown", "scroll_lines(10)", "Page down", show=False, id="events.page-down"),
        Binding("home", "scroll_to_start", "Oldest", show=False, id="events.first"),
        Binding("end", "follow", "Follow", show=False, id="events.follow"),
        Binding("j", "scroll_lines(1)", "Down", show=False, id="events.vim-down"),
        Binding("k", "scroll_lines(-1)", "Up", show=False, id="events.vim-up"),
        Binding("g", "scroll_to_start", "Oldest", show=False, id="events.vim-first"),
        Binding("G", "follow", "Follow", show=False, id="events.vim-last"),
    ]
    show_cursor = False

    def __init__(self, *, id: str | None = "events", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.events: list[Event] = []
        self.text = ""
        self.min_severity = "info"

    def item_key(self, item: Event) -> Hashable:
        return item.seq

    def item_parts(self, item: Event, width: int) -> Parts:
        return fmt.event_parts(item)

    following = True  # follows the newest event until the operator scrolls back

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.following = round(new_value) >= self.max_scroll_y

    def on_resize(self) -> None:
        super().on_resize()
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    def _matches(self, e: Event) -> bool:
        if fmt.SEVERITY_RANK.get(e.severity, 0) < fmt.SEVERITY_RANK[self.min_severity]:
            return False
        if self.text:
            text = fmt.event_text(e).lower()
            return all(w in text for w in self.text.lower().split())
        return True

    def add_events(self, events: list[Event]) -> None:
        if not events:
            return
        follow = self.following
        self.events.extend(events)
        if len(self.events) > MAX_EVENTS:
            del self.events[: len(self.events) - MAX_EVENTS]
        if self.text or self.min_severity != "info":
            new = [e for e in events if self._matches(e)]
            items = list(self.items) + new
        else:
            items = self.events
        self._show(items, follow)

    def _show(self, items: list[Event], follow: bool) -> None:
        self.items = items
        self.cursor = max(0, len(items) - 1)
        from textual.geometry import Size

        self.virtual_size = Size(self.size.width, len(items))
        if follow:
            self.scroll_end(animate=False, immediate=True)
            self.following = True
        self.refresh()

    def set_filter(self, text: str | None = None, min_severity: str | None = None) -> None:
        if text is not None:
            self.text = text
        if min_severity is not None:
            self.min_severity = min_severity
        self._show([e for e in self.events if self._matches(e)] if
                   (self.text or self.min_severity != "info") else self.events, True)

    def cycle_severity(self) -> str:
        i = SEVERITY_FILTERS.index(self.min_severity)
        self.set_filter(min_severity=SEVERITY_FILTERS[(i + 1) % len(SEVERITY_FILTERS)])
        return self.min_severity

    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + delta, animate=False)

    def action_scroll_to_start(self) -> None:
        self.scroll_home(animate=False)

    def action_follow(self) -> None:
        self.scroll_end(animate=False, immediate=True)
        self.following = True

    def describe(self) -> str:
        parts = []
        if self.min_severity != "info":
            parts.append(f">= {self.min_severity}")
        if self.text:
            parts.append(f"/{self.text}")
        if not self.following:
            parts.append("paused: End follows")
        return ", ".join(parts)
