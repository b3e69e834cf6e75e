"""A long list scrolled a line at a time: the scrollbar is drawn again only when its thumb moves."""
from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.scrollbar import ScrollBar

from tui.app.linelist import LineList
from tui.app.themes import VARIABLE_DEFAULTS

pytestmark = pytest.mark.anyio


class _ListApp(App):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)  # the list's colours are the dashboard's

    def compose(self) -> ComposeResult:
        yield LineList()

    def on_mount(self) -> None:
        self.query_one(LineList).set_items(list(range(1_600)))
        self.query_one(LineList).focus()


async def test_a_line_of_scroll_redraws_the_scrollbar_only_when_its_thumb_moves(monkeypatch):
    drawn: list[float] = []
    real = ScrollBar.render

    def render(self):
        drawn.append(self.position)
        return real(self)
    monkeypatch.setattr(ScrollBar, "render", render)
    async with _ListApp().run_test(size=(60, 20)) as pilot:
        lines = pilot.app.query_one(LineList)
        bar = lines.vertical_scrollbar
        await pilot.press("pagedown")  # the cursor at the foot of the page: each Down scrolls
        await pilot.pause()
        drawn.clear()
        for _ in range(40):
            await pilot.press("down")
        await pilot.pause()
        top = lines.scroll_offset.y
        assert top >= 40 and bar.position == top  # kept exact, drawn or not
        # 40 lines of 1,600 in a 20-row bar (80 lines a cell): the thumb moves about four
        # eighths of a cell, so it is drawn about four times, not forty
        assert 1 <= len(drawn) <= 8, len(drawn)
        await pilot.press("end")  # a jump moves the thumb: drawn at the foot
        await pilot.pause()
        assert drawn[-1] == bar.position == lines.max_scroll_y
