"""Rediscovery through Redfish: the inventory is read bay by bay, so one dead BMC makes
only its own bay unreadable (issue 14)."""

from __future__ import annotations

from tui.model.entities import ServerInfo

from .emulator import FAST_NAMES, emulator_section, free_port


def test_inventory_reads_every_bay_and_a_dead_bmc_is_only_its_own_error(sushy_fast, make_driver):
    section = emulator_section(sushy_fast, FAST_NAMES, "enc-a1", timeout=1.0, retries=0)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    section["systems"].append({"bay": "enc-z9/1", "url": dead, "system": "/redfish/v1/Systems/1"})
    driver = make_driver(section)
    bays = ["enc-a1/1", "enc-a1/2", "enc-z9/1", "enc-a1/16"]
    found = driver.inventory(bays)
    assert set(found) == set(bays)
    first = found["enc-a1/1"]
    assert isinstance(first.server, ServerInfo) and not first.error
    assert first.server.serial == sushy_fast.uuid_of("enc-a1-bay01")
    assert found["enc-a1/2"].server.serial == sushy_fast.uuid_of("enc-a1-bay02")
    assert found["enc-a1/16"].server is None and not found["enc-a1/16"].error  # no BMC: empty
    dead_bay = found["enc-z9/1"]
    assert dead_bay.server is None
    assert dead_bay.error.startswith("enc-z9/1: ") and "did not answer" in dead_bay.error
