"""Pilot tests: every binding and modal of the dashboard, including the refusals."""
from __future__ import annotations

import getpass
import threading

import pytest

from tests.app.conftest import (
    RESTRICTED,
    Gate,
    make_app,
    make_config,
    notifications,
    open_core,
    wait_for,
    wait_jobs,
)
from tests.app.test_dialogs import domain_edit
from tests.conftest import copy_built_fleet
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen
from tui.app.events_pane import EventLog
from tui.app.fleet import ATTENTION, Scope
from tui.app.groups_pane import GroupsTree
from tui.app.help_screen import HelpScreen
from tui.app.job_screen import JobScreen
from tui.app.jobs_pane import JobsList
from tui.app.main_screen import MainScreen
from tui.app.move_screen import ForceUnfitScreen, MoveScreen

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


@pytest.fixture(params=["embedded", "served"])
def core(request, fleet, tmp_path):
    """The dashboard's client interface both ways: the Core itself, and a client of a
    `bayops serve` (in this process, so the simulator can be patched) on the same fleet."""
    from tests.serve_support import InProcessServer, socket_path

    copy_built_fleet(request, fleet[1], fleet[0])
    embedded = open_core(*fleet)
    if request.param == "embedded":
        yield embedded
    else:
        with InProcessServer(*fleet, socket_path(tmp_path)) as server:
            client = server.client()
            yield client
            client.close()
    embedded.close()


async def select_bay(pilot, bay_id: str) -> None:
    """Type the bay into the `/` filter: the bays pane then holds just that bay."""
    await pilot.press("slash", *bay_id, "enter")
    await pilot.pause()
    table = pilot.app.screen.query_one(BaysTable)
    assert table.bay is not None and table.bay.id == bay_id, [b.id for b in table.items][:5]


def bay(core, bay_id):
    return core.bay(bay_id)


async def test_start_shows_fleet(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        assert len(screen.query_one(BaysTable).items) == len(core.bays())
        assert screen.query_one(EventLog).items  # "fleet created"
        assert screen.focused is screen.query_one(GroupsTree)


async def test_failover_from_keyboard(core):
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/3")
        await pilot.press("f")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        view = pilot.app.screen.view
        assert view.target == "enc-w2/16" and "spare" in view.reason and len(view.steps) == 5
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.bay("enc-w1/3").profile is None
        assert core.bay("enc-w2/16").profile == "web-003"
        jobs = pilot.app.screen.query_one(JobsList)
        assert jobs.job.kind == "failover" and jobs.job.state == "done"
        assert any("done" in n for n in notifications(pilot.app))
        # the job opens with its journal and why the spare was chosen
        await pilot.press("J")
        assert isinstance(pilot.app.screen, JobScreen)
        text = str(pilot.app.screen.query_one("#journal").render())
        assert "Why this target" in text and "same domain" in text and "power on" in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_failover_declined_changes_nothing(core, state):
    from tests.conftest import dump

    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/3")
        before = dump(state)
        await pilot.press("f")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("f", "escape")
        await pilot.pause()
        assert dump(state) == before
        assert core.bay("enc-w1/3").profile == "web-003"


async def test_failover_refusals_from_the_plan_show_the_reason(core):
    healthy = next(b.id for b in core.bays(group="prod-web")
                   if b.boot_mode == "san" and b.health == "ok" and b.profile)
    async with make_app(core).run_test(size=SIZE) as pilot:
        for bay_id, reason in ((healthy, "is healthy"), ("enc-w1/4", "boots from local disk"),
                               ("enc-w2/16", "holds no profile")):
            await select_bay(pilot, bay_id)
            await pilot.press("f")
            await pilot.pause()
            assert isinstance(pilot.app.screen, MainScreen)
            assert any(n.startswith("Refused") and reason in n
                       for n in notifications(pilot.app)), bay_id
            await pilot.press("escape")


async def test_move_picker_and_invalid_target(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/4")
        await pilot.press("m")
        screen = pilot.app.screen
        assert isinstance(screen, MoveScreen)
        targets = screen.query_one("#targets")
        assert targets.items[0].valid and not targets.items[-1].valid
        # an invalid target says why and stays open
        await pilot.press(*"enc-w1/5")
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, MoveScreen)
        assert any("holds profile" in n for n in notifications(pilot.app))
        # a valid one goes to the confirmation
        target = next(c.bay.id for c in core.move_targets("web-004") if c.valid)
        await pilot.press("escape")
        await pilot.press("m")
        await pilot.press(*target, "enter", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert pilot.app.screen.view.target == target
        await pilot.press("y")
        await wait_jobs(pilot)
    assert core.profile("web-004").bay == target


async def test_move_never_offers_a_critical_bay_first_and_forces_it_only_typed(core):
    spare = next(b.id for b in core.spare_bays("prod-web"))
    core.sim_fault(spare, "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/4")
        await pilot.press("m")
        await pilot.pause()
        targets = pilot.app.screen.query_one("#targets")
        first = targets.items[0]
        assert first.valid and first.bay.spare and first.bay.health == "ok", first
        sick = next(c for c in targets.items if c.bay.id == spare)
        assert not sick.valid and sick.forceable == "critical" and "critical" in sick.reason
        assert all(c.valid for c in targets.items[:targets.items.index(sick)])
        await pilot.press(*spare, "enter", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ForceUnfitScreen)
        await pilot.press(*"crit", "enter")  # not the state's name: nothing forced
        await pilot.pause()
        assert isinstance(pilot.app.screen, ForceUnfitScreen)
        await pilot.press(*"ical", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert any(w.startswith("FORCED onto a critical bay") for w in pilot.app.screen.view.warnings)
        await pilot.press("y")
        await wait_jobs(pilot)
    assert core.profile("web-004").bay == spare


async def test_toggle_spare(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w2/16")
        assert pilot.app.screen.query_one(BaysTable).bay.spare
        await pilot.press("t")
        assert "remove enc-w2/16" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert not core.bay("enc-w2/16").spare
        await pilot.press("t", "y")
        await wait_jobs(pilot)
        assert core.bay("enc-w2/16").spare
        await select_bay(pilot, "enc-d2/2")  # empty: refused before any dialog
        await pilot.press("t")
        assert isinstance(pilot.app.screen, MainScreen)
        assert any("is empty" in n for n in notifications(pilot.app))


async def test_maintenance_start_edit_complete(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "web-dom2"))
        await pilot.pause()
        await pilot.press("M")
        await pilot.press(*"VC firmware", "enter")
        await wait_jobs(pilot)
        assert core.maintenance()[0].domain == "web-dom2"
        await domain_edit(pilot, "firmware", "", "4.70")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "firmware = 4.70" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        config, _baseline = core.domain_config("web-dom2")
        assert config.firmware == "4.70"
        await pilot.press("C")
        view = pilot.app.screen.view
        assert "~ firmware 4.62 -> 4.70" in view.details
        assert "web-dom1" in view.summary and "web-dom3" in view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.maintenance() == []
        assert core.domain_config("web-dom1")[0].firmware == "4.70"


async def test_maintenance_cancel_and_refusals(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "db-dom2"))
        await pilot.pause()
        await pilot.press("C")  # not in maintenance: refused with the reason
        assert any("not in maintenance" in n for n in notifications(pilot.app))
        await pilot.press("M", "escape")
        assert core.maintenance() == []
        await pilot.press("M", *"rack work", "enter")
        await wait_jobs(pilot)
        await pilot.press("M")  # already held: the core's refusal, before any dialog
        assert any("already has domain db-dom2 in maintenance" in n for n in notifications(pilot.app))
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("X")
        assert "revert" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.maintenance() == []


async def test_policy(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("group", "prod-db"))
        await pilot.pause()
        await pilot.press("P")
        # RadioSet: move to "auto" and press it, then submit from the window box
        await pilot.press("down", "down", "enter", "tab")
        await pilot.press(*"sat,sun", "enter")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "auto during sat,sun" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
    g = next(g for g in core.groups() if g.name == "prod-db")
    assert (g.policy.mode, g.policy.window) == ("auto", "sat,sun")


async def test_fault_and_heal(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-d1/3")
        await pilot.press("i")
        await pilot.press("enter")  # first fault: critical
        assert "critical" in pilot.app.screen.view.summary
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.bay("enc-d1/3").health == "critical"
        await pilot.press("h", "y")
        await wait_jobs(pilot)
        assert core.bay("enc-d1/3").health == "ok"


async def test_views_filters_sort_panes(core):
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        table = screen.query_one(BaysTable)
        total = len(table.items)
        await pilot.press("a")
        assert screen.scope == ATTENTION
        assert {b.id for b in table.items} == {"enc-w1/3", "enc-w1/5"}
        await pilot.press("1", "home")  # tree: back to the fleet
        assert len(table.items) == total
        for key, check in (("c", lambda b: b.health in ("critical", "unknown")),
                           ("s", lambda b: b.spare),
                           ("u", lambda b: b.profile is None and not b.spare and not b.empty),
                           ("n", lambda b: b.maintenance)):
            await pilot.press(key)
            assert all(check(b) for b in table.items), key
            await pilot.press(key)  # again: off
            assert len(table.items) == total
        await pilot.press("s")
        spares = len(table.items)
        await pilot.press("escape")
        assert len(table.items) == total and spares < total
        await pilot.press("o")  # sort by health: critical first
        assert table.items[0].id == "enc-w1/3" and screen.bay_query.sort == "health"
        header = "".join(t for t, _ in table.header_parts(table.size.width))
        assert "HEALT^" in header, header  # the mark survives a title as wide as its column
        await pilot.press("O")
        assert table.items[-1].id == "enc-w1/3"
        assert "HEALTv" in "".join(t for t, _ in table.header_parts(table.size.width))
        for key, pane in (("2", "bays"), ("3", "events"), ("4", "jobs"), ("1", "groups")):
            await pilot.press(key)
            assert screen.focused.id == pane
        await pilot.press("tab")
        assert screen.focused.id == "bays"
        await pilot.press("z")
        assert screen.maximized is table
        await pilot.press("z")
        assert screen.maximized is None
        # event log: severity filter and text filter
        log = screen.query_one(EventLog)
        await pilot.press("3", "v")
        assert log.min_severity == "warning" and all(e.severity != "info" for e in log.shown)
        await pilot.press("v", "v")
        assert log.min_severity == "info"
        await pilot.press("slash", *"simulator", "enter")
        assert log.shown and all("simulator" in e.message for e in log.shown)
        await pilot.press("escape")
        assert len(log.shown) == len(log.events)


async def test_tree_keys_switch_domain(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(GroupsTree)
        tree.select_scope(Scope("domain", "web-dom1"))
        await wait_for(pilot, lambda: {b.domain for b in screen.query_one(BaysTable).items}
                       == {"web-dom1"})
        await pilot.press("down")
        assert screen.scope == Scope("enclosure", "enc-w1")
        await pilot.press("left", "left")
        assert screen.scope == Scope("domain", "web-dom1")
        await pilot.press("enter")
        assert screen.focused.id == "bays"


async def test_help_lists_every_binding(core):
    from tui.app.commands import COMMANDS

    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        ids = {row[1] for row in pilot.app.screen.rows}
        assert {c.id for c in COMMANDS} <= ids
        await pilot.press(*"acknowledge")  # typed at once: it searches key, id and text
        await pilot.pause()
        shown = pilot.app.screen.shown
        assert [r[1] for r in shown] == ["ack", "ack-visible"], shown
        assert not any("confirmed" in r[2] for r in shown)  # an acknowledgement asks nothing
        await pilot.press(*"zzz")
        await pilot.pause()
        assert pilot.app.screen.shown == []
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_every_binding_has_an_id_and_is_in_the_palette(core):
    from tui.app.commands import COMMANDS

    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        for b in screen.BINDINGS:
            assert b.id, b
        titles = [c.title for c in pilot.app.get_system_commands(screen)]
        for c in COMMANDS:
            if c.id in ("next-pane", "prev-pane", "clear-filter"):
                continue
            assert any(t.startswith(c.label) for t in titles), c.label
        # a palette command runs the same action (with the same checks)
        attention = next(c for c in pilot.app.get_system_commands(screen)
                         if c.title.startswith("Attention"))
        await attention.callback()
        await pilot.pause()
        assert screen.scope == ATTENTION
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "CommandPalette"
        await pilot.press(*"failover")
        await pilot.pause(0.3)
        await pilot.press("escape")


async def test_quit_without_job_exits(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert pilot.app._exit_renderables == [] and pilot.app.return_code == 0


async def test_quit_with_running_job_asks(core, monkeypatch):
    gate = Gate(monkeypatch, "power_on")
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/3")
        await pilot.press("f", "y")
        await wait_for(pilot, gate.reached.is_set)
        await pilot.press("q")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "jobs resume" in pilot.app.screen.view.text()
        await pilot.press("n")
        assert isinstance(pilot.app.screen, MainScreen)
        gate.release()
        await wait_jobs(pilot)
    assert core.bay("enc-w2/16").profile == "web-003"


# -- refusals: role, read-only -------------------------------------------------------------
@pytest.fixture
def restricted(fleet):
    config, state = fleet
    make_config(config, roles=RESTRICTED)
    return config, state


@pytest.fixture(params=["embedded", "served"])
def person(request, restricted, tmp_path):
    """A factory: (client acting as the person, the name the refusals show). Served, the
    person is this OS user (the socket says so), given the person's grants in the server's
    config; embedded, the Core is opened with the person's name."""
    from tests.serve_support import InProcessServer, socket_path

    servers: list = []

    def open_as(name: str, read_only: bool = False):
        if request.param == "embedded":
            if read_only:  # --read-only reads a store and never makes one: the site has it
                open_core(*restricted, operator=name).close()
            return open_core(*restricted, operator=name, read_only=read_only), name
        me = getpass.getuser()
        config, state = restricted
        if name == "alice":  # the OS user gets alice's grant, and nothing else
            config.write_text(config.read_text().replace('user = "alice"', f'user = "{me}"'))
        server = InProcessServer(config, state, socket_path(tmp_path)).__enter__()
        servers.append(server)
        return server.client(read_only), me
    yield open_as
    for server in servers:
        server.__exit__(None, None, None)


async def test_viewer_is_refused_with_reason_and_nothing_changes(person, state):
    from tests.conftest import dump

    core, who = person("bob")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await select_bay(pilot, "enc-w1/5")
            screen = pilot.app.screen
            assert screen.check_action("failover", ()) is False  # a viewer everywhere: hidden
            before = dump(state, audits=True)
            for key, needs in (("f", "failover needs limited-operator"),
                               ("m", "move needs limited-operator"),
                               ("t", "spares needs group-admin"),
                               ("M", "maintenance needs group-admin"),
                               ("P", "policy needs group-admin"),
                               ("i", "sim needs operator")):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(pilot.app.screen, MainScreen), key
                assert any(f"'{who}' is viewer" in n and needs in n for n in notifications(pilot.app)), key
            # the palette path says the same
            palette = next(c for c in pilot.app.get_system_commands(screen)
                           if c.title.startswith("Failover"))
            await palette.callback()
            await pilot.app.workers.wait_for_complete()
            after = dump(state, audits=True)
            # nothing changed but the audit: one access.refused event per refusal
            changed = {t for t in after if after[t] != before.get(t)}
            assert changed <= {"events", "changes", "meta"}, changed
            audit = [e for e in core.events(0, 500) if e.kind == "access.refused"]
            assert len(audit) == 7 and all(e.data["who"] == who for e in audit)
            assert len(after["events"]) - len(before["events"]) == 7
    finally:
        core.close()


async def test_limited_operator_scoped_to_group(person):
    core, who = person("alice")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await select_bay(pilot, "enc-w1/5")
            screen = pilot.app.screen
            assert screen.check_action("failover", ()) is True
            assert screen.check_action("toggle_spare", ()) is False  # in no group: hidden
            await pilot.press("f")  # allowed: warning health may fail over
            assert isinstance(pilot.app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.press("t")
            assert any("spares needs group-admin" in n for n in notifications(pilot.app))
            await pilot.press("escape")
            await select_bay(pilot, "enc-d1/3")
            assert screen.check_action("failover", ()) is None
            await pilot.press("f")
            assert any(f"'{who}' is viewer in group 'prod-db'" in n for n in notifications(pilot.app))
    finally:
        core.close()


async def test_read_only_refuses_everything(person, state):
    from tests.conftest import dump

    core, _ = person("alice", read_only=True)
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            assert "READ-ONLY" in str(pilot.app.screen.query_one("#header").render())
            await select_bay(pilot, "enc-w2/16")
            before = dump(state)
            for key in ("f", "m", "t", "M", "E", "C", "X", "P", "i", "h"):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(pilot.app.screen, MainScreen), key
            assert sum("read-only mode" in n for n in notifications(pilot.app)) >= 8
            assert dump(state) == before
    finally:
        core.close()


async def test_job_outcome_is_a_notification(core):
    """A failover onto a spare that will not power on: the core tries the next spare or
    fails the job; either way the operator is told how it ended."""
    core.sim_fault("enc-w1/3", "critical")
    core.sim_fault("enc-w2/16", "wont-power-on")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/3")
        await pilot.press("f")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_jobs(pilot)
        job = core.jobs(1)[0]
        assert job.state in ("done", "failed")
        outcome = "Failed" if job.state == "failed" else "Done"
        assert any(n.startswith(outcome) and f"job {job.id}" in n
                   for n in notifications(pilot.app)), notifications(pilot.app)


# -- keys and themes -----------------------------------------------------------------------
async def test_keymap_from_config(fleet):
    config, state = fleet
    make_config(config, keys='failover = "F"\nfailover-force = "g"\nmove = "ctrl+s"\nnope = "x"')
    core = open_core(config, state)
    core.sim_fault("enc-w1/3", "critical")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            problems = notifications(pilot.app)
            assert any("keys.move: ctrl+s" in n for n in problems)
            assert any("keys.nope: no such binding id" in n for n in problems)
            assert not any("keys.failover" in n for n in problems)
            await select_bay(pilot, "enc-w1/3")
            await pilot.press("f")
            assert isinstance(pilot.app.screen, MainScreen)
            await pilot.press("F")
            assert isinstance(pilot.app.screen, ConfirmScreen)
            await pilot.press("n", "m")
            assert isinstance(pilot.app.screen, MoveScreen)  # unsafe remap ignored
            await pilot.press("escape", "question_mark")
            keys = {row[1]: row[0] for row in pilot.app.screen.rows}
            assert keys["failover"] == "F"
    finally:
        core.close()


USER_CONFIG = """# my bayops: comments and layout are mine
[bayops]
driver = "sim"   # the simulator
[keys]
failover = "F"
"""


async def test_theme_choice_is_kept_in_the_ui_state_file_not_the_user_config(core):
    import json
    import stat

    from tui.app.themes import ui_state_path
    from tui.core.config import user_config_path

    user = user_config_path()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(USER_CONFIG)
    async with make_app(core, save_theme=True, theme="high-contrast").run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "high-contrast"
        # ours and a few of Textual's: `T` offers 8, not ~25
        assert set(pilot.app.available_themes) == {"dark", "light", "high-contrast", "ansi16",
                                                   "textual-dark", "textual-light", "nord",
                                                   "gruvbox"}
        pilot.app.theme = "ansi16"
        await pilot.pause()
        assert any("theme ansi16 kept in" in n for n in notifications(pilot.app))
    assert user.read_text() == USER_CONFIG  # byte for byte, comments included
    state = ui_state_path(core.store.path)
    assert state.parent == core.store.path.parent
    assert json.loads(state.read_text()) == {"theme": "ansi16"}
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert not list(state.parent.glob(f".{state.name}.*"))  # no temporary left


async def test_saved_theme_is_used_next_start_and_theme_flag_wins(core):
    async with make_app(core, save_theme=True).run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "dark"  # the config's
        pilot.app.theme = "light"
        await pilot.pause()
    async with make_app(core, save_theme=True).run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "light"  # the choice beats [bayops] theme
    async with make_app(core, save_theme=True, theme="ansi16").run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "ansi16"  # --theme beats the choice, and is not kept
    async with make_app(core, save_theme=True).run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "light"


async def test_unknown_theme_falls_back(core):
    async with make_app(core, theme="nope").run_test(size=SIZE) as pilot:
        assert pilot.app.theme == "dark"
        assert any("no theme named 'nope'" in n for n in notifications(pilot.app))


async def test_no_color(core, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with make_app(core).run_test(size=SIZE) as pilot:
        assert pilot.app.no_color


async def test_small_terminal_layout(core):
    async with make_app(core).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert screen.has_class("compact")  # one pane at a time, the whole screen
        await pilot.press("2")
        await pilot.pause()
        region = screen.query_one(BaysTable).region
        assert region.width == 80 and region.height >= 20, region


async def test_events_from_another_process_appear(core, fleet):
    from tests.app.conftest import open_core as oc

    other = oc(*fleet, operator="carol")
    try:
        async with make_app(core, autopoll=True, poll_interval=0.2).run_test(size=SIZE) as pilot:
            other.sim_fault("enc-d2/5", "cpu-threshold")
            log = pilot.app.screen.query_one(EventLog)
            await wait_for(pilot, lambda: any("enc-d2/5" in e.message for e in log.shown), 5)
            table = pilot.app.screen.query_one(BaysTable)
            await wait_for(pilot, lambda: next(b for b in table.items if b.id == "enc-d2/5").health
                           == "warning", 5)
    finally:
        other.close()


@pytest.fixture
def embedded(fleet):
    c = open_core(*fleet)
    yield c
    c.close()


def job_left_by_a_dead_process(core) -> int:
    """A failover journaled as running by a process that no longer exists."""
    core.sim_fault("enc-w1/3", "critical")
    plan = core.plan_failover("enc-w1/3")
    with core.store.write():
        job_id = core.store.create_job("tester", plan.summary, plan.params, plan.locks)
    core.store.db.execute("UPDATE jobs SET pid = 999999 WHERE id = ?", (job_id,))
    return job_id


async def test_interrupted_job_is_resumed_at_start(embedded, monkeypatch):
    """A job left 'running' by a dead process is finished by the next dashboard start
    (embedded: a client of a service leaves that to the service, tests/test_serve_processes.py)."""
    core = embedded
    job_id = job_left_by_a_dead_process(core)
    async with make_app(core, resume=True).run_test(size=SIZE) as pilot:
        await wait_jobs(pilot)
        assert core.job(job_id).state == "done"
        assert any("resuming 1 interrupted" in n for n in notifications(pilot.app))


async def test_an_interrupted_job_shows_as_interrupted_not_running(embedded):
    """Left by a dead process and not resumed here: the jobs pane says what it is."""
    core = embedded
    job_id = job_left_by_a_dead_process(core)
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("4")
        jobs = pilot.app.screen.query_one(JobsList)
        assert (jobs.job.id, jobs.job.state) == (job_id, "interrupted")
        assert str(jobs.border_title).endswith("1 interrupted")
        row = "".join(text for text, _ in jobs.item_parts(jobs.items[0], 80))
        assert row.startswith(f"#{job_id} INTR ") and "starting" not in row
        await pilot.press("J")
        journal = str(pilot.app.screen.query_one("#journal").render())
    assert "interrupted: process 999999 ended" in journal


async def test_keymap_collision_is_refused_with_the_reason(fleet):
    config, state = fleet
    make_config(config, keys='failover = "m"')
    core = open_core(config, state)
    core.sim_fault("enc-w1/3", "critical")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            assert any("keys.failover: m is already the key of move" in n
                       for n in notifications(pilot.app))
            await select_bay(pilot, "enc-w1/3")
            await pilot.press("f")  # the default key still works
            assert isinstance(pilot.app.screen, ConfirmScreen)
    finally:
        core.close()


async def test_forced_failover_of_a_healthy_bay_says_so_in_the_plan(core):
    healthy = next(b for b in core.bays(group="prod-web")
                   if b.boot_mode == "san" and b.health == "ok" and b.profile
                   and b.model.endswith("Gen9"))
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, healthy.id)
        await pilot.press("f")
        assert any("(F forces it)" in n for n in notifications(pilot.app))
        await pilot.press("F")
        screen = pilot.app.screen
        assert isinstance(screen, ConfirmScreen)
        assert "forced" in screen.view.text() and "is healthy" in screen.view.text()
        await pilot.press("y")
        await wait_jobs(pilot)
    assert core.profile(healthy.profile).bay != healthy.id


async def test_starting_without_a_theme_choice_saves_nothing(core):
    from tui.app.themes import ui_state_path
    from tui.core.config import user_config_path

    async with make_app(core, save_theme=True).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert not any("kept" in n for n in notifications(pilot.app))
    assert not user_config_path().exists()
    assert not ui_state_path(core.store.path).exists()


async def test_admin_cancels_another_operators_maintenance_with_an_audited_force(fleet):
    config, state = fleet
    alice = open_core(config, state, operator="alice")
    alice.maintenance_start("db-dom2", "left running over the weekend", hours=0.01)
    alice.close()
    core = open_core(config, state, operator="tester")  # the demo config: everyone is admin
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "db-dom2"))
            await pilot.pause()
            await pilot.press("X")
            assert isinstance(pilot.app.screen, ConfirmScreen)
            assert any("alice's maintenance lock" in w for w in pilot.app.screen.view.warnings)
            await pilot.press("y")
            await wait_jobs(pilot)
        assert core.maintenance() == []
        forced = [e for e in core.events() if e.kind == "maintenance.forced"]
        assert forced and forced[0].operator == "tester" and "alice" in forced[0].message
    finally:
        core.close()


async def test_ctrl_q_asks_like_q_while_a_job_runs(fleet, monkeypatch):
    config, state = fleet
    core = open_core(config, state)
    release = threading.Event()
    real = core.driver.power_on
    monkeypatch.setattr(core.driver, "power_on", lambda bay: (release.wait(10), real(bay))[1])
    core.sim_fault("enc-w1/3", "critical")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await select_bay(pilot, "enc-w1/3")
            await pilot.press("f", "y")
            await wait_for(pilot, lambda: pilot.app.running_local_jobs())
            await pilot.press("ctrl+q")
            assert isinstance(pilot.app.screen, ConfirmScreen)
            assert "Quit while a job runs?" in pilot.app.screen.view.title
            await pilot.press("n")
            release.set()
            await wait_jobs(pilot)
    finally:
        release.set()
        core.close()


async def test_other_processes_events_show_long_before_the_next_full_poll(core, fleet):
    from tests.app.conftest import open_core as oc

    other = oc(*fleet, operator="carol")
    try:
        async with make_app(core, autopoll=True, poll_interval=30).run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
            log = pilot.app.screen.query_one(EventLog)
            shown = len(log.shown)
            other.policy("lab", "alert", "")
            # the feed is followed every 0.25 s; the full poll comes after 30 s. 5 s tells the
            # two apart on a loaded machine (the latency itself is measured in bench/).
            await wait_for(pilot, lambda: any(e.operator == "carol" for e in log.shown), 5.0)
            await pilot.pause(0.6)  # a later tail must not show it twice
            assert sum(e.operator == "carol" for e in log.shown) == 1
            assert len({e.seq for e in log.shown}) == len(log.shown) > shown
    finally:
        other.close()


def _row(table, bay_id: str) -> str:
    item = next(b for b in table.items if b.id == bay_id)
    return "".join(text for text, _ in table.item_parts(item, 120))


async def test_needs_attention_is_a_triage_queue(core):
    lab = [b for b in core.bays(group="lab") if not b.empty]
    lab_spare = next(b.id for b in lab if b.spare)
    lab_victim = next(b for b in lab if b.profile and b.boot_mode == "san")
    core.sim_fault(lab_spare, "critical")  # the lab's only spare: its failures find none
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        table = screen.query_one(BaysTable)
        await pilot.press("a", "o", "o", "o")  # a chosen sort, not health
        assert screen.bay_query.sort not in ("bay", "health")
        assert "NEW" not in _row(table, "enc-w1/5"), "what the dashboard found at start"
        core.sim_fault("enc-w1/3", "critical")
        core.sim_fault(lab_victim.id, "critical")
        pilot.app.refresh_now()
        await pilot.pause()
        critical = [b.id for b in table.items if b.health == "critical"]
        assert [b.id for b in table.items[:len(critical)]] == critical, "critical first"
        web = _row(table, "enc-w1/3")
        assert "NEW" in web and "fail over → enc-w" in web, web
        gen = lab_victim.generation or lab_victim.model
        assert f"NO SPARE {gen}"[:20] in _row(table, lab_victim.id)
        table.focus()
        await pilot.pause()
        table.move_cursor([b.id for b in table.items].index("enc-w1/3"))
        await pilot.pause()
        assert "NEW" not in _row(table, "enc-w1/3"), "seen once the cursor was on it"
        assert "NEW" in _row(table, lab_victim.id)
        # a failed-over profile's bay joins the queue: away from home, then home healthy
        target = core.failover("enc-w1/3").params.target
        pilot.app.refresh_now()
        await pilot.pause()
        assert "away from enc-w1/3" in _row(table, target)
        core.sim_fault("enc-w1/3", None)
        pilot.app.refresh_now()
        await pilot.pause()
        assert "home healthy: fail back" in _row(table, target)


async def test_the_jobs_pane_is_newest_first_and_its_cursor_follows_new_jobs(core):
    def toggle() -> int:
        bay = core.bay("enc-w2/16")
        add, remove = ([], [bay.id]) if bay.spare else ([bay.id], [])
        return core.spares("prod-web", add, remove).id
    toggle()
    async with make_app(core).run_test(size=SIZE) as pilot:
        jobs = pilot.app.screen.query_one(JobsList)
        await pilot.press("4")
        ids = [r.job.id for r in jobs.items if r.step is None]
        assert ids == sorted(ids, reverse=True) and jobs.job.id == ids[0]
        newer = toggle()
        pilot.app.refresh_now()
        await pilot.pause()
        assert jobs.job.id == newer, "the cursor on the newest follows a new job"
        await pilot.press("j")
        below = jobs.job.id
        toggle()
        pilot.app.refresh_now()
        await pilot.pause()
        assert jobs.job.id == below, "a cursor moved down stays on its job"
