"""Bays pane: every bay of the selected scope, one line each, only visible lines drawn."""
from __future__ import annotations

from collections.abc import Hashable

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts
from tui.model.entities import Bay


class BaysTable(LineList):
    header_height = 1

    def __init__(self, *, id: str | None = "bays", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: list = []
        self._columns_width = -1
        self.sort = "bay"
        self.reverse = False

    def columns(self, width: int) -> list:
        if width != self._columns_width:
            self._columns = fmt.fit_columns(width)
            self._columns_width = width
        return self._columns

    def item_key(self, item: Bay) -> Hashable:
        return item.id

    def header_signature(self) -> Hashable:
        return (self.sort, self.reverse)

    def header_parts(self, width: int) -> Parts:
        parts = []
        for column, w in self.columns(width):
            title = column.title
            if column.key == self.sort:
                title += "v" if self.reverse else "^"
            parts.append((title[:w].ljust(w) + " ", "header"))
        return parts

    def item_parts(self, item: Bay, width: int) -> Parts:
        return fmt.bay_cells(item, self.columns(width))

    @property
    def bay(self) -> Bay | None:
        return self.current
