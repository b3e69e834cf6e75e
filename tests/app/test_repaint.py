"""An idle dashboard repaints nothing; a change repaints the lines that show it."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, wait_for
from tui.app.bays_pane import BaysTable
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree
from tui.app.header_bar import HeaderBar
from tui.app.jobs_pane import JobsList

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


def count_renders(monkeypatch) -> dict[str, list[int]]:
    """Lines each list renders, and header renders, from now on."""
    seen: dict[str, list[int]] = {"bays": [], "jobs": [], "header": []}
    for name, cls in (("bays", BaysTable), ("jobs", JobsList)):
        real = cls.render_line

        def render_line(self, y, real=real, name=name):
            seen[name].append(y)
            return real(self, y)
        monkeypatch.setattr(cls, "render_line", render_line)
    real_header = HeaderBar.render

    def render(self):
        seen["header"].append(0)
        return real_header(self)
    monkeypatch.setattr(HeaderBar, "render", render)
    return seen


async def test_idle_dashboard_repaints_nothing(core, monkeypatch):
    async with make_app(core, autopoll=True, poll_interval=0.3).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("enclosure", "enc-w1"))
        seen = count_renders(monkeypatch)
        # the first paint, polls and badges settle: a quiet half second (a loaded machine
        # takes longer; a dashboard that never settles fails below all the same)
        for _ in range(20):
            for lines in seen.values():
                lines.clear()
            await pilot.pause(0.5)
            if not any(seen.values()):
                break
        # six feed polls, several monitor polls, the first clock ticks (the minute on screen
        # has not changed: the clock is frozen)
        await pilot.pause(1.5)
        assert seen == {"bays": [], "jobs": [], "header": []}


async def test_one_bay_change_repaints_its_line_only(core, monkeypatch):
    async with make_app(core, autopoll=True, poll_interval=30).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("enclosure", "enc-w1"))
        table = pilot.app.screen.query_one(BaysTable)
        # the scope's bays are shown (a loaded machine paints the fleet first), then settle
        await wait_for(pilot, lambda: table.items and all(
            b.id.startswith("enc-w1/") for b in table.items), 5)
        await pilot.pause(0.6)
        row = next(i for i, b in enumerate(table.items) if b.id == "enc-w1/4")
        seen = count_renders(monkeypatch)
        core.sim_fault("enc-w1/4", "critical")  # another process's change, through the feed
        await wait_for(pilot, lambda: table.items[row].health == "critical", 2)
        await pilot.pause(0.3)
        lines = set(seen["bays"])
        assert row + table.header_height in lines
        assert len(lines) <= 2, lines  # its line (and the cursor's, if it moved)


async def test_a_batch_in_slices_repaints_the_panes_once_at_its_last_slice(core):
    """A busy feed's batch reaches the dashboard in slices (keys between them): the tree
    and the header change once, with the batch's last slice, and then say what the whole
    batch did."""
    async with make_app(core).run_test(size=SIZE) as pilot:
        app = pilot.app
        header = app.screen.query_one(HeaderBar)
        tree = app.screen.query_one(GroupsTree)
        await pilot.pause()
        before = (header.critical, tree.root.data.parts)
        servers = [b.id for b in core.bays() if not b.empty and b.health != "critical"][:6]
        for bay_id in servers:
            core.sim_fault(bay_id, "critical")
        parts = app.main.snapshot.fetch(core).slices(2)
        assert len(parts) >= 3
        for part in parts[:-1]:
            app.main.apply_update(part)
            await pilot.pause()
            assert (header.critical, tree.root.data.parts) == before
        app.main.apply_update(parts[-1])
        await pilot.pause()
        assert header.critical == before[0] + len(servers)
        assert f" {before[0] + len(servers)} CRIT" in dict(tree.root.data.parts)


async def test_events_arriving_lay_out_nothing_and_the_log_still_follows(core, monkeypatch):
    """An event log that grows moves its scrollbar, not the screen's layout (a layout
    reflows every widget: tens of ms a batch under a busy feed, keys waiting behind it);
    the scrollbar still appears when the lines outgrow the pane."""
    from textual._compositor import Compositor

    from tui.app.events_pane import EventLog
    async with make_app(core).run_test(size=SIZE) as pilot:
        log = pilot.app.screen.query_one(EventLog)
        await pilot.pause()
        assert log.following and not log.show_vertical_scrollbar  # the demo's few events fit
        reflows: list[int] = []
        real = Compositor.reflow

        def reflow(self, parent, size):
            reflows.append(1)
            return real(self, parent, size)
        monkeypatch.setattr(Compositor, "reflow", reflow)
        for i in range(40):  # more lines than the pane: its scrollbar appears (one layout)
            core.policy("lab", "alert" if i % 2 == 0 else "manual", "")
        pilot.app.refresh_now()
        await wait_for(pilot, lambda: log.show_vertical_scrollbar)
        await pilot.pause()
        reflows.clear()
        for round_ in range(3):
            core.policy("lab", "auto" if round_ % 2 == 0 else "manual", "")
            pilot.app.refresh_now()
            await pilot.pause()
            assert log.following and log.scroll_offset.y == log.max_scroll_y > 0
            assert log.event is not None and log.event.seq == max(e.seq for e in log.events)
            assert log.vertical_scrollbar.window_virtual_size == len(log.items)
        assert reflows == []
