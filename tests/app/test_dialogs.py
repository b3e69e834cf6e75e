"""Dialogs take what is typed into them, show what they need, and never crash."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, notifications, type_fast, wait_for, wait_jobs
from tui.app.bays_pane import BaysTable
from tui.app.job_screen import JobScreen
from tui.app.main_screen import MainScreen
from tui.app.story_screen import StoryScreen
from tui.model.errors import OperationFailed

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


async def test_enter_in_jobs_pane_opens_done_and_failed_jobs(core):
    core.sim_fault("enc-w1/3", "critical")
    core.failover("enc-w1/3")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        assert isinstance(pilot.app.screen, JobScreen)
        title = str(pilot.app.screen.query_one("#job-title").render())
        assert "failover" in title and "done" in title
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_enter_opens_a_failed_job_and_a_running_one_from_its_bay(core, monkeypatch):
    from tests.app.conftest import Gate

    for spare in core.spare_bays("prod-web"):
        core.sim_fault(spare.id, "wont-power-on")
    core.sim_fault("enc-w1/3", "critical")
    with pytest.raises(OperationFailed):
        core.failover("enc-w1/3")
    assert core.jobs()[0].state == "failed"
    gate = Gate(monkeypatch, "power_off")
    other = next(b.id for b in core.bays() if b.group != "prod-web" and b.profile
                 and b.boot_mode == "san" and core.spare_bays(b.group))
    core.sim_fault(other, "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        assert "failed" in str(pilot.app.screen.query_one("#job-title").render())
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("slash", *other, "enter", "f", "y")
        await wait_for(pilot, gate.reached.is_set)
        pilot.app.refresh_now()
        await pilot.pause()
        assert pilot.app.screen.query_one(BaysTable).bay.job_id is not None
        await pilot.press("enter")  # the bay's story, whose newest job is the running one
        assert isinstance(pilot.app.screen, StoryScreen)
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        assert isinstance(pilot.app.screen, JobScreen)
        assert "running" in str(pilot.app.screen.query_one("#job-title").render())
        gate.release()
        await wait_jobs(pilot)


async def settle(pilot) -> None:
    for _ in range(10):
        await pilot.pause(0.05)


async def start_maintenance(pilot, core, domain: str) -> None:
    from tui.app.fleet import Scope
    from tui.app.groups_pane import GroupsTree

    pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", domain))
    await pilot.pause()
    await pilot.press("M", *"VC work", "enter")
    await wait_jobs(pilot)
    assert core.maintenance()[0].domain == domain


async def open_domain_edit(pilot, core):
    """web-dom2 in maintenance, and `E`: the domain edit dialog on screen."""
    from tui.app.domain_edit_screen import DomainEditScreen

    await start_maintenance(pilot, core, "web-dom2")
    await pilot.press("E")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DomainEditScreen)
    return pilot.app.screen


async def test_keys_typed_right_after_E_go_into_the_dialog(core):
    from tui.app.domain_edit_screen import DomainEditScreen

    async with make_app(core).run_test(size=SIZE) as pilot:
        await start_maintenance(pilot, core, "web-dom2")
        main = pilot.app.screen
        type_fast(pilot, "E", "enter", *"web-front")  # the first kind (network), its name
        await settle(pilot)
        assert isinstance(pilot.app.screen, DomainEditScreen)
        assert pilot.app.screen.query_one("#name").value == "web-front"
        assert main.bay_query.quick is None  # the `n` did not toggle a filter behind


async def test_keys_typed_right_after_slash_go_into_the_filter(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        main = pilot.app.screen
        type_fast(pilot, "/", *"enc-w1/3", "enter")
        await settle(pilot)
        assert main.query_one("#filter-input").value == "enc-w1/3"
        assert [b.id for b in main.query_one(BaysTable).items] == ["enc-w1/3"]
        assert isinstance(pilot.app.screen, MainScreen)


async def test_keys_typed_right_after_a_confirmation_opens_stay_in_it(core):
    from tui.app.confirm_screen import ConfirmScreen

    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/3", "enter")
        await pilot.pause()
        main = pilot.app.screen
        type_fast(pilot, "f", "s", "n")  # `s` is a quick filter behind; `n` answers no
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert main.bay_query.quick is None
        assert core.bay("enc-w1/3").profile == "web-003"
        assert any("nothing changed" in n for n in notifications(pilot.app))
        assert not isinstance(pilot.app.screen, ConfirmScreen)


async def queue_edit(pilot, kind: str, name: str, value: str) -> None:
    """In the open dialog: the kind picked from the list with the arrow keys (from the
    top), its name and value, and enter: the edit joins the queue (or is refused)."""
    from tui.app.domain_edit_screen import KINDS

    pilot.app.screen.query_one("#kind").focus()
    await pilot.press("home", *["down"] * [k.id for k in KINDS].index(kind), "enter")
    await pilot.press(*([*name, "enter"] if name else []), *value, "enter")
    await settle(pilot)


async def domain_edit(pilot, kind: str, name: str, value: str) -> None:
    """`E`, one edit queued, and enter again on the emptied boxes: its review."""
    from tui.app.domain_edit_screen import KINDS

    await pilot.press("E")
    await settle(pilot)
    await pilot.press(*["down"] * [k.id for k in KINDS].index(kind), "enter")
    await pilot.press(*([*name, "enter"] if name else []), *value, "enter", "enter")
    await settle(pilot)


async def test_domain_edit_shows_the_configuration_as_lines_and_picks_the_change(core):
    from textual.widgets import Button, Input, OptionList

    from tui.app.confirm_screen import ConfirmScreen
    from tui.app.domain_edit_screen import DomainEditScreen

    async with make_app(core).run_test(size=(80, 24)) as pilot:
        screen = await open_domain_edit(pilot, core)
        shown = str(screen.query_one("#config").render())
        assert "{" not in shown and '"' not in shown, shown  # no JSON
        assert "network   web-front  VLAN 110" in shown and "user      vcadmin  role admin" in shown
        # at 80x24 the kinds, both boxes and the buttons are on screen
        for widget in [screen.query_one("#kind", OptionList), *screen.query(Input),
                       *screen.query(Button)]:
            assert widget.region.height > 0 and screen.region.contains_region(widget.region), widget
        await pilot.press("escape")
        await settle(pilot)
        # a local user added through the picker lands as `bayops domain set web-dom2
        # user.ops2 operator` would: the same plan, then the same configuration
        await domain_edit(pilot, "user", "ops2", "operator")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        cli = core.plan_domain_set("web-dom2", "user.ops2", "operator")
        assert pilot.app.screen.view.summary == cli.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.domain_config("web-dom2")[0].users["ops2"] == "operator"
        await domain_edit(pilot, "firmware", "", "4.70")
        assert "firmware = 4.70" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.domain_config("web-dom2")[0].firmware == "4.70"
        done = [n for n in notifications(pilot.app) if n.startswith("Done")]
        assert done and "firmware" in done[-1] and "DomainConfig(" not in done[-1], done
        # a change the core refuses stays in the dialog with the core's reason
        await domain_edit(pilot, "network", "web-front", "5000")
        assert isinstance(pilot.app.screen, DomainEditScreen)
        assert "VLAN id must be 1..4094" in str(pilot.app.screen.query_one("#edit-error").render())
        await pilot.press("escape")
        assert core.domain_config("web-dom2")[0].networks["web-front"] == 110


def queued(screen) -> list[str]:
    return [str(o.prompt) for o in screen.query_one("#queue").options]


async def test_domain_edit_queues_several_edits_each_planned_after_the_ones_before(core):
    from textual.widgets import Input

    from tui.app.confirm_screen import ConfirmScreen

    async with make_app(core).run_test(size=(80, 24)) as pilot:
        screen = await open_domain_edit(pilot, core)
        await queue_edit(pilot, "network", "web-new", "200")
        await queue_edit(pilot, "network", "web-new", "210")  # its VLAN, once added
        # the last admin goes only because an admin queued before it is there by then
        await queue_edit(pilot, "user", "vcadmin", "-")
        assert "last administrator" in str(screen.query_one("#edit-error").render())
        for box in screen.query(Input):  # the refused edit stays in the boxes to be fixed
            box.value = ""
        await queue_edit(pilot, "user", "ops2", "admin")
        await queue_edit(pilot, "user", "vcadmin", "-")
        await queue_edit(pilot, "fabric", "san-b", "-")
        assert queued(screen) == ["1. network.web-new = 200", "2. network.web-new = 210",
                                  "3. user.ops2 = admin", "4. user.vcadmin = -",
                                  "5. fabric.san-b = -"]
        queue = screen.query_one("#queue")
        for widget in (queue, screen.query_one("#ok")):  # at 80x24, with five queued
            assert widget.region.height > 0 and screen.region.contains_region(widget.region)
        # removing the new admin drops the removal of the old one with the core's reason
        queue.focus()
        queue.highlighted = 2
        await pilot.press("delete")
        await settle(pilot)
        assert queued(screen) == ["1. network.web-new = 200", "2. network.web-new = 210",
                                  "3. fabric.san-b = -"]
        assert "last administrator" in str(screen.query_one("#edit-error").render())
        assert core.domain_config("web-dom2")[0].networks.get("web-new") is None  # not yet
        await pilot.click("#ok")
        await settle(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.view.title == "Edit domain web-dom2: 3 edits"
        assert confirm.view.details == ["+ network web-new vlan 210", "- fabric san-b"]
        assert len(confirm.view.steps) == 3
        await pilot.press("y")
        await wait_jobs(pilot)
        config = core.domain_config("web-dom2")[0]
        assert config.networks["web-new"] == 210 and "san-b" not in config.fabrics
        assert [j.summary for j in core.jobs()[:3]] == [
            "set fabric.san-b = - on web-dom2", "set network.web-new = 210 on web-dom2",
            "set network.web-new = 200 on web-dom2"]


async def test_domain_edit_queue_stops_at_the_first_edit_that_fails_and_says_which_ran(core):

    async with make_app(core).run_test(size=SIZE) as pilot:
        await open_domain_edit(pilot, core)
        await queue_edit(pilot, "network", "web-new", "200")
        await queue_edit(pilot, "fabric", "san-b", "-")
        await queue_edit(pilot, "firmware", "", "4.70")
        await pilot.press("enter")  # on the emptied boxes: review
        await settle(pilot)
        core.domain_set("web-dom2", "fabric.san-b", "-")  # behind the dialog's back
        await pilot.press("y")
        await wait_jobs(pilot)
        said = " ".join(notifications(pilot.app))
        assert "edit 2 of 3 (fabric.san-b = -)" in said and "no fabric" in said
        assert "made: network.web-new = 200; not run: firmware = 4.70" in said
        config = core.domain_config("web-dom2")[0]
        assert config.networks["web-new"] == 200 and config.firmware == "4.62"


async def test_removing_a_network_in_use_warns_how_many_profiles_use_it(core):
    from collections import Counter

    from tui.app.confirm_screen import ConfirmScreen

    used = Counter(n for p in core.profiles("prod-web") for n in p.networks)
    network, count = used.most_common(1)[0]
    async with make_app(core).run_test(size=SIZE) as pilot:
        await start_maintenance(pilot, core, "web-dom2")
        await domain_edit(pilot, "network", network, "-")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        warnings = pilot.app.screen.view.warnings
        assert any(f"{count} profiles of prod-web use network {network}" in w
                   and "complete will be refused" in w for w in warnings), warnings


async def test_move_dialog_keys_reasons_and_empty_bays(core):
    from textual.widgets import Input

    from tui.app.move_screen import MoveScreen

    choices = core.move_targets("web-004")
    empty = [c for c in choices if c.bay.empty]
    assert empty and all(not c.valid and c.reason == "empty bay" for c in empty)
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/4", "enter", "m")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MoveScreen)
        targets, box = screen.query_one("#targets"), screen.query_one("#target-filter", Input)
        assert any(c.bay.empty for c in targets.items)
        await pilot.press("down")
        assert targets.has_focus and targets.cursor == 0  # the first target, not the second
        await pilot.press("up")
        assert box.has_focus  # up from the first row goes back to the filter
        await pilot.press("down", *"enc-w1")  # typing in the list goes to the filter
        assert box.has_focus and box.value == "enc-w1"
        # the highlighted target's whole reason is shown, wrapped
        invalid = next(c for c in targets.items if not c.valid and len(c.reason) > 40)
        await pilot.press("down")
        targets.move_cursor(targets.items.index(invalid))
        await settle(pilot)
        assert invalid.reason in str(screen.query_one("#target-reason").render()).replace("\n", " ")


async def test_failover_confirmation_ranks_the_spares_and_takes_another_one(core):
    from tui.app.confirm_screen import ConfirmScreen

    core.sim_fault("enc-w1/3", "critical")
    ranked = core.failover_candidates("enc-w1/3")
    usable = [c for c in ranked if c.usable]
    assert len(usable) >= 2 and usable[0].bay.id == core.plan_failover("enc-w1/3").target
    assert all(c.reason for c in ranked)
    other = usable[1].bay.id
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/3", "enter", "f")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ConfirmScreen)
        shown = screen.query_one("#candidates")
        assert [c.bay.id for c in shown.items] == [c.bay.id for c in ranked]
        assert shown.current.bay.id == usable[0].bay.id  # the plan's choice first
        await pilot.press("down", "y")
        await wait_jobs(pilot)
    assert core.bay(other).profile == "web-003"
    assert core.bay("enc-w1/3").profile is None


async def test_a_step_resumed_after_a_crash_shows_once_with_its_runs(core):
    """The journal keeps the interrupted run and the one that took over; the job screen
    shows the step once, saying it ran twice (not "(attempt 1)" on two lines)."""
    from tests.test_state_machine import DEAD_PID, Crash, CrashingDriver

    core.sim_fault("enc-w1/3", "critical")
    real = core.driver
    core.driver = CrashingDriver(real, 2)  # dies in the third hardware call: the apply
    with pytest.raises(Crash):
        core.failover("enc-w1/3")
    with core.store.write() as db:
        db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (DEAD_PID,))
    core.driver = real
    assert [outcome for _, outcome in core.resume_interrupted()] == ["done"]
    job = core.jobs()[0]
    apply = [s.name for s in job.steps if s.name.startswith("apply profile")]
    assert len(apply) == 2 and apply[0] == apply[1], job.steps  # the journal has both
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobScreen))
        assert isinstance(pilot.app.screen, JobScreen)
        journal = str(pilot.app.screen.query_one("#journal").render())
    assert journal.count(apply[0]) == 1, journal
    assert f"{apply[0]}, 2 runs (resumed after an interruption)" in journal
    assert "[FAIL]" not in journal and "interrupted\n" not in journal


async def test_notifications_wait_while_a_dialog_is_up_at_80x24(core):
    """Toasts arriving while the failover confirmation is open would cover its steps and
    spare list at 80x24: they wait, and the newest show (with a count) when it closes."""
    from textual.widgets._toast import Toast

    from tui.app.confirm_screen import ConfirmScreen

    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("slash", *"enc-w1/3", "enter", "f")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        for n in range(5):  # as job threads and the feed send them
            pilot.app.notify(f"job {n} done", title="Done")
        await settle(pilot)
        assert not dialog.query(Toast), "a toast covers the dialog"
        assert dialog.query_one("#steps").region.height > 0
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.pause(0.2)
        shown = " | ".join(str(t.render()) for t in pilot.app.screen.query(Toast))
        assert "job 4 done" in shown and "job 1 done" not in shown, shown
        assert "2 more arrived while a dialog was open" in shown, shown
