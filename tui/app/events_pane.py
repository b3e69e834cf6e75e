"""Event log pane: live, newest at the bottom, filterable. It opens at the newest event
and follows; moving up (or PgUp) pauses following, End follows again. Each line is one
event cut at the pane width, or wrapped (``w``); Enter opens the event whole."""
from __future__ import annotations

import time
from collections.abc import Hashable

from textual.binding import Binding

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts
from tui.model.entities import Event
from tui.model.text import printable

MAX_EVENTS = 20_000
SEVERITY_FILTERS = ("info", "warning", "critical")
Row = tuple[Event, int]  # an event and which of its (wrapped) lines


class EventLog(LineList):
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="events.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="events.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="events.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="events.page-down"),
        Binding("home", "jump(0)", "Oldest", show=False, id="events.first"),
        Binding("end", "follow", "Follow", show=False, id="events.follow"),
        Binding("j", "cursor(1)", "Down", show=False, id="events.vim-down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="events.vim-up"),
        Binding("g", "jump(0)", "Oldest", show=False, id="events.vim-first"),
        Binding("G", "follow", "Follow", show=False, id="events.vim-last"),
    ]
    following = True  # follows the newest event until the operator moves up
    missed = 0  # events that arrived while paused (shown in the title)

    def __init__(self, *, id: str | None = "events", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.events: list[Event] = []
        self.shown: list[Event] = []  # the events that pass the filter
        self.text = ""
        self.min_severity = "info"
        self.wrap = False
        self._wrapped: dict[tuple[int, int, str], list[Parts]] = {}

    # -- how an event looks ---------------------------------------------------------------------
    def _today(self) -> str:
        clock = getattr(self.app, "clock", time.time)
        return time.strftime("%Y-%m-%d", time.localtime(clock()))

    def event_lines(self, event: Event, width: int) -> list[Parts]:
        """The event's lines: one cut at the width, or all of it wrapped to the width."""
        today = self._today()
        if not self.wrap:
            return [fmt.event_parts(event, today)]
        key = (event.seq, width, today)
        lines = self._wrapped.get(key)
        if lines is None:
            if len(self._wrapped) > 50_000:
                self._wrapped.clear()
            lines = self._wrapped[key] = fmt.wrap_parts(fmt.event_parts(event, today), width)
        return lines

    @property
    def event(self) -> Event | None:
        """The event under the cursor."""
        row = self.current
        return row[0] if row is not None else None

    def item_key(self, item: Row) -> Hashable:
        return (item[0].seq, item[1])

    def item_signature(self, item: Row) -> Hashable:
        # the day: after midnight yesterday's lines are drawn again, with their date
        return (item[0].seq, item[1], self.wrap, self._today())

    def item_parts(self, item: Row, width: int) -> Parts:
        lines = self.event_lines(item[0], width)
        return lines[item[1]] if item[1] < len(lines) else []

    def _rows(self) -> list[Row]:
        if not self.wrap:
            return [(e, 0) for e in self.shown]
        width = max(10, self.scrollable_content_region.width)
        return [(e, n) for e in self.shown for n in range(len(self.event_lines(e, width)))]

    # -- items -----------------------------------------------------------------------------------
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
        self.events.extend(events)
        if len(self.events) > MAX_EVENTS:
            del self.events[: len(self.events) - MAX_EVENTS]
        if self.text or self.min_severity != "info":
            self.shown = self.shown + [e for e in events if self._matches(e)]
            self.shown = self.shown[-MAX_EVENTS:]
        else:
            self.shown = self.events
        if not self.following:
            self.missed += sum(1 for e in events if self._matches(e))
        self._show()

    def _show(self, follow: bool | None = None) -> None:
        follow = self.following if follow is None else follow
        self.set_items(self._rows(), follow=follow)
        self.following = follow or not self.items
        if self.following:  # before the first layout the end is not known yet
            self.call_after_refresh(self._stay_at_end)

    def _stay_at_end(self) -> None:
        if self.following and self.items:
            self.move_cursor(len(self.items) - 1)
            # force: at start this runs before Textual has shown the scrollbar (which
            # permits scrolling); the first layout's end is all it waits for
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def set_filter(self, text: str | None = None, min_severity: str | None = None) -> None:
        if text is not None:
            self.text = text
        if min_severity is not None:
            self.min_severity = min_severity
        filtered = self.text or self.min_severity != "info"
        self.shown = [e for e in self.events if self._matches(e)] if filtered else self.events
        self._show(True)

    def cycle_severity(self) -> str:
        i = SEVERITY_FILTERS.index(self.min_severity)
        self.set_filter(min_severity=SEVERITY_FILTERS[(i + 1) % len(SEVERITY_FILTERS)])
        return self.min_severity

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self._cache.clear()
        self._show()
        return self.wrap

    # -- moving -----------------------------------------------------------------------------------
    def move_cursor(self, index: int) -> None:
        super().move_cursor(index)
        self.following = self.cursor >= len(self.items) - 1

    def action_cursor(self, delta: int) -> None:
        super().action_cursor(delta)
        if delta < 0:
            self.following = False  # any upward move pauses, even at the top

    def action_page(self, direction: int) -> None:
        super().action_page(direction)
        if direction < 0:
            self.following = False

    def action_jump(self, where: int) -> None:
        super().action_jump(where)
        if where == 0:
            self.following = False

    def action_follow(self) -> None:
        self.move_cursor(len(self.items) - 1)
        self.scroll_end(animate=False, immediate=True)
        self.following = True
        self.missed = 0

    def on_blur(self) -> None:
        """Leaving the pane resumes following: a pause is for reading, not for good."""
        super().on_blur()
        # another pane of this screen took the focus (not a dialog opened over it)
        if not self.following and self.app.screen is self.screen and self.screen.focused:
            self.action_follow()

    def on_resize(self) -> None:
        super().on_resize()
        if self.wrap:
            self._show()
        elif self.following:
            self.call_after_refresh(self._stay_at_end)

    def describe(self) -> str:
        parts = []
        if self.min_severity != "info":
            parts.append(f">= {self.min_severity}")
        if self.text:
            parts.append(f"/{printable(self.text)}")
        if self.wrap:
            parts.append("wrapped")
        if not self.following:
            parts.append(f"paused, {self.missed} new: End follows" if self.missed
                         else "paused: End follows")
        return ", ".join(parts)
