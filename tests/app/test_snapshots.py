"""Snapshot tests (pytest-textual-snapshot) at 80x24 and 120x40: deterministic fleet
(fixed seed), frozen clock, no polling, no cursor blink, jobs gated at a known step.
On both stores, against one SVG per test: the dashboard must look the same on each."""
from __future__ import annotations

import dataclasses
import re

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from textual.widgets import Input

from tests.app.conftest import Gate, make_app, open_core, wait_for
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
pytestmark = pytest.mark.both_stores
STORE_ID = re.compile(r"(?<=\[)(?:sqlite|postgresql)-|-(?:sqlite|postgresql)(?=[-\]])")


class StorelessLocation(PyTestLocation):
    """The test's snapshot name without the store in it: `test_main[sqlite-80x24]` and
    `test_main[postgresql-80x24]` both compare with `test_main[80x24].svg`."""

    def __attrs_post_init_def__(self) -> None:
        super().__attrs_post_init_def__()
        self.nodename = self.testname = STORE_ID.sub("", self.testname)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy's own fixture (which snap_compare uses), named without the store."""
    return dataclasses.replace(snapshot, test_location=StorelessLocation(snapshot.test_location.item))


@pytest.fixture
def snap_core(fleet, frozen_time):
    core = open_core(*fleet)
    yield core
    core.close()


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch):
    """A focused input's cursor stays shown: Textual blinks it every 0.5 s, so a loaded
    machine took the picture with or without it (the help's search box flaked)."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def app_for(core, **kw):
    return make_app(core, **kw)


class TestMainScreen:
    @pytest.mark.parametrize("size", SIZES)
    def test_main(self, snap_compare, snap_core, size):
        snap_core.sim_fault("enc-w1/3", "critical")
        assert snap_compare(app_for(snap_core), terminal_size=size, run_before=settle)

    @pytest.mark.parametrize("size", SIZES)
    def test_help(self, snap_compare, snap_core, size):
        assert snap_compare(app_for(snap_core), terminal_size=size, press=["question_mark"],
                            run_before=settle)


class TestFailover:
    @pytest.mark.parametrize("size", SIZES)
    def test_confirmation(self, snap_compare, snap_core, size):
        snap_core.sim_fault("enc-w1/3", "critical")
        assert snap_compare(app_for(snap_core), terminal_size=size, press=["a", "2", "f"],
                            run_before=settle)

    @pytest.mark.parametrize("size", SIZES)
    def test_running(self, snap_compare, snap_core, size, monkeypatch):
        gate = Gate(monkeypatch, "power_on")
        snap_core.sim_fault("enc-w1/3", "critical")
        app = app_for(snap_core)
        # the "started" toast (3 s) is part of the picture: under load the job may reach
        # its power-on later than that, so the toast stays until the picture is taken
        notify = app.notify
        monkeypatch.setattr(app, "notify", lambda *a, **kw: notify(*a, **{**kw, "timeout": 600}))

        async def run_before(pilot):
            await pilot.press("a", "2", "f", "y")
            await wait_for(pilot, gate.reached.is_set)
            pilot.app.refresh_now()
            await pilot.pause()
        try:
            assert snap_compare(app, terminal_size=size, run_before=run_before)
        finally:
            gate.release()
            for thread in list(app.job_threads.values()):
                thread.join(10)


class TestMaintenance:
    @pytest.mark.parametrize("size", SIZES)
    def test_domain_in_maintenance(self, snap_compare, snap_core, size):
        snap_core.maintenance_start("web-dom2", "VC firmware 4.70")
        snap_core.domain_set("web-dom2", "firmware", "4.70")

        async def run_before(pilot):
            pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "web-dom2"))
            await settle(pilot)
        assert snap_compare(app_for(snap_core), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SIZES)
    def test_complete_shows_diff(self, snap_compare, snap_core, size):
        snap_core.maintenance_start("web-dom2", "VC firmware 4.70")
        snap_core.domain_set("web-dom2", "firmware", "4.70")
        snap_core.domain_set("web-dom2", "network.web-back", "121")

        async def run_before(pilot):
            pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "web-dom2"))
            await settle(pilot)
            await pilot.press("C")
            await pilot.pause()
        assert snap_compare(app_for(snap_core), terminal_size=size, run_before=run_before)


class TestThemes:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("theme", ["dark", "light", "high-contrast", "ansi16"])
    def test_theme(self, snap_compare, snap_core, size, theme):
        snap_core.sim_fault("enc-w1/3", "critical")
        snap_core.maintenance_start("web-dom2", "rack work")
        assert snap_compare(app_for(snap_core, theme=theme), terminal_size=size,
                            press=["a"], run_before=settle)
