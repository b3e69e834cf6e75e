"""status, failover, move and watch through the CLI and the core, over real HTTP to the
sushy-tools emulator: the same commands an operator runs against iLOs."""
from __future__ import annotations

import httpx
import pytest
from conftest import Cli

from .emulator import EMU_PASSWORD, EMU_USER, Emulator, fake_systems
from .fleetconfig import systems_toml, write_fleet_config

NAMES = [f"enc-r1-bay{i:02d}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emu = Emulator(tmp_path_factory.mktemp("sushy-core"), fake_systems(NAMES),
                   auth=(EMU_USER, EMU_PASSWORD), fast=True)
    emu.start()
    yield emu
    emu.stop()


def redfish_cli(emulator, tmp_path, monkeypatch, paths: dict[int, str] | None = None) -> Cli:
    """A CLI on a one-enclosure Redfish fleet; ``paths`` overrides a bay's system path."""
    monkeypatch.setenv("BAYOPS_BMC_EMU_USER", EMU_USER)
    monkeypatch.setenv("BAYOPS_BMC_EMU_PASSWORD", EMU_PASSWORD)
    paths = paths or {}
    systems = systems_toml(emulator.url, {
        i: paths.get(i, "/redfish/v1/Systems/" + emulator.uuid_of(name)) for i, name in enumerate(NAMES, 1)},
        "enc-r1", "emu")
    config = write_fleet_config(tmp_path / "redfish.toml", systems, group="rf", enclosure="enc-r1",
                                spares=2, graceful=5, power_deadline=15.0, poll=0.1, model="c3000",
                                networks="{ prod = 100, mgmt = 10 }")
    return Cli(config, tmp_path / "state.db")


@pytest.fixture
def rf_cli(emulator, tmp_path, monkeypatch) -> Cli:
    return redfish_cli(emulator, tmp_path, monkeypatch)


def system(emulator: Emulator, bay: str) -> dict:
    name = NAMES[int(bay.split("/")[1]) - 1]
    with httpx.Client(base_url=emulator.url, auth=(EMU_USER, EMU_PASSWORD)) as client:
        return client.get(f"/redfish/v1/Systems/{emulator.uuid_of(name)}").json()


def test_status_failover_move_and_watch_over_redfish(rf_cli, emulator):
    r = rf_cli("status", "--json")
    assert r.code == 0, r.err
    assert r.json["driver"] == "redfish"
    group = r.json["groups"][0]
    assert (group["servers"], group["profiles"], group["spares"]) == (8, 6, 2)
    assert "plain HTTP" in r.err  # credentials over http are warned about ...
    assert EMU_PASSWORD not in r.err + r.out  # ... and never shown
    warned = [e for e in rf_cli("events", "--json").json if e["kind"] == "driver.warning"]
    assert warned and all(EMU_PASSWORD not in e["message"] for e in warned)

    bays = rf_cli("bays", "--json").json
    source = next(b for b in bays if b["profile"])
    assert source["model"] == "Sushy Emulator"

    r = rf_cli("failover", source["id"], "--force", "--yes", "--json")
    assert r.code == 0, r.err
    target = r.json["plan"]["target"]
    apply_step = next(s for s in r.json["job"]["steps"] if s["name"].startswith("apply profile"))
    assert "applied:" in apply_step["detail"]
    assert system(emulator, target)["PowerState"] == "On"
    assert system(emulator, source["id"])["PowerState"] == "Off"
    assert rf_cli.bay(target)["profile"] == source["profile"]

    other = next(b for b in rf_cli("bays", "--json").json
                 if b["profile"] and b["id"] != target)
    spare = rf_cli("spares", "rf", "--json").json[0]["id"]
    r = rf_cli("move", other["profile"], "--to", spare, "--yes", "--json")
    assert r.code == 0, r.err
    assert system(emulator, spare)["PowerState"] == "On"
    assert rf_cli.bay(spare)["profile"] == other["profile"]

    # A power change made behind bayops' back is seen by the headless monitor.
    name = NAMES[int(target.split("/")[1]) - 1]
    with httpx.Client(base_url=emulator.url, auth=(EMU_USER, EMU_PASSWORD)) as client:
        reset = client.post(f"/redfish/v1/Systems/{emulator.uuid_of(name)}/Actions/"
                            "ComputerSystem.Reset", json={"ResetType": "ForceOff"})
        assert reset.status_code in (200, 202, 204)
    assert rf_cli("watch", "--count", "1", "--interval", "0.1").code == 0
    assert rf_cli.bay(target)["power"] == "off"


def test_a_missing_system_does_not_keep_the_fleet_out_and_failover_skips_it(emulator, tmp_path,
                                                                             monkeypatch):
    # Bay 8 points at a system the BMC does not have: discovery fails for that bay only.
    cli = redfish_cli(emulator, tmp_path, monkeypatch, {8: "/redfish/v1/Systems/no-such"})
    r = cli("status", "--json")
    assert r.code == 0, r.err
    broken = cli.bay("enc-r1/8")
    assert broken["model"] == "unknown" and broken["health"] == "unknown"
    problems = [e for e in cli("events", "--json").json if e["kind"] == "fleet.discovery"]
    assert len(problems) == 1 and "enc-r1/8" in problems[0]["message"] and "404" in problems[0]["message"]
    # An explicit target that fails is a journaled step failure; the failover then
    # recovers onto the spare pool, and the profile is never on two bays.
    source = next(b for b in cli("bays", "--json").json if b["profile"] and b["id"] != "enc-r1/8")
    # forced by naming its state, as the safety rule asks for a bay that reads unknown
    r = cli("failover", source["id"], "--to", "enc-r1/8", "--force", "--force-unfit", "unknown",
            "--yes", "--json")
    assert r.code == 0, r.err
    steps = r.json["job"]["steps"]
    failed = [s for s in steps if s["state"] == "failed"]
    assert failed and failed[0]["name"] == "apply profile to enc-r1/8 (attempt 1)"
    assert "404" in failed[0]["detail"]
    where = {p["name"]: p["bay"] for p in cli("profile", "list", "--json").json}
    landed = where[source["profile"]]
    assert landed not in (None, "enc-r1/8", source["id"]) and list(where.values()).count(landed) == 1
    assert system(emulator, landed)["PowerState"] == "On"
    events = cli("events", "--json").json
    assert any(e["kind"] == "failover.target-failed" and "404" in e["message"] for e in events)
