"""Pilot tests for what the dashboard looks like without relying on colour: focus by shape,
visible pane borders in every theme, the policy choice and the selected row in NO_COLOR; the
header kept when zoomed and ticking under a dialog; the spare warning per model."""
from __future__ import annotations

import html
import re

import pytest
from textual.color import Color

from tests.app.conftest import FROZEN, make_app
from tui.app.bays_pane import BaysTable
from tui.app.header_bar import HeaderBar
from tui.app.policy_screen import ModeButton, PolicyScreen
from tui.app.themes import load_themes

SIZE = (120, 40)
PANES = ("groups", "bays", "events", "jobs")
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


def screen_lines(app) -> list[str]:
    """The text a user sees, line by line (the dialog and the screen behind it)."""
    svg = app.export_screenshot()
    rows: dict[str, str] = {}
    for y, text in re.findall(r'<text [^>]*y="([0-9.]+)"[^>]*>([^<]*)</text>', svg):
        rows[y] = rows.get(y, "") + html.unescape(text).replace("\xa0", " ")
    return [rows[y] for y in sorted(rows, key=float)]


async def test_focus_is_a_shape_and_unfocused_borders_show_in_every_theme(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        for key, focused in (("1", "groups"), ("2", "bays"), ("3", "events"), ("4", "jobs")):
            await pilot.press(key)
            await pilot.pause()
            edges = {p: screen.query_one(f"#{p}").styles.border_top[0] for p in PANES}
            assert edges.pop(focused) == "heavy"
            assert set(edges.values()) == {"round"}, edges
        for theme in load_themes()[0]:
            pilot.app.theme = theme.name
            await pilot.pause()
            pane = screen.query_one("#groups")
            border: Color = pane.styles.border_top[1]
            behind = pane.styles.background if pane.styles.background.a else screen.styles.background
            # round borders of blurred panes must stand out from what is behind them
            if theme.name != "ansi16":  # the terminal's own palette decides there
                assert abs(border.brightness - behind.brightness) > 0.15, theme.name


async def test_policy_choice_reads_without_colour(core, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(PolicyScreen("lab", "alert", ""))
        await pilot.pause()
        marks = {b.id: b._button.plain for b in pilot.app.screen.query(ModeButton)}
        assert marks["mode-alert"] != marks["mode-manual"] == marks["mode-auto"]
        assert "●" in marks["mode-alert"] and "●" not in marks["mode-manual"]
        await pilot.press("down")  # the cursor row is underlined, not only bold
        buttons = list(pilot.app.screen.query(ModeButton))
        cursor = {b.id for b in buttons if b.has_class("-selected")}
        underlined = {b.id for b in buttons if b.get_visual_style("toggle--label").underline}
        assert len(cursor) == 1 and underlined == cursor


async def test_no_color_selected_row_is_reverse_video(core, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        table = pilot.app.screen.query_one(BaysTable)
        assert pilot.app.no_color
        assert table.get_component_rich_style("list--cursor").reverse
        # an unfocused list's cursor is underlined, not a grey bar that swallows grey CRIT
        assert table.get_component_rich_style("list--cursor-blur").underline
        # and what reaches the terminal has no colour, not even 256-colour greys
        line = list(table.render_line(1))  # under the header: the cursor row
        for line_filter in pilot.app._filters:
            line = line_filter.apply(line, Color(0, 0, 0))
        colours = {c for s in line if s.style for c in (s.style.color, s.style.bgcolor) if c}
        assert colours and all(c.is_default for c in colours), colours
        assert any(s.style and s.style.reverse for s in line)  # the cursor still shows


@pytest.mark.parametrize("key", ["1", "2", "3", "4"])
async def test_a_zoomed_pane_takes_the_whole_width(core, key):
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await pilot.press(key, "z")
        await pilot.pause()
        assert screen.maximized is not None and screen.maximized.outer_size.width == SIZE[0]


async def test_zoom_keeps_the_header(core):
    core.sim_fault("enc-w2/4", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await pilot.press("2", "z")
        await pilot.pause()
        assert screen.maximized is screen.query_one(BaysTable)
        assert isinstance(screen.get_widget_at(0, 0)[0], HeaderBar)
        assert "CRIT 1" in screen_lines(pilot.app)[0]


@pytest.mark.parametrize("theme", ["dark", "ansi16"])
async def test_clock_ticks_while_a_dialog_is_open(core, theme):
    """The header stays readable behind a dialog (ANSI themes too) and keeps ticking."""
    now = [FROZEN]
    async with make_app(core, clock=lambda: now[0], theme=theme).run_test(size=SIZE) as pilot:
        await pilot.pause(1.2)
        before = screen_lines(pilot.app)[0]
        pilot.app.push_screen(PolicyScreen("lab", "alert", ""))
        await pilot.pause()
        now[0] += 120
        await pilot.pause(1.5)  # the clock is checked every second
        after = screen_lines(pilot.app)[0]
        assert before != after and before.replace("03:46", "03:48") == after


async def test_header_warns_of_a_failed_bay_with_no_spare_of_its_model(core):
    # lab's only spare is a Gen8; enc-l1/1 is a Gen9 booting from SAN
    core.sim_fault("enc-l1/1", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = screen_lines(pilot.app)[0]
        assert "NO SPARE for 1 crit" in header and "spares ok" not in header
    core.sim_fault("enc-l1/1", None)  # healed
    core.sim_fault("enc-w2/4", "critical")  # prod-web has a spare of that model
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = screen_lines(pilot.app)[0]  # lab's Gen9 profiles still have no spare
        assert "no spare Gen9 in lab" in header and "spares ok" not in header, header
    core.sim_hardware("enc-l1/2", "insert", "ProLiant BL460c Gen9")
    core.rediscover("enc-l1/2")
    core.spares("lab", ["enc-l1/2"], [])
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "spares ok" in screen_lines(pilot.app)[0]


async def test_80x24_shows_one_full_size_pane_at_a_time_and_cut_text_ends_in_an_ellipsis(core):
    """Below 100 columns the four panes are not squeezed side by side (the tree cut names,
    the events pane was 25 columns): the focused one takes the screen, 1-4 and tab switch,
    and the others are named in its border. Wider, all four show again."""
    from tui.app.events_pane import EventLog

    core.sim_fault("enc-w1/3", "critical")
    core.failover("enc-w1/3")
    async with make_app(core).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        for keys, shown in ((("2",), "bays"), (("3",), "events"), (("tab",), "jobs"),
                            (("tab",), "groups"), (("shift+tab",), "jobs"), (("1",), "groups")):
            await pilot.press(*keys)
            await pilot.pause()
            pane = screen.query_one(f"#{shown}")
            assert screen.focused is pane and screen.maximized is pane, (keys, screen.focused)
            assert pane.region.width == 80 and pane.region.height >= 20, pane.region
            assert all(screen.query_one(f"#{p}").region.width == 0 for p in PANES if p != shown)
            assert "2 bays" in pane.border_subtitle or shown == "bays"
        await pilot.press("a")  # the attention queue itself, not the tree behind it
        await pilot.pause()
        assert screen.maximized is screen.query_one(BaysTable)
        await pilot.press("4")
        await pilot.pause()
        job = [line for line in screen_lines(pilot.app) if "fail over web-003" in line]
        assert job and "enc-w1/3 -> enc-w2/16" in job[0], job  # whole at full width
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.maximized is None
        assert all(screen.query_one(f"#{p}").region.width > 0 for p in PANES)
        log = screen.query_one(EventLog)
        assert log.region.width < 60
        lines = screen_lines(pilot.app)
        cut = [line for line in lines if "fleet created from" in line]
        assert cut and all("…" in line for line in cut), cut
        job = [line for line in lines if "fail over web-003" in line]
        assert job and "enc-w2/16" not in job[0] and "…" in job[0], job  # 30 columns
        tree = [line for line in screen_lines(pilot.app) if "prod-web 72b" in line]
        assert tree and tree[0].split("││")[0].rstrip(" │").endswith("…"), tree


@pytest.mark.parametrize("theme", ["ansi16", "dark"])
async def test_tree_guides_are_drawn_in_the_pane_border_colour(core, theme):
    """ansi16's guides were $surface-lighten-2 of the terminal's default: black on black."""
    from tui.app.groups_pane import GroupsTree

    async with make_app(core, theme=theme).run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(GroupsTree)
        guides = tree.get_component_styles("tree--guides").color
        border = Color.parse(pilot.app.get_css_variables()["pane-border"])
        assert guides == border, (guides, border)
