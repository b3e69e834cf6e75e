"""Pilot tests for reading the dashboard through a shift: the attention order, the event
log and its detail, alerting and acknowledgement, the jobs pane, columns, zoom, footer."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest
from textual.widgets import Static

from tests.app.conftest import (
    RESTRICTED,
    ROOT,
    Gate,
    make_app,
    make_config,
    notifications,
    open_core,
    wait_for,
    wait_jobs,
)
from tui.app.ack_screen import AckScreen
from tui.app.bays_pane import BaysTable
from tui.app.event_screen import EventScreen
from tui.app.events_pane import EventLog
from tui.app.fleet import ATTENTION, Scope
from tui.app.groups_pane import GroupsTree
from tui.app.jobs_pane import JobsList
from tui.app.main_screen import MainScreen

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


async def test_attention_most_urgent_first(core):
    core.sim_fault("enc-w2/4", "critical")  # enc-w1/5 is a warning in the demo fleet
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        table = screen.query_one(BaysTable)
        await pilot.press("a")
        assert screen.scope == ATTENTION
        ids = [b.id for b in table.items]
        assert ids.index("enc-w2/4") < ids.index("enc-w1/5"), ids
        assert table.bay is not None and table.bay.id == "enc-w2/4"


def _many_events(core, n: int = 40) -> None:
    for i in range(n):
        core.policy("lab", "alert" if i % 2 == 0 else "manual", "")


async def test_event_log_opens_at_newest_and_follows(core):
    _many_events(core)
    async with make_app(core, clock=time.time).run_test(size=SIZE) as pilot:
        log = pilot.app.screen.query_one(EventLog)
        await pilot.press("3")
        await pilot.pause()
        assert log.following and log.cursor == len(log.items) - 1
        assert log.scroll_offset.y == log.max_scroll_y > 0
        newest = log.event
        assert newest is not None and newest.seq == max(e.seq for e in log.events)
        line = "".join(t for t, _ in log.item_parts(log.items[-1], 100))
        # today's events show the time only (a date first is YYYY-MM-DD; "20" alone is
        # also 8 pm's hour)
        assert re.match(r"\d\d:\d\d:\d\d ", line), line
        await pilot.press("pageup")
        assert not log.following and log.cursor < len(log.items) - 1
        held = log.event
        before = len(log.events)
        core.policy("lab", "auto", "")
        pilot.app.refresh_now()
        await wait_for(pilot, lambda: len(log.events) > 41)
        assert log.event == held and not log.following  # paused: new events do not move it
        arrived = len(log.events) - before
        assert f"paused, {arrived} new" in str(log.border_title), log.border_title
        await pilot.press("end")
        assert log.following and log.event.seq == max(e.seq for e in log.events)
        await pilot.press("up")
        assert not log.following
        await pilot.press("2")  # leaving the pane resumes following
        await pilot.pause()
        assert log.following and log.event.seq == max(e.seq for e in log.events)


async def test_event_log_dates_wrap_and_detail(core):
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core, clock=lambda: time.time() + 3 * 86400).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        log = screen.query_one(EventLog)
        await pilot.press("3")
        text = "".join(t for t, _ in log.item_parts(log.items[-1], 80))
        assert text.startswith(time.strftime("%Y-%m-%d")), text  # another day: its date
        rows = len(log.items)
        await pilot.press("w")
        assert log.wrap and len(log.items) > rows  # the long lines now take several
        assert all(sum(len(t) for t, _ in log.item_parts(r, log.size.width)) <= log.size.width
                   for r in log.items)
        await pilot.press("w")
        assert not log.wrap and len(log.items) == rows
        event = next(e for e in reversed(log.shown) if e.data.get("bay") == "enc-w1/3")
        while log.event != event:
            await pilot.press("up")
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, EventScreen)
        shown = str(pilot.app.screen.query_one("#event-detail", Static).render())
        for want in (event.message, event.kind, event.source, event.operator, "enc-w1/3",
                     time.strftime("%Y-%m-%d"), *[str(k) for k in event.data]):
            assert want in shown, want
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen), pilot.app.screen_stack


async def test_acknowledge_critical_bay_bell_and_title(fleet):
    config, state = fleet
    make_config(config, extra={"bell = false": "bell = true"})
    core = open_core(config, state, operator="alice")
    try:
        app = make_app(core)
        rings = []
        app.bell = lambda: rings.append(1)
        async with app.run_test(size=SIZE) as pilot:
            assert app.alerts.title == "bayops"
            core.sim_fault("enc-w1/3", "critical")
            app.refresh_now()
            await pilot.pause()
            assert rings == [1] and app.alerts.title == "bayops CRIT 1"
            app.refresh_now()
            assert rings == [1]  # once per new critical bay
            await pilot.press("a")
            table = pilot.app.screen.query_one(BaysTable)
            assert table.bay.id == "enc-w1/3"
            jobs = len(core.jobs())
            await pilot.press("A")  # a comment, enter: recorded at once, no job, no plan
            assert isinstance(pilot.app.screen, AckScreen)
            await pilot.press(*"on it", "enter")
            await pilot.pause()
            assert isinstance(pilot.app.screen, MainScreen)
            assert len(core.jobs()) == jobs
            acked = core.bay("enc-w1/3")
            assert acked.acked_by == "alice" and acked.acked_at is not None
            assert app.alerts.title == "bayops"
            row = next(b for b in table.items if b.id == "enc-w1/3")  # still listed
            assert row.acked_by == "alice"
            assert all(style == "dim" for _, style in table.item_parts(row, 100))
            assert "ack" in "".join(t for t, _ in table.item_parts(row, 100))
            log = pilot.app.screen.query_one(EventLog)
            assert any(e.kind == "bay.acknowledged" and e.operator == "alice"
                       and "alice" in e.message and "on it" in e.message for e in log.shown)
            core.sim_fault("enc-w1/3", None)  # healthy again: the acknowledgement clears
            assert core.bay("enc-w1/3").acked_by is None
    finally:
        core.close()


async def test_ack_all_visible_in_one_act_and_the_header_counts_as_the_title(core):
    """K in the attention view acknowledges every unacknowledged critical, warning or
    unreadable bay it shows, in one act with one comment; the header's CRIT and the
    terminal title count the same (unacknowledged) bays, the acknowledged beside."""
    from tui.app.header_bar import HeaderBar

    for bay, kind in (("enc-w1/3", "critical"), ("enc-w1/5", "critical"),
                      ("enc-w1/6", "memory-errors")):
        core.sim_fault(bay, kind)
    app = make_app(core)
    async with app.run_test(size=SIZE) as pilot:
        header = pilot.app.screen.query_one(HeaderBar)
        assert header.critical == 2 and app.alerts.title == "bayops CRIT 2"
        await pilot.press("a", "A", *"x", "enter")  # one bay first: the cursor's
        await pilot.pause()
        first = pilot.app.screen.query_one(BaysTable).bay.id
        assert core.bay(first).acked_by == "tester"
        assert header.critical == 1 and app.alerts.title == "bayops CRIT 1"
        assert "CRIT 1 +1 ack" in str(header.render())
        await pilot.press("K")
        dialog = pilot.app.screen
        assert isinstance(dialog, AckScreen)
        assert {b.id for b in dialog.bays} == {"enc-w1/3", "enc-w1/5", "enc-w1/6"} - {first}
        await pilot.press(*"fans", "enter")
        await pilot.pause()
        for bay in ("enc-w1/3", "enc-w1/5", "enc-w1/6"):
            assert core.bay(bay).acked_by == "tester", bay
        assert header.critical == 0 and app.alerts.title == "bayops"
        await pilot.press("K")  # nothing left to acknowledge: said, no dialog
        assert isinstance(pilot.app.screen, MainScreen)
        assert any("no unacknowledged" in n for n in notifications(pilot.app))
    assert [e.data["together"] for e in core.events(0, 50) if e.kind == "bay.acknowledged"
            and "fans" in e.message] == [2, 2]


async def test_acknowledge_refused_on_healthy_bay_and_read_only(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/4", "enter")
        await pilot.press("A")
        assert isinstance(pilot.app.screen, MainScreen)
        assert any("only a critical" in n for n in notifications(pilot.app))


def _footer_keys(screen) -> set[str]:
    return {key for key, active in screen.active_bindings.items() if active.binding.show}


async def test_footer_read_only_hides_changes_and_maintenance_shows_e_c_x(fleet):
    config, state = fleet
    writer = open_core(config, state)
    writer.maintenance_start("lab-dom1", "firmware")
    writer.close()
    ro = open_core(config, state, read_only=True)
    try:
        async with make_app(ro).run_test(size=SIZE) as pilot:
            await pilot.press("slash", *"enc-w1/3", "enter")
            keys = _footer_keys(pilot.app.screen)
            assert not keys & {"f", "m", "t", "M", "E", "C", "X"}, keys
            await pilot.press("f")
            assert isinstance(pilot.app.screen, MainScreen)
            assert any("read-only" in n for n in notifications(pilot.app))
    finally:
        ro.close()
    core = open_core(config, state)
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            screen = pilot.app.screen
            screen.query_one(GroupsTree).select_scope(Scope("domain", "lab-dom1"))
            await pilot.pause()
            keys = _footer_keys(screen)
            assert {"E", "C", "X"} <= keys, keys
            screen.query_one(GroupsTree).select_scope(Scope("domain", "web-dom1"))
            await pilot.pause()
            keys = _footer_keys(screen)
            assert "M" in keys and not keys & {"E", "C", "X"}, keys
            await pilot.press("C")
            assert any("not in maintenance" in n for n in notifications(pilot.app))
    finally:
        core.close()


def test_readme_key_table_matches_the_registry():
    from tui.app import commands as cmds

    text = (ROOT / "README.md").read_text()
    table = dict(re.findall(r"^\| `([^`]+)` \| `([a-z0-9-]+)` \|", text, re.M))
    shown = {"slash": "/", "question_mark": "?", "escape": "esc", "colon": ":"}
    assert {v: k for k, v in table.items()} == {c.id: shown.get(c.key, c.key)
                                                for c in cmds.COMMANDS}
    example = re.search(r'`\[keys\] (\S+) = "([^"]+)"`', text)
    assert example is not None
    good, problems = cmds.check_keymap({example.group(1): example.group(2)})
    assert not problems and good  # the README's remap example is accepted as written


async def test_jobs_pane_progress_follows_the_journal(core, monkeypatch):
    gate = Gate(monkeypatch, "power_on")
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/3", "enter", "f", "y")
        await wait_for(pilot, gate.reached.is_set)
        pilot.app.refresh_now()
        await pilot.pause()
        jobs = pilot.app.screen.query_one(JobsList)
        row = jobs.items[0]
        job = core.job(row.job.id)
        done = sum(s.state == "done" for s in job.steps)
        line = jobs.render_line(0).text  # stale before: "run 0/1" with steps done
        assert f"{done} done, step {job.steps[-1].seq}: power" in line, line
        assert done >= 2 and "/" not in line.split("done")[0]
        gate.release()
        await wait_jobs(pilot)


def test_resumed_step_shows_retried_not_fail():
    from tui.app import format as fmt
    from tui.model.entities import Job, Step
    from tui.model.params import SparesParams

    steps = (Step(1, "power off enc-w1/3", "done", "", 1.0, 2.0),
             Step(2, "apply profile web-003", "failed", "interrupted", 2.0, 3.0),
             Step(3, "apply profile web-003", "done", "", 4.0, 5.0))
    job = Job.made(SparesParams(group="g"), id=7, kind="failover", state="done", operator="alice",
                   summary="failover", created=1.0, finished=5.0, pid=None, steps=steps)
    text = "".join(t for t, _ in fmt.step_line(steps[1], job))
    assert "[FAIL]" not in text and "retried" in text
    assert "[FAIL]" in "".join(t for t, _ in fmt.step_line(steps[1]))
    running = Job.made(SparesParams(group="g"), id=8, kind="failover", state="running",
                       operator="alice", summary="f", created=1.0, finished=None, pid=None,
                       steps=(steps[0], Step(2, "apply profile web-003", "running", "", 2.0, None)))
    assert fmt.job_progress(running) == "1 done, step 2: apply profile web-003"


async def test_bay_ids_are_never_cut_and_wide_terminals_give_names_room(core):
    from tui.app import format as fmt

    async with make_app(core).run_test(size=SIZE) as pilot:
        table = pilot.app.screen.query_one(BaysTable)
        two = [b for b in core.bays() if not b.empty][:2]
        long_ids = [dataclasses.replace(b, id=f"e00-0000/{n}")
                    for b, n in zip(two, (1, 16), strict=True)]
        table.set_items(long_ids)
        await pilot.pause()
        width = {c.key: w for c, w in table.columns(table.size.width)}["bay"]
        assert width >= len("e00-0000/16")
        cells = [fmt.bay_cells(b, table.columns(table.size.width))[0][0] for b in long_ids]
        assert cells[0].strip() == "e00-0000/1" and cells[1].strip() == "e00-0000/16"
    wide = {c.key: w for c, w in fmt.fit_columns(150)}
    assert wide["profile"] > 20 and wide["domain"] > 20


async def test_a_very_long_enclosure_name_is_cut_in_the_middle_not_the_columns(core):
    """Enclosure names may be 63 characters: the BAY column stops growing at 20 and keeps
    the bay number, so power, health, profile, spare and job stay on a 100-column screen."""
    from tui.app import format as fmt

    name = "enc-a-very-long-enclosure-name"
    async with make_app(core).run_test(size=(100, 30)) as pilot:
        table = pilot.app.screen.query_one(BaysTable)
        bays = [dataclasses.replace(b, id=f"{name}/{n}", enclosure=name)
                for b, n in zip([b for b in core.bays() if not b.empty][:2], (4, 12), strict=True)]
        table.set_items(bays)
        await pilot.pause()
        columns = table.columns(table.size.width)
        assert {c.key for c, _ in columns} >= {"power", "health", "profile", "spare", "job"}
        cells = [fmt.bay_cells(b, columns)[0][0] for b in bays]
        assert [c.strip() for c in cells] == ["enc-a-very-long-e…/4", "enc-a-very-long-…/12"]


async def test_the_bays_title_names_the_scope_groups_coverage(core):
    """The groups pane cuts a long group line in its 40 columns; the bays pane's title
    says the selected group's coverage in full."""
    async with make_app(core).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        await pilot.press("1", "down", "down")  # fleet, needs attention, lab
        await pilot.pause()
        lab = screen.snapshot.group("lab")
        assert lab is not None and lab.cover == "no cover for Gen9"
        title = str(screen.query_one(BaysTable).border_title)
        assert title.startswith("Bays [2]: group lab (56)") and "no cover for Gen9" in title


async def test_start_up_warnings_are_shown_not_only_on_a_cli_stderr(tmp_path):
    """What the core warns about at start (here: a state file others can read) reaches the
    operator of the dashboard too, as it does a CLI user's stderr."""
    config = make_config(tmp_path / "config.toml")
    open_core(config, tmp_path / "state.db").close()
    (tmp_path / "state.db").chmod(0o644)
    core = open_core(config, tmp_path / "state.db")
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert (f"Warning: state {tmp_path / 'state.db'} is readable by others "
                    "(mode 0644); chmod 600 it") in notifications(pilot.app)
    finally:
        core.close()


async def test_a_viewers_footer_offers_no_change_and_the_key_still_says_why(restricted_core):
    async with make_app(restricted_core).run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"enc-w1/3", "enter")
        keys = _footer_keys(pilot.app.screen)
        assert not keys & {"f", "m", "t", "M"}, keys
        assert {"slash", "a", "question_mark", "q"} <= keys, keys
        await pilot.press("f")
        assert isinstance(pilot.app.screen, MainScreen)
        assert any("failover needs limited-operator" in n for n in notifications(pilot.app))


@pytest.fixture
def restricted_core(fleet):
    config, state = fleet
    make_config(config, roles=RESTRICTED)
    core = open_core(config, state, operator="bob")
    yield core
    core.close()


async def test_event_lines_get_their_date_once_the_day_has_changed(core):
    now = [time.time()]
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core, clock=lambda: now[0]).run_test(size=SIZE) as pilot:
        log = pilot.app.screen.query_one(EventLog)
        await pilot.pause()
        # the clock on the first line's own day (the fleet may have been made before a
        # midnight the test runs after), then the minute's redraw
        now[0] = log.shown[0].ts
        pilot.app.screen.minute_passed()
        await pilot.pause()
        first = log.render_line(0).text
        day = time.strftime("%Y-%m-%d", time.localtime(log.shown[0].ts))
        assert day not in first, first  # today: the time alone
        now[0] += 86_400  # the shift goes on past midnight
        pilot.app.screen.minute_passed()
        await pilot.pause()
        again = log.render_line(0).text
        assert again.startswith(day), again
