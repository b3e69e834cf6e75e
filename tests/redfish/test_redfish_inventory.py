"""Rediscovery through Redfish: the inventory is read bay by bay, so one dead BMC makes
only its own bay unreadable (issue 14); what a server is when it does not say (issue 23)."""

from __future__ import annotations

import pytest

from tui.model.entities import ServerInfo

from . import test_redfish_respx as respx_tests
from .emulator import FAST_NAMES, emulator_section, free_port
from .test_redfish_respx import BMC, FakeBmc

router, build = respx_tests.router, respx_tests.build  # the same fixtures
MANAGER = "/redfish/v1/Managers/1"


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


@pytest.mark.parametrize(("model", "generation"), [
    ("ProLiant BL460c Gen10", "Gen10"), ("PowerEdge R640", "14G"), ("PowerEdge R7525", "15G"),
    ("PowerEdge M630", "13G"), ("ThinkSystem SR650 V2", "V2"), ("ThinkSystem SE450", "V1"),
    ("UCSC-C220-M5SX", "M5"), ("PRIMERGY RX2540 M5", "M5"), ("X11DPi-N", "X11"),
    ("OpenBMC Server", "unknown"), ("PowerEdge", "unknown")])
def test_the_generation_comes_from_known_vendor_model_names(router, build, model, generation):
    bmc = FakeBmc(router, power="Off")
    bmc.body_override = dict(bmc.resource(), Model=model)
    assert build().discover(["enc-c1/1"])["enc-c1/1"].generation == generation


def test_a_server_without_serial_or_uuid_is_named_by_its_chassis_else_its_own_bmc(router, build):
    bmc = FakeBmc(router, power="Off")
    body = bmc.resource()
    del body["SerialNumber"]
    bmc.body_override = dict(body, Links=dict(body["Links"], ManagedBy=[{"@odata.id": MANAGER}]))
    chassis = router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"SerialNumber": "CHS-77"})
    router.get(BMC + MANAGER).respond(json={"UUID": "0000-bmc-uuid"})
    driver = build()
    assert driver.discover(["enc-c1/1"])["enc-c1/1"].serial == "CHS-77"
    chassis.respond(json={})
    assert driver.discover(["enc-c1/1"])["enc-c1/1"].serial == "BMC 0000-bmc-uuid"
    router.get(BMC + MANAGER).respond(404)
    assert driver.discover(["enc-c1/1"])["enc-c1/1"].serial == "identity unknown"
