"""A big fleet paints its outline first and fills in when the whole view is loaded, keeping
what the operator did meanwhile (the demo fleet stands in: the size limit is lowered)."""
from __future__ import annotations

import threading

import pytest

from tests.app.conftest import make_app, wait_for
from tui.app.bays_pane import BaysTable
from tui.app.fleet import ATTENTION, Snapshot
from tui.app.groups_pane import GroupsTree
from tui.app.header_bar import HeaderBar
from tui.core import view

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


def line(tree: GroupsTree, node) -> str:
    return "".join(text for text, _ in node.data.parts)


async def test_outline_first_then_the_whole_view(core, monkeypatch):
    monkeypatch.setattr(view, "OUTLINE_OVER", 100)  # the demo's 176 bays count as big
    monkeypatch.setattr(view, "OUTLINE_ROWS", 1)  # the outline: the first enclosure's bays
    core.sim_fault("enc-w1/3", "critical")  # not in the outline's enclosure (enc-d1)
    release = threading.Event()
    real_load = Snapshot.load.__func__

    def load(cls, ctx, events=0, outline=False):
        if not outline:  # the whole view (the feed worker) waits for the test
            release.wait(10)
        return real_load(cls, ctx, events, outline)
    monkeypatch.setattr(Snapshot, "load", classmethod(load))
    async with make_app(core, autopoll=True, poll_interval=30).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree, table = screen.query_one(GroupsTree), screen.query_one(BaysTable)
        assert screen.snapshot.partial
        assert line(tree, tree.root) == "fleet 176 bays loading…"  # the count, no figure
        lab = next(n for n in tree.root.children if n.data.scope.name == "lab")
        assert line(tree, lab) == "lab loading…"
        assert {b.enclosure for b in table.items} == {"enc-d1"}
        assert "all bays (16 of 176)  loading…" in table.border_title
        assert screen.query_one(HeaderBar).outline  # "loading the fleet…", not "crit 0"
        await pilot.press("down")  # the operator moves to "needs attention" meanwhile
        await pilot.pause()
        assert screen.scope == ATTENTION
        release.set()
        await wait_for(pilot, lambda: not screen.snapshot.partial, 10)
        await pilot.pause()
        assert screen.scope == ATTENTION  # the key pressed during the load still holds
        assert line(tree, tree.root).startswith("fleet 176 bays 1 CRIT")
        assert "enc-w1/3" in {b.id for b in table.items}  # the attention list filled in
        assert not screen.query_one(HeaderBar).outline
        assert screen.query_one(HeaderBar).critical == 1
        assert pilot.app.alerts.title == "bayops CRIT 1"
        await wait_for(pilot, lambda: screen.snapshot.group("lab").cover != "", 10)  # badges too
        assert len(table.items) == len(screen.snapshot.scope_bays(ATTENTION))


async def test_a_small_fleet_loads_whole_at_once(core):
    async with make_app(core, autopoll=True, poll_interval=30).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert not screen.snapshot.partial
        assert len(screen.snapshot.bays) == 176
        assert not screen.query_one(HeaderBar).outline


async def test_a_folded_domain_gets_its_enclosure_lines_when_it_opens(core, monkeypatch):
    from tui.app import groups_pane

    monkeypatch.setattr(groups_pane, "OPEN_GROUPS", 0)  # the demo's domains start folded
    core.sim_fault("enc-w2/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(GroupsTree)
        web = next(n for n in tree.root.children if n.data.scope.name == "prod-web")
        dom = web.children[0]
        assert not dom.is_expanded and not dom.children  # no enclosure line made yet
        tree.move_cursor(dom)
        await pilot.press("right")  # opens it: its lines, with their figures
        await pilot.pause()
        names = [line(tree, n) for n in dom.children]
        assert [n.data.scope.name for n in dom.children] == \
            [e.name for e in screen.snapshot.domains[dom.data.scope.name].enclosures]
        assert any(n.startswith("enc-w2 ") and "1 CRIT" in n for n in names), names
        # go-to an enclosure under another folded domain: its domain opens, it is selected
        other = next(n for n in tree.root.children if n.data.scope.name == "prod-db").children[0]
        target = screen.snapshot.domains[other.data.scope.name].enclosures[0].name
        screen.goto_bay(f"{target}/1")
        await pilot.pause()
        assert screen.scope.name == target and tree.cursor_node.data.scope.name == target
        assert {b.enclosure for b in screen.query_one(BaysTable).items} == {target}


async def test_the_fleet_is_drawn_before_the_footer_keys(core, monkeypatch):
    """The footer's key widgets (a quarter of a bare Textual app's start in CPU) are
    mounted after the main screen's first frame is written; they follow at once."""
    from textual.widgets._footer import FooterKey

    from tui.app.app import BayopsApp

    frames: list[tuple[str, int]] = []  # (the tree's first line, footer keys) per frame
    real = BayopsApp._display

    def display(app, screen, renderable):
        real(app, screen, renderable)
        if app.main is not None and screen is app.main and renderable is not None:
            tree = screen.query_one(GroupsTree)
            frames.append((line(tree, tree.root), len(screen.query(FooterKey))))
    monkeypatch.setattr(BayopsApp, "_display", display)
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: len(screen.query(FooterKey)) > 0, 5)
        assert next(keys for first, keys in frames if first == "fleet 176 bays") == 0
        assert "Failover" in {key.description for key in screen.query(FooterKey)}
