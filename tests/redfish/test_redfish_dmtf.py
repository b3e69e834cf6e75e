"""The driver and the CLI against DMTF's own Redfish-Mockup-Server and public mockups.

Services written by others, as they are: an enclosure of 4 blades on one service
(public-bladed) and one rack server (public-rackmount1). See thirdparty/README.md for
what the DMTF server does not emulate (power changes, authentication, ETags).
"""
from __future__ import annotations

import httpx
import pytest
from conftest import Cli

from tui.model.driver import DriverError
from tui.model.entities import Connection, Profile

from .dmtf import MockupServer
from .fleetconfig import systems_toml, write_fleet_config

BLADES = ["529QB9450R6", "529QB9451R6", "529QB9452R6", "529QB9453R6"]
RACK = "437XR1138R2"
SAN = Profile("web-01", "g", "VCX0000001", "san", "50:00:14:38:00:00:00:01", 1,
              (Connection("eth", 1, "00:17:A4:77:00:10", "prod"),))


def _server(tmp_path_factory, mockup: str):
    try:
        server = MockupServer(mockup, tmp_path_factory.mktemp(mockup)).start()
    except RuntimeError as exc:
        pytest.fail(f"{exc} (pip install -e '.[test]' installs grequests, which it imports)",
                    pytrace=False)
    return server


@pytest.fixture(scope="module")
def bladed(tmp_path_factory):
    server = _server(tmp_path_factory, "public-bladed")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rackmount(tmp_path_factory):
    server = _server(tmp_path_factory, "public-rackmount1")
    yield server
    server.stop()


def blade_section(server: MockupServer, **top) -> dict:
    systems = [{"bay": f"enc-d1/{i}", "url": server.url, "system": f"/redfish/v1/Systems/{sid}",
                "credentials": "emu"} for i, sid in enumerate(BLADES, 1)]
    systems.append({"bay": "enc-d1/5", "url": server.url, "credentials": "emu"})
    section = {"timeout": 5.0, "poll_interval": 0.05, "power_deadline": 0.5, "systems": systems}
    section.update(top)
    return section


def session_ids(server: MockupServer) -> set[str]:
    return {m["@odata.id"] for m in server.get("/redfish/v1/SessionService/Sessions")["Members"]}


def test_four_blades_on_one_service_are_discovered_and_a_bay_without_system_is_refused(
        bladed, make_driver):
    driver = make_driver(blade_section(bladed))
    found = driver.discover([f"enc-d1/{i}" for i in range(1, 5)])
    assert {info.model for info in found.values()} == {"SX1000"}
    assert len({info.serial for info in found.values()}) == 4
    assert all(info.power == "on" and info.health == "ok" for info in found.values())
    with pytest.raises(DriverError) as info:
        driver.discover(["enc-d1/5"])
    assert "the BMC offers 4 systems: " + ", ".join(f"/redfish/v1/Systems/{s}" for s in BLADES) \
        in str(info.value)


def test_a_session_is_made_used_and_deleted_at_close(bladed, make_driver):
    before = session_ids(bladed)
    driver = make_driver(blade_section(bladed))
    assert driver.read(["enc-d1/1"])["enc-d1/1"].power == "on"
    ours = session_ids(bladed) - before
    assert len(ours) == 1, "one login for the BMC"
    driver.close()
    assert session_ids(bladed) == before, "the session we made is gone"


def test_a_san_profile_sets_a_continuous_override_and_clearing_disables_it(bladed, make_driver):
    driver = make_driver(blade_section(bladed))
    report = driver.apply_profile("enc-d1/2", SAN)
    assert report.failed == ()
    assert report.applied == ("boot override Hdd (continuous) for boot-from-SAN",)
    assert "eth1 MAC 00:17:A4:77:00:10 (no Ethernet NetworkDeviceFunction offered)" in report.not_applied
    boot = bladed.get(f"/redfish/v1/Systems/{BLADES[1]}")["Boot"]
    assert (boot["BootSourceOverrideEnabled"], boot["BootSourceOverrideTarget"]) == ("Continuous", "Hdd")
    driver.clear_profile("enc-d1/2", SAN.name)
    boot = bladed.get(f"/redfish/v1/Systems/{BLADES[1]}")["Boot"]
    assert boot["BootSourceOverrideEnabled"] == "Disabled"


def test_the_rack_server_binds_alone_sets_the_uefi_mode_and_shows_its_condition(rackmount, make_driver):
    driver = make_driver({"timeout": 5.0, "power_deadline": 0.5, "poll_interval": 0.05, "systems": [
        {"bay": "enc-r9/1", "url": rackmount.url, "credentials": "emu"}]})
    reading = driver.read(["enc-r9/1"])["enc-r9/1"]
    assert reading.health == "warning"
    assert "Warning: Sensor 'CPU1 Temp' reading of 44 (Cel) is above the 42 upper caution threshold." \
        in reading.detail
    report = driver.apply_profile("enc-r9/1", SAN)
    assert report.applied == ("boot override Hdd (continuous, UEFI) for boot-from-SAN",)
    boot = rackmount.get(f"/redfish/v1/Systems/{RACK}")["Boot"]
    assert (boot["BootSourceOverrideEnabled"], boot["BootSourceOverrideMode"]) == ("Continuous", "UEFI")


def test_a_reset_the_service_accepts_but_never_carries_out_is_not_reported_as_done(rackmount,
                                                                                  make_driver):
    driver = make_driver({"timeout": 5.0, "power_deadline": 0.3, "poll_interval": 0.05, "systems": [
        {"bay": "enc-r9/1", "url": rackmount.url, "credentials": "emu"}]})
    with pytest.raises(DriverError, match=r"ForceOff accepted but PowerState still On after 0\.3 s"):
        driver.power_off("enc-r9/1", graceful_deadline=0.2)


def test_cli_status_and_an_honest_failed_failover_on_the_bladed_mockup(bladed, tmp_path, monkeypatch):
    monkeypatch.setenv("BAYOPS_BMC_EMU_USER", "admin")
    monkeypatch.setenv("BAYOPS_BMC_EMU_PASSWORD", "Dmtf-pa55")
    systems = systems_toml(bladed.url, {i: f"/redfish/v1/Systems/{sid}" for i, sid in enumerate(BLADES, 1)},
                           "enc-d1", "emu")
    config = write_fleet_config(tmp_path / "dmtf.toml", systems, group="d", enclosure="enc-d1",
                                spares=1, graceful=0.2, power_deadline=0.3)
    cli = Cli(config, tmp_path / "state.db")
    before = session_ids(bladed)
    r = cli("status", "--json")
    assert r.code == 0, r.err
    assert r.json["groups"][0]["servers"] == 4
    source = next(b for b in cli("bays", "--json").json if b["profile"])
    # Every blade is on (so no spare is usable; --to --force takes one anyway). The mockup
    # accepts every Reset and never changes PowerState: the source cannot be shown to be
    # off, so the failover stops before anything moves, and says so.
    spare = cli("spares", "d", "--json").json[0]["id"]
    r = cli("failover", source["id"], "--to", spare, "--force", "--yes", "--json")
    assert r.code == 1
    assert "nothing moved" in r.json["error"]
    assert "cannot fence through Redfish: ForceOff already failed" in r.json["error"]
    assert cli.bay(source["id"])["profile"] == source["profile"]
    assert session_ids(bladed) == before, "every CLI process deleted the session it made"
    assert httpx.get(bladed.url + "/redfish/v1/", timeout=5).status_code == 200
