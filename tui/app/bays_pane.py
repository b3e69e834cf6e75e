"""Bays pane: every bay of the selected scope, one line each, only visible lines drawn."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts
from tui.model.entities import Bay

TRIAGE_WIDTH = 26  # the needs-attention view's NEXT column: "NEW fail over → enc-w1/11"


class BaysTable(LineList):
    header_height = 1

    def __init__(self, *, id: str | None = "bays", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: list = []
        self._columns_width: tuple[int, int, bool] = (-1, -1, False)
        self._notes = False  # a bay in view carries a note: the NOTE column is shown
        self._bay_width = self._items_width = 10
        self._width_of: Sequence[Bay] | None = None  # the list _items_width was measured on
        self._width_count = 0
        self.sort = "bay"
        self.reverse = False
        # The needs-attention view's triage: bay -> (its next action, not seen yet)
        self.triage: Callable[[Bay], tuple[str, bool]] | None = None
        # Where the profile of a bay emptied by a failover or an evacuation went
        self.went: Callable[[Bay], str | None] = lambda bay: None

    def set_triage(self, triage: Callable[[Bay], tuple[str, bool]] | None) -> None:
        if (triage is None) != (self.triage is None):
            self._columns_width = (-1, -1, False)
            self._cache.clear()
            self._drawn.clear()
        self.triage = triage

    def set_items(self, items: Sequence[Bay], follow: bool = False,
                  notes: bool | None = None) -> None:
        """``notes``: whether any of ``items`` has a note, when the caller keeps count
        (the fleet's 16,000 bays on every feed batch); None: looked for here."""
        # BAY is as wide as the longest id in view: e00-0000/10 and /1 must not read alike.
        # The same list again (the fleet's, changed in place) keeps its ids: no pass over it.
        if items is not self._width_of or len(items) != self._width_count:
            self._width_of, self._width_count = items, len(items)
            longest = max((len(b.id) for b in items), default=0)
            self._items_width = min(fmt.BAY_WIDTH_MAX, max(10, longest))
        bay_width = self._items_width
        if notes is None:  # an empty NOTE column takes no room
            notes = any(b.note is not None for b in items)
        if bay_width != self._bay_width or notes != self._notes:
            self._bay_width, self._notes = bay_width, notes
            self._cache.clear()  # every line's columns move
            self._drawn.clear()
        super().set_items(items, follow)

    def columns(self, width: int) -> list:
        if (width, self._bay_width, self._notes) != self._columns_width:
            room = width - (TRIAGE_WIDTH + 1 if self.triage else 0)
            self._columns = fmt.fit_columns(room, {"bay": self._bay_width},
                                            () if self._notes else ("note",))
            self._columns_width = (width, self._bay_width, self._notes)
        return self._columns

    def item_key(self, item: Bay) -> Hashable:
        return item.id

    def header_signature(self) -> Hashable:
        return (self.sort, self.reverse, self._bay_width, self.triage is None, self._notes)

    def item_signature(self, item: Bay) -> Hashable:
        went = self.went(item)
        return (item, went) if self.triage is None else (item, went, self.triage(item))

    def header_parts(self, width: int) -> Parts:
        parts = []
        for column, w in self.columns(width):
            title = column.title[:w]
            if column.key == self.sort:  # the mark survives a title as wide as its column
                title = title[:w - 1] + ("v" if self.reverse else "^")
            parts.append((title.ljust(w) + " ", "header"))
        if self.triage is not None:
            parts.append(("NEXT".ljust(TRIAGE_WIDTH), "header"))
        return parts

    def item_parts(self, item: Bay, width: int) -> Parts:
        columns = self.columns(width)
        cells = fmt.bay_cells(item, columns)
        went = self.went(item)
        at = next((i for i, (c, _) in enumerate(columns) if c.key == "profile"), None)
        if went is not None and at is not None:  # "web-005 → enc-w2/16" in PROFILE
            w = columns[at][1]
            if len(went) > w:  # narrower: where it went, its "/<n>" kept ("→enc-…/16")
                where = "→" + went.split(" → ")[1]
                tail = where[where.rfind("/"):]
                went = where if len(where) <= w else where[:max(1, w - len(tail) - 1)] + "…" + tail
            cells[at] = (went[:w].ljust(w) + " ", "dim")
        if self.triage is not None:
            action, new = self.triage(item)
            if new:
                cells.append(("NEW ", "warn"))
            room = TRIAGE_WIDTH - (4 if new else 0)
            text = action if len(action) <= room else action[:room - 1] + "…"
            style = "crit" if action.startswith("NO SPARE") else ""
            cells.append((text, "dim" if item.acked_by else style))  # acknowledged: dimmed
        return cells

    @property
    def bay(self) -> Bay | None:
        return self.current
