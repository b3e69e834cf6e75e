"""The Redfish driver against a real Redfish service: sushy-tools' emulator.

Bays enc-a1/1..8 map to the fast emulator's systems (power changes show on the next
GET); enc-b1/1..2 to the slow one (real 1-11 s delay). Each test mutating power or
boot uses its own bay, so the session-scoped emulator can be shared.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tui.model.driver import DriverError, NoAnswer
from tui.model.entities import Connection, Profile, ServerInfo

from .emulator import EMU_PASSWORD, EMU_USER, FAST_NAMES, SLOW_NAMES, emulator_section, free_port

SAN_PROFILE = Profile(
    name="web-01",
    group="prod",
    serial="VCX0000101",
    boot_mode="san",
    san_target="50:06:01:60:3b:20:11:22",
    san_lun=3,
    connections=(
        Connection("eth", 1, "00:17:a4:77:00:01", "prod-vlan110"),
        Connection("fc", 1, "50:06:0b:00:00:c2:62:00", "san-a"),
    ),
)


def _boot(emu, name: str) -> dict:
    """Read the system back with a plain client (a second opinion, not our driver)."""
    resp = httpx.get(
        f"{emu.url}/redfish/v1/Systems/{emu.uuid_of(name)}", auth=(EMU_USER, EMU_PASSWORD), timeout=5
    )
    resp.raise_for_status()
    return resp.json()


def test_discover_maps_systems_and_leaves_unmapped_bays_empty(sushy_fast, make_driver):
    driver = make_driver(emulator_section(sushy_fast, FAST_NAMES, "enc-a1"))
    found = driver.discover(["enc-a1/1", "enc-a1/2", "enc-a1/12"])
    assert found["enc-a1/12"] is None
    info = found["enc-a1/1"]
    assert isinstance(info, ServerInfo)
    # sushy has no Model/SerialNumber: Manufacturer and UUID stand in (docs/redfish.md)
    assert info.model == "Sushy Emulator"
    assert info.serial == sushy_fast.uuid_of("enc-a1-bay01")
    assert info.generation == "unknown"
    assert (info.power, info.health) == ("off", "ok")
    assert found["enc-a1/2"].serial == sushy_fast.uuid_of("enc-a1-bay02")


def test_read_sweep_reports_every_bay_and_unreachable_as_unknown(sushy_fast, make_driver):
    section = emulator_section(sushy_fast, FAST_NAMES, "enc-a1", timeout=1.0, retries=0)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    section["systems"].append({"bay": "enc-z9/1", "url": dead, "system": "/redfish/v1/Systems/1"})
    driver = make_driver(section)
    bays = [f"enc-a1/{n}" for n in range(1, 9)] + ["enc-z9/1", "enc-a1/16"]
    readings = driver.read(bays)
    assert set(readings) == set(bays)
    for n in range(1, 9):
        assert readings[f"enc-a1/{n}"].power in ("on", "off")
        assert readings[f"enc-a1/{n}"].health == "ok"
    dead_reading = readings["enc-z9/1"]
    assert (dead_reading.power, dead_reading.health) == ("unknown", "unknown")
    assert "enc-z9/1" in dead_reading.detail and "did not answer" in dead_reading.detail
    assert readings["enc-a1/16"].power == "unknown"
    with pytest.raises(NoAnswer, match=r"^enc-z9/1: BMC at http://127\.0\.0\.1:\d+ did not answer"):
        driver.power_off("enc-z9/1", 1.0)


def test_power_on_then_graceful_off_verified_by_reading(sushy_fast, make_driver):
    driver = make_driver(emulator_section(sushy_fast, FAST_NAMES, "enc-a1"))
    driver.power_on("enc-a1/2")
    assert driver.read(["enc-a1/2"])["enc-a1/2"].power == "on"
    assert _boot(sushy_fast, "enc-a1-bay02")["PowerState"] == "On"
    assert driver.power_off("enc-a1/2", 5.0) == "graceful"
    assert driver.read(["enc-a1/2"])["enc-a1/2"].power == "off"
    assert driver.power_off("enc-a1/2", 5.0) == "already off"


def test_force_off_when_no_graceful_deadline_and_fence(sushy_fast, make_driver):
    driver = make_driver(emulator_section(sushy_fast, FAST_NAMES, "enc-a1"))
    driver.power_on("enc-a1/4")
    assert driver.power_off("enc-a1/4", 0) == "forced"
    driver.power_on("enc-a1/4")
    sentence = driver.fence("enc-a1/4")
    assert sentence.startswith("enc-a1/4: fenced through Redfish") and "ForceOff" in sentence
    assert _boot(sushy_fast, "enc-a1-bay04")["PowerState"] == "Off"


def test_apply_profile_sets_boot_override_read_back(sushy_fast, make_driver):
    driver = make_driver(emulator_section(sushy_fast, FAST_NAMES, "enc-a1"))
    report = driver.apply_profile("enc-a1/3", SAN_PROFILE)
    assert report.applied == ("boot override Hdd (continuous, UEFI) for boot-from-SAN",)
    assert _boot(sushy_fast, "enc-a1-bay03")["Boot"]["BootSourceOverrideTarget"] == "Hdd"
    # sushy offers no NetworkDeviceFunctions: addresses are reported, not pretended
    text = report.summary()
    assert "eth1 MAC 00:17:a4:77:00:01 (no Ethernet NetworkDeviceFunction offered)" in text
    assert "fc1 WWPN 50:06:0b:00:00:c2:62:00 (no FibreChannel" in text
    assert "SAN boot target 50:06:01:60:3b:20:11:22 LUN 3" in text
    assert "virtual serial VCX0000101" in text

    driver.clear_profile("enc-a1/3", SAN_PROFILE.name)
    assert _boot(sushy_fast, "enc-a1-bay03")["Boot"]["BootSourceOverrideTarget"] == "None"


def test_missing_system_is_a_clear_404(sushy_fast, make_driver):
    section = emulator_section(sushy_fast, FAST_NAMES, "enc-a1")
    section["systems"].append(
        {
            "bay": "enc-a1/9",
            "url": sushy_fast.url,
            "system": "/redfish/v1/Systems/no-such",
            "credentials": "emu",
        }
    )
    driver = make_driver(section)
    with pytest.raises(DriverError) as info:
        driver.discover(["enc-a1/1", "enc-a1/9"])
    message = str(info.value)
    assert "enc-a1/9" in message and "/redfish/v1/Systems/no-such not found" in message and "404" in message
    assert "\n" not in message and "Traceback" not in message
    with pytest.raises(DriverError, match=r"^enc-a1/9: system /redfish/v1/Systems/no-such not found"):
        driver.power_on("enc-a1/9")
    assert "404" in driver.read(["enc-a1/9"])["enc-a1/9"].detail


def test_wrong_password_is_a_clear_401_without_the_password(sushy_fast, make_driver, monkeypatch):
    wrong = "Wr0ng-secret-xyzzy"
    monkeypatch.setenv("BAYOPS_BMC_EMU_PASSWORD", wrong)
    driver = make_driver(emulator_section(sushy_fast, FAST_NAMES, "enc-a1"))
    with pytest.raises(DriverError) as info:
        driver.power_on("enc-a1/5")
    message = str(info.value)
    assert not isinstance(info.value, NoAnswer)
    assert message.startswith("enc-a1/5: BMC refused credentials 'emu' (401")
    assert wrong not in message and EMU_PASSWORD not in message and "\n" not in message
    detail = driver.read(["enc-a1/5"])["enc-a1/5"].detail
    assert "401" in detail and wrong not in detail
    assert wrong not in repr(driver)


def test_real_delay_power_on_is_polled_until_on(sushy_slow, make_driver):
    """The 204 is not the change: PowerState flips 1-11 s later on the real emulator."""
    driver = make_driver(
        emulator_section(sushy_slow, SLOW_NAMES, "enc-b1", poll_interval=0.25, power_deadline=20.0)
    )
    assert driver.read(["enc-b1/1"])["enc-b1/1"].power == "off"
    started = time.monotonic()
    driver.power_on("enc-b1/1")
    took = time.monotonic() - started
    assert driver.read(["enc-b1/1"])["enc-b1/1"].power == "on"
    assert _boot(sushy_slow, "enc-b1-bay01")["PowerState"] == "On"
    assert took < 20.0


def test_tls_verified_against_ca_bundle_and_refused_without(sushy_tls, make_driver):
    system = {"bay": "enc-t1/1", "url": sushy_tls.url, "system": "/redfish/v1/Systems/enc-t1-bay01"}
    trusted = make_driver({"ca_bundle": str(sushy_tls.tls[0]), "timeout": 5.0, "systems": [system]})
    assert trusted.read(["enc-t1/1"])["enc-t1/1"].health == "ok"

    default = make_driver({"timeout": 5.0, "retries": 0, "systems": [system]})  # system trust store
    with pytest.raises(
        NoAnswer, match=r"^enc-t1/1: BMC at https://127\.0\.0\.1:\d+ did not answer: TLS handshake failed"
    ):
        default.power_on("enc-t1/1")

    warnings_before = len(make_driver.warnings)
    insecure = make_driver({"timeout": 5.0, "systems": [dict(system, verify=False)]})
    assert insecure.read(["enc-t1/1"])["enc-t1/1"].health == "ok"
    assert "TLS certificate verification is OFF" in make_driver.warnings[warnings_before]
