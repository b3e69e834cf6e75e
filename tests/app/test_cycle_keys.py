"""Dashboard keys of the failure cycle: W (what if), R (rediscover), U (clear), b
(failback), e/r (evacuate, restore), and the failback offer."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, notifications, wait_for, wait_jobs
from tests.app.test_pilot import SIZE, select_bay
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree
from tui.app.text_screen import TextScreen
from tui.model.entities import Event

pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


async def test_what_if_on_an_enclosure_node_shows_the_simulation(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert screen.query_one(GroupsTree).select_scope(Scope("enclosure", "enc-d1"))
        await pilot.pause()
        dump = core.store.dump()
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextScreen))
        page = pilot.app.screen
        assert page.title_text == "What if enc-d1 fails?"
        assert page.body == core.coverage("enc-d1").text()
        assert core.store.dump() == dump, "a what-if changes nothing"
        await pilot.press("escape")
        # the groups pane's badge is the same what-if, per enclosure
        node = screen.query_one(GroupsTree)._scope_nodes[Scope("group", "prod-db")]
        assert "no cover for Gen" in "".join(text for text, _ in node.data.parts)


async def test_rediscover_flags_then_clear_then_failback_from_keys(core):
    home = next(b for b in core.bays(enclosure="enc-w1") if b.profile and b.boot_mode == "san")
    core.sim_fault(home.id, "critical")
    core.failover(home.id)
    core.sim_hardware(home.id, "swap")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, home.id)
        await pilot.press("R")
        await wait_jobs(pilot)
        assert core.store.bay(home.id).flag
        assert any("FLAGGED" in n for n in notifications(pilot.app))
        await pilot.press("b")  # refused: the home is flagged
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.store.bay(home.id).flag is None
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.store.bay(home.id).profile == home.profile


def finished(core, kind: str) -> bool:
    """A job of ``kind`` exists and has ended."""
    return any(j.kind == kind and not j.unfinished for j in core.jobs(20))


async def test_evacuate_and_restore_from_an_enclosure(core):
    core.spares("prod-db", [b.id for b in core.bays(enclosure="enc-d3")
                                   if not b.profile and not b.spare and not b.empty], [])
    on = {b.profile for b in core.bays(enclosure="enc-d1") if b.profile}
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert screen.query_one(GroupsTree).select_scope(Scope("enclosure", "enc-d1"))
        await pilot.pause()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: finished(core, "evacuate"), 30)  # the job may start late
        await wait_jobs(pilot)
        assert all(b.drained for b in core.bays(enclosure="enc-d1"))
        left = {b.profile for b in core.bays(enclosure="enc-d1") if b.profile}
        assert left < on  # the shortfall's forced plan left some (it said which)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: finished(core, "restore"), 30)
        await wait_jobs(pilot)
        assert not any(b.drained for b in core.bays(enclosure="enc-d1"))
        assert {b.profile for b in core.bays(enclosure="enc-d1") if b.profile} == on


async def test_a_failback_offer_is_notified(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.screen.cycle.offer_failbacks([Event(
            1, 0.0, "info", "profile:web-001", "failback.offer",
            "enc-w1/1 is healthy again: profile web-001 can go home", "monitor")])
        await pilot.pause()
        assert any("Failback possible" in n and "web-001" in n
                   for n in notifications(pilot.app))


async def test_what_if_on_the_fleet_and_a_drained_home_say_it_in_dashboard_words(core):
    from tui.app.fleet import FLEET

    core.spares("prod-db", [b.id for b in core.bays(enclosure="enc-d3")
                                   if not b.profile and not b.spare and not b.empty], [])
    core.evacuate("enc-d1", force=True, expect=core.plan_evacuate("enc-d1", force=True))
    home = next(b for b in core.bays(enclosure="enc-d1") if core.store.homed_at([b.id]))
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert screen.query_one(GroupsTree).select_scope(FLEET)
        await pilot.pause()
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextScreen))
        assert pilot.app.screen.title_text == "What if any one enclosure fails?"
        await pilot.press("escape")
        await select_bay(pilot, home.id)
        await pilot.press("b")  # its enclosure is drained: the restore key brings it home
        await pilot.pause()
        said = [n for n in notifications(pilot.app) if "drained" in n]
        assert said and "(r on the enclosure)" in said[-1] and "bayops" not in said[-1]


async def test_a_partly_evacuated_enclosure_is_marked_drained_with_its_live_profiles(core):
    core.evacuate("enc-d1", force=True, expect=core.plan_evacuate("enc-d1", force=True))
    live = sum(1 for b in core.bays(enclosure="enc-d1") if b.profile)
    assert live, "a forced evacuation leaves the profiles without a spare in place"
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = pilot.app.screen.query_one(GroupsTree)
        label = str(tree.render_label(tree._scope_nodes[Scope("enclosure", "enc-d1")],
                                      pilot.app.screen.rich_style, pilot.app.screen.rich_style))
        assert label.split()[:4] == ["enc-d1", "DRAINED", str(live), "live"], label
        other = str(tree.render_label(tree._scope_nodes[Scope("enclosure", "enc-d2")],
                                      pilot.app.screen.rich_style, pilot.app.screen.rich_style))
        assert "DRAINED" not in other
        # the profiles still on it are called out in the triage queue, and say so
        await pilot.press("a")
        await pilot.pause()
        table = pilot.app.screen.query_one(BaysTable)
        still = {b.id for b in table.items if b.drained}
        assert still == {b.id for b in core.bays(enclosure="enc-d1") if b.profile}
        for bay in table.items:
            if bay.id in still:
                row = "".join(text for text, _ in table.item_parts(bay, 120))
                assert f"DRAINED, {live} live" in row, row


async def test_a_bay_emptied_by_a_failover_says_where_its_profile_went(core):
    core.sim_fault("enc-w1/3", "critical")
    target = core.plan_failover("enc-w1/3").target
    core.failover("enc-w1/3")
    for size, shown in (((200, 60), f"web-003 → {target}"),
                        (SIZE, "→" + target[:4] + "…" + target[target.rfind("/"):])):
        async with make_app(core).run_test(size=size) as pilot:
            await select_bay(pilot, "enc-w1/3")
            table = pilot.app.screen.query_one(BaysTable)
            row = "".join(text for text, _ in table.item_parts(table.bay, table.size.width))
            assert shown in row, (size, row)
