"""A list that renders only its visible lines (the toolong pattern).

Subclasses say how an item looks as ``[(text, style-name)]`` parts; this base turns
parts into cached strips, keeps an optional sticky header line and a cursor that
stays on the same item (by key) when the items are replaced.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tui.model.text import printable

Parts = list[tuple[str, str]]

STYLE_NAMES = ("ok", "warn", "crit", "info", "dim", "spare", "maint", "job", "header", "cursor",
               "cursor-blur", "match")


class LineList(ScrollView, can_focus=True):
    """Virtual list: ``items`` in, one line per item out, cursor on top."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page-down"),
        Binding("home", "jump(0)", "First", show=False, id="list.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="list.last"),
        # a binding, not key_enter: a handled binding ends the key, so the enter that
        # opens a dialog never reaches the dialog's own enter binding as well
        Binding("enter", "activate", "Open", show=False, id="list.open"),
        Binding("j", "cursor(1)", "Down", show=False, id="list.vim-down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="list.vim-up"),
        Binding("g", "jump(0)", "First", show=False, id="list.vim-first"),
        Binding("G", "jump(-1)", "Last", show=False, id="list.vim-last"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"list--{n}" for n in STYLE_NAMES}
    DEFAULT_CSS = """
    LineList { background: $surface; }
    LineList > .list--ok { color: $bay-ok; }
    LineList > .list--warn { color: $bay-warning; text-style: bold; }
    LineList > .list--crit { color: $bay-critical; text-style: bold; }
    LineList > .list--info { color: $foreground-muted; }
    LineList > .list--dim { color: $foreground-muted; }
    LineList > .list--spare { color: $bay-spare; }
    LineList > .list--maint { color: $bay-maintenance; text-style: bold; }
    LineList > .list--job { color: $bay-job; text-style: bold; }
    LineList > .list--header { color: $foreground; text-style: bold underline; }
    LineList > .list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: bold;
    }
    LineList > .list--cursor-blur { background: $block-cursor-blurred-background; }
    LineList > .list--match { text-style: reverse; }
    """

    class Highlighted(Message):
        def __init__(self, sender: LineList, item: Any) -> None:
            super().__init__()
            self.sender = sender
            self.item = item

        @property
        def control(self) -> LineList:
            return self.sender

    class Activated(Highlighted):
        """Enter or a double click on an item."""

    show_cursor = True
    header_height = 0

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        self.items: Sequence[Any] = []
        self.cursor = 0
        self._cache: LRUCache[Hashable, Strip] = LRUCache(1024)
        self._drawn: dict[int, Hashable] = {}  # item index -> its look when last rendered
        self._styles: dict[str, Style] = {}
        self._style_generation = 0
        super().__init__(id=id, classes=classes)

    # -- subclass hooks ---------------------------------------------------------------------
    def item_key(self, item: Any) -> Hashable:
        return item

    def item_parts(self, item: Any, width: int) -> Parts:
        return [(str(item), "")]

    def header_parts(self, width: int) -> Parts:
        return []

    # -- items and cursor -------------------------------------------------------------------
    def set_items(self, items: Sequence[Any], follow: bool = False) -> None:
        """Replace the items; the cursor stays on the same item when it is still there.
        Only the visible lines that look different are repainted."""
        old = self.current
        old_key = self.item_key(old) if old is not None else None
        old_cursor = self.cursor
        old_count, old_top = len(self.items), int(self.scroll_offset.y)
        self.items = items
        if follow:
            self.cursor = max(0, len(items) - 1)
        elif old_key is not None and (old_cursor >= len(items)
                                      or self.item_key(items[old_cursor]) != old_key):
            self.cursor = next((i for i, it in enumerate(items) if self.item_key(it) == old_key),
                               min(old_cursor, max(0, len(items) - 1)))
        self.cursor = max(0, min(self.cursor, len(items) - 1))
        self._set_lines(len(items))
        if follow:
            self.scroll_end(animate=False, immediate=True)
        self._keep_cursor_visible()
        self._repaint_changed(old_count, old_top)
        new = self.current
        if new is not None and (old_key is None or self.item_key(new) != old_key):
            self.post_message(self.Highlighted(self, new))

    def _set_lines(self, count: int) -> None:
        """The list's height in lines. A list whose own size does not follow its lines
        (not ``height: auto``) lays out nothing when the count changes, only its scrollbar
        moves: a layout reflows the whole screen (20-35 ms of CPU at 16,000 bays, on every
        feed batch that brings an event). Textual lays out by itself when the scrollbar
        appears or goes (``show_vertical_scrollbar`` is a layout reactive)."""
        size = Size(self.size.width, count + self.header_height)
        if size == self.virtual_size:
            return
        if self.styles.auto_dimensions or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(LineList.virtual_size, size)
        self._scroll_update(size)  # Textual's own: scrollbar shown or not, thumb, scroll clamped
        self.refresh()

    def _repaint_changed(self, old_count: int, old_top: int) -> None:
        """Repaint the visible lines whose item, look or cursor differ from what was drawn
        (the items may be the same list, changed in place)."""
        top = int(self.scroll_offset.y)
        if top != old_top or old_count != len(self.items):
            self.refresh()
            return
        for index in range(top, min(len(self.items), top + self.page_height)):
            if self._drawn.get(index) != self._look(index):
                self.refresh_line(index + self.header_height)

    def _look(self, index: int) -> Hashable:
        item = self.items[index]
        return (self.item_key(item), self.item_signature(item),
                self.show_cursor and index == self.cursor)

    @property
    def current(self) -> Any | None:
        if 0 <= self.cursor < len(self.items):
            return self.items[self.cursor]
        return None

    def move_cursor(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        if index == self.cursor:
            return
        top = int(self.scroll_offset.y)
        self.cursor = index
        self._keep_cursor_visible()
        self._repaint_changed(len(self.items), top)
        self.post_message(self.Highlighted(self, self.items[index]))

    def select_key(self, key: Hashable) -> bool:
        for i, item in enumerate(self.items):
            if self.item_key(item) == key:
                self.move_cursor(i)
                return True
        return False

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def _keep_cursor_visible(self) -> None:
        if not self.show_cursor:
            return
        top = int(self.scroll_offset.y)
        page = self.page_height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self.page_height)

    def action_jump(self, where: int) -> None:
        self.move_cursor(len(self.items) - 1 if where < 0 else where)

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.header_height:
            return
        index = int(self.scroll_offset.y) + offset.y - self.header_height
        if 0 <= index < len(self.items):
            self.move_cursor(index)
            if event.chain >= 2:
                self.post_message(self.Activated(self, self.items[index]))

    def action_activate(self) -> None:
        if self.current is not None:
            self.post_message(self.Activated(self, self.current))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """ScrollView's, but the scrollbar repaints only when its thumb is drawn elsewhere:
        over 16,000 lines a line's scroll seldom moves it an eighth of a cell, and drawing
        the scrollbar again was a sixth of a scrolled frame. Its position stays exact."""
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            at = _thumb_at(bar, new_value)
            if at is not None and at == _thumb_at(bar, bar.position):
                bar.set_reactive(ScrollBar.position, bar.validate_position(new_value))
            else:
                bar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    # -- rendering --------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()
        self._style_generation += 1

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.items) + self.header_height)
        self._cache.clear()
        self._keep_cursor_visible()

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def style_for(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if name:
                style = self.get_component_rich_style(f"list--{name}", partial=True)
            else:
                style = Style()
            self._styles[name] = style
        return style

    def _strip(self, parts: Parts, width: int, extra: Style | None = None) -> Strip:
        base = self.rich_style
        segments = []
        for text, name in parts:
            style = base + self.style_for(name) if name else base
            if extra is not None:
                style = style + extra
            segments.append(Segment(printable(text), style))  # data never reaches the terminal raw
        fill = base + extra if extra is not None else base
        strip = Strip(segments).simplify()  # one segment a run: fewer to divide and filter a frame
        if strip.cell_length > width > 1 and \
                cell_len("".join(s.text for s in segments).rstrip()) > width:
            # Cut text says so: an ellipsis in the last column, in the style it cuts.
            cut = list(strip.crop(0, width - 1))
            strip = Strip([*cut, Segment("…", cut[-1].style if cut else fill)])
        return strip.crop_extend(0, width, fill)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y < self.header_height:
            key: Hashable = ("header", width, self._style_generation, self.header_signature())
            strip = self._cache.get(key)
            if strip is None:
                strip = self._strip(self.header_parts(width), width, self.style_for("header"))
                self._cache[key] = strip
            return strip
        index = int(self.scroll_offset.y) + y - self.header_height
        if not 0 <= index < len(self.items):
            return Strip.blank(width, self.rich_style)
        item = self.items[index]
        selected = self.show_cursor and index == self.cursor
        look = self._drawn[index] = self._look(index)
        key = (look, width, self.has_focus, self._style_generation)
        strip = self._cache.get(key)
        if strip is None:
            extra = None
            if selected:
                extra = self.style_for("cursor" if self.has_focus else "cursor-blur")
            strip = self._strip(self.item_parts(item, width), width, extra)
            self._cache[key] = strip
        return strip

    def header_signature(self) -> Hashable:
        return None

    def item_signature(self, item: Any) -> Hashable:
        """Changes whenever the item's rendering changes (items are frozen dataclasses)."""
        return item


def _thumb_at(bar: ScrollBar, position: float) -> int | None:
    """Where Textual's ScrollBarRender draws a vertical thumb's top, in eighths of a cell
    (its own sum; the thumb's length follows the sizes alone); None: no thumb to compare."""
    size, virtual, window = bar.size.height, bar.window_virtual_size, bar.window_size
    if not (size and virtual and window) or window >= virtual or size == virtual:
        return None
    thumb = max(1, window / (virtual / size))
    return int((size - thumb) * (position / (virtual - window)) * 8)
