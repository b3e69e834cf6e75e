"""The dashboard on an appliance-backed fleet: the bays are the emulated OneView
appliance's server hardware with its adopted profiles, and a failover from the keyboard
moves the profile on the appliance."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, open_core, wait_jobs
from tests.oneview.emulator import OneViewEmulator, self_signed
from tests.oneview.inventory import small_spec
from tests.oneview.site import PASSWORD_ENV, site_config
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen
from tui.app.main_screen import MainScreen

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


@pytest.fixture
def appliance(tmp_path, monkeypatch):
    emu = OneViewEmulator(tmp_path / "ov", small_spec(), task_delay=0.05,
                          tls=self_signed(tmp_path)).start()
    monkeypatch.setenv(PASSWORD_ENV, emu.password)
    yield emu
    emu.stop()


async def test_dashboard_shows_the_appliance_fleet_and_fails_over_through_it(appliance, tmp_path):
    core = open_core(site_config(tmp_path / "config.toml", appliance), tmp_path / "state.db")
    try:
        core.spares("EG-A", ["enc-a2/4"], [])
        appliance.raise_alert("enc-a1/1", description="System board failure")
        core.refresh()
        async with make_app(core).run_test(size=SIZE) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, MainScreen)
            table = screen.query_one(BaysTable)
            assert len(table.items) == 24  # enc-a1, enc-a2, enc-b1: 8 bays each
            shown = {b.id: b.profile for b in table.items}
            assert shown["enc-a1/1"] == "web-001" and shown["enc-b1/1"] == "syn-001"
            await pilot.press("slash", *"enc-a1/1", "enter")
            await pilot.pause()
            await pilot.press("f")
            assert isinstance(pilot.app.screen, ConfirmScreen)
            assert pilot.app.screen.view.target == "enc-a2/4"
            await pilot.press("y")
            await wait_jobs(pilot, timeout=30)
        hw = appliance.profile("web-001")["serverHardwareUri"]
        assert appliance.hardware(hw)["name"] == "enc-a2, bay 4"
        assert core.bay("enc-a2/4").profile == "web-001"
    finally:
        core.close()
