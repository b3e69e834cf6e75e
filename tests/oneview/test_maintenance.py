"""Domain maintenance on the appliance through the real CLI (issue 25, done-means 6):
firmware as the logical interconnect's update task, uplink ports as its modules report
them, and a backup that carries the LI's settings."""
from __future__ import annotations

import pytest

from .site import site

LI = "LE-enc-a1-LIG-A"
NEW = "2024.01.0"


@pytest.fixture
def bayops(tmp_path, oneview):
    return site(tmp_path, oneview)


def versions(emu, enclosure: str) -> list[str]:
    return [emu.resource("interconnects", f"{enclosure}, interconnect {b}")["firmwareVersion"]
            for b in (1, 2)]


def firmware_tasks(emu, li: str) -> list[dict]:
    return [t for t in emu.tasks_for(li) if t["name"] == "Update firmware"]


def test_firmware_upgrade_is_one_li_task_and_every_module_read_back(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    r = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")
    assert r.code == 0, r.err + r.out
    assert versions(oneview, "enc-a1") == [NEW, NEW]
    assert versions(oneview, "enc-a2") == ["2023.03.0", "2023.03.0"]  # another domain: untouched
    [task] = firmware_tasks(oneview, LI)
    assert task["taskState"] == "Completed"
    assert oneview.resource("logical-interconnects", LI)["firmware"]["sppName"] == "SPP 2024.01.0"
    journal = bayops("jobs", "show", "2").out
    assert f"enc-a1/ic1 {NEW}" in journal and f"enc-a1/ic2 {NEW}" in journal
    again = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")
    assert again.code != 0 and "already runs" in again.err + again.out  # recorded: nothing to do
    assert len(firmware_tasks(oneview, LI)) == 1


def test_a_failed_firmware_task_stops_the_job_with_the_appliances_message(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    oneview.fail_next_task(LI, code="InterconnectFirmwareUpdateFailed",
                           message="Interconnect bay 2 of enc-a1 rejected the firmware image")
    r = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")
    assert r.code == 1
    assert "rejected the firmware image" in r.err + r.out
    assert versions(oneview, "enc-a1") == ["2023.03.0", "2023.03.0"]
    compliance = bayops("firmware", "compliance", "EG-A", "--json")
    assert compliance.code == 0, compliance.err
    assert "2023.03.0" in compliance.out and NEW not in compliance.out.replace(f"--to {NEW}", "")
    r = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")  # the operator retries
    assert r.code == 0, r.err + r.out
    assert versions(oneview, "enc-a1") == [NEW, NEW]
    assert [t["taskState"] for t in firmware_tasks(oneview, LI)] == ["Completed", "Error"]


def test_an_unknown_version_is_refused_with_what_to_do(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    r = bayops("firmware", "upgrade", "LE-enc-a1", "--to", "9.99", "--yes")
    assert r.code == 1 and "no firmware bundle" in r.err + r.out
    assert not firmware_tasks(oneview, LI)


def test_ports_list_the_uplinks_and_a_pulled_cable_shows_down(bayops, oneview):
    r = bayops("ports", "LE-enc-a1", "--json")
    assert r.code == 0, r.err + r.out
    ports = {p["name"]: p for p in r.json["ports"]}
    # X2 of each module has no cable and is in no uplink set: unused, not listed as down
    assert sorted(ports) == ["enc-a1/ic1:X1", "enc-a1/ic2:X1"]
    assert {(p["link"], p["speed_gbps"], tuple(p["networks"])) for p in ports.values()} == {
        ("up", 10, ("prod-a", "prod-b"))}  # the LIG's uplink set
    assert "port.down" not in bayops("events", "--json").out

    oneview.set_port("enc-a1, interconnect 1", "X1", linked=False, rx_errors=4711)
    r = bayops("ports", "LE-enc-a1")
    assert r.code == 0, r.err
    line = next(x for x in r.out.splitlines() if "enc-a1/ic1:X1" in x)
    assert line.split()[1] == "DOWN" and "4711" in line.split()


def test_a_backup_carries_the_lis_settings_and_a_restore_puts_them_back(bayops, oneview):
    r = bayops("domain", "backup", "LE-enc-a1", "--reason", "before", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    shown = bayops("domain", "backups", "LE-enc-a1", "--json")
    assert shown.code == 0 and len(shown.json) == 1
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "edit", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "network.mgmt", "-", "--yes").code == 0
    assert oneview.resource("logical-interconnects", LI)["internalNetworkUris"] == []
    backup = shown.json[0]["id"]
    r = bayops("domain", "restore", "LE-enc-a1", str(backup), "--yes")
    assert r.code == 0, r.err + r.out
    # the appliance export in the backup is what put the LI's network back
    assert f"logical interconnect {LI}: restored internalNetworks; consistent with its group" in r.out
    li = oneview.resource("logical-interconnects", LI)
    assert [oneview.find(u)["name"] for u in li["internalNetworkUris"]] == ["mgmt"]
    assert li["consistencyStatus"] == "CONSISTENT"


NO_LI = '''
[[groups]]
name = "EG-A"
spares = 0
networks = { prod-a = 101, prod-b = 102, mgmt = 10 }
fabrics = ["fabric-a", "fabric-b"]
[[groups.domains]]
name = "LE-enc-a1"
enclosures = [{ name = "enc-a1", model = "c3000" }]
[[groups.domains]]
name = "enc-a2"
enclosures = [{ name = "enc-a2", model = "c3000" }]
'''


def test_a_domain_without_a_logical_interconnect_has_no_uplinks_and_the_monitor_goes_on(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=NO_LI)  # enc-a2 named as itself: no LI of that name
    oneview.set_port("enc-a1, interconnect 2", "X1", linked=False)
    r = bayops("watch", "--count", "1", "--no-policy")
    assert r.code == 0, r.err + r.out
    events = bayops("events", "--json").json
    assert [e["data"]["port"] for e in events if e["kind"] == "port.down"] == ["enc-a1/ic2:X1"]
    r = bayops("ports", "enc-a2", "--json")
    assert r.code == 0 and r.json["ports"] == []
