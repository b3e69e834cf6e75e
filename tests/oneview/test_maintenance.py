"""Domain maintenance on the appliance through the real CLI (issue 25, done-means 6):
firmware as the logical interconnect's update task, uplink ports as its modules report
them, and a backup that carries the LI's settings."""
from __future__ import annotations

import pytest

from .site import site
from .test_driver_cli import THREE_DOMAINS

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


def baseline(emu, enclosure: str) -> str:
    """The SPP a logical enclosure pins (its ``firmware``, where OneView keeps the baseline)."""
    le = emu.resource("logical-enclosures", f"LE-{enclosure}")
    return emu.find(le["firmware"]["firmwareBaselineUri"])["name"]


def test_firmware_upgrade_is_one_logical_enclosure_task_and_every_module_read_back(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    r = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")
    assert r.code == 0, r.err + r.out
    assert versions(oneview, "enc-a1") == [NEW, NEW]
    assert versions(oneview, "enc-a2") == ["2023.03.0", "2023.03.0"]  # another domain: untouched
    # the LE's update: its baseline set and its interconnects flashed in one task, no LI-only one
    [task] = firmware_tasks(oneview, "LE-enc-a1")
    assert task["taskState"] == "Completed" and not firmware_tasks(oneview, LI)
    assert baseline(oneview, "enc-a1") == "SPP 2024.01.0"
    journal = bayops("jobs", "show", "2").out
    assert f"enc-a1/ic1 {NEW}" in journal and f"enc-a1/ic2 {NEW}" in journal
    again = bayops("firmware", "upgrade", "LE-enc-a1", "--to", NEW, "--yes")
    assert again.code != 0 and "already runs" in again.err + again.out  # recorded: nothing to do
    assert len(firmware_tasks(oneview, "LE-enc-a1")) == 1
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")  # the SPP becomes the group's
    assert r.code == 0, r.err + r.out
    assert len(firmware_tasks(oneview, "LE-enc-a1")) == 1  # the baseline is not set a second time
    assert versions(oneview, "enc-a2") == [NEW, NEW]
    assert baseline(oneview, "enc-a1") == baseline(oneview, "enc-a2") == "SPP 2024.01.0"
    assert "firmware" not in oneview.resource("logical-interconnect-groups", "LIG-A")


def test_a_failed_firmware_task_stops_the_job_with_the_appliances_message(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    oneview.fail_next_task("LE-enc-a1", code="InterconnectFirmwareUpdateFailed",
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
    assert [t["taskState"] for t in firmware_tasks(oneview, "LE-enc-a1")] == ["Completed", "Error"]


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


# --- the seed's maintenance edits: fabrics, firmware baseline, local users ------------------

def fabrics(emu, enclosure: str) -> dict[str, str]:
    """FC network -> the uplink set carrying it, read on the appliance's side (the LI's
    /rest/uplink-sets resources)."""
    li = emu.resource("logical-interconnects", f"LE-{enclosure}-LIG-A")["uri"]
    return {emu.find(uri)["name"]: s["name"] for s in emu.members("uplink-sets")
            if s["logicalInterconnectUri"] == li for uri in s["fcNetworkUris"]}


def group_fabrics(emu) -> list[str]:
    lig = emu.resource("logical-interconnect-groups", "LIG-A")
    return sorted(emu.find(u)["name"] for s in lig["uplinkSets"] if s["networkType"] == "FibreChannel"
                  for u in s["networkUris"])


def consistency(emu) -> list[str]:
    return [emu.resource("logical-interconnects", f"LE-enc-a{n}-LIG-A")["consistencyStatus"]
            for n in (1, 2, 3)]


def test_a_fabric_added_in_maintenance_reaches_each_member_on_complete_and_stops_at_a_failure(
        tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS)
    oneview.create_fc_network("fabric-c")  # made in OneView first, as the docs say
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "new SAN", "--yes").code == 0
    r = bayops("domain", "set", "LE-enc-a1", "fabric.fabric-c", "present", "--yes")
    assert r.code == 0, r.err + r.out
    # that one LI carries it in a FibreChannel uplink set of its own; nobody else does
    assert fabrics(oneview, "enc-a1") == {"fabric-a": "uplink-fabric-a", "fabric-b": "uplink-fabric-b",
                                          "fabric-c": "fabric-c"}
    assert "fabric-c" not in fabrics(oneview, "enc-a2") and group_fabrics(oneview) == ["fabric-a", "fabric-b"]
    assert consistency(oneview) == ["NOT_CONSISTENT", "CONSISTENT", "CONSISTENT"]

    oneview.fail_next_task("LE-enc-a3-LIG-A", code="InterconnectUnreachable",
                           message="Interconnect bay 1 of enc-a3 does not respond")
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 1
    assert "LE-enc-a2 reverted" in r.err and "stays in maintenance" in r.err
    journal = bayops("jobs", "show", "3").out
    assert "Interconnect bay 1 of enc-a3 does not respond" in journal and "revert LE-enc-a2" in journal
    # a2 got it and gave it back (the group too); a3 never changed; a1 keeps its edit
    assert "fabric-c" not in fabrics(oneview, "enc-a2") and "fabric-c" not in fabrics(oneview, "enc-a3")
    assert group_fabrics(oneview) == ["fabric-a", "fabric-b"] and "fabric-c" in fabrics(oneview, "enc-a1")

    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert group_fabrics(oneview) == ["fabric-a", "fabric-b", "fabric-c"]
    for enc in ("enc-a1", "enc-a2", "enc-a3"):
        assert fabrics(oneview, enc)["fabric-c"] == "fabric-c"
    assert consistency(oneview) == ["CONSISTENT"] * 3
    shown = bayops("domain", "show", "LE-enc-a3", "--json").json
    assert "fabric-c" in shown["baseline"]["fabrics"] and shown["diff"] == []


def test_when_the_first_member_fails_the_group_is_set_back_and_cancel_reverts_the_fabric(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS)
    oneview.create_fc_network("fabric-c")
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "new SAN", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "fabric.fabric-c", "present", "--yes").code == 0
    oneview.fail_next_task("LE-enc-a2-LIG-A", code="InterconnectUnreachable",
                           message="Interconnect bay 2 of enc-a2 does not respond")
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 1
    assert "does not respond" in r.err and "group LIG-A set back as it was" in r.err
    assert "no domain reverted" in r.err  # nothing was done to any member
    # the group never keeps a baseline no member has
    assert group_fabrics(oneview) == ["fabric-a", "fabric-b"]
    assert consistency(oneview) == ["NOT_CONSISTENT", "CONSISTENT", "CONSISTENT"]
    r = bayops("maintenance", "cancel", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert "fabric-c" not in fabrics(oneview, "enc-a1")
    assert consistency(oneview) == ["CONSISTENT"] * 3


def test_cancel_brings_a_removed_fabric_back_as_its_group_has_it(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "retire B", "--yes").code == 0
    r = bayops("domain", "set", "LE-enc-a1", "fabric.fabric-b", "-", "--yes")
    assert r.code == 0, r.err + r.out
    assert sorted(fabrics(oneview, "enc-a1")) == ["fabric-a"] and "fabric-b" in fabrics(oneview, "enc-a2")
    r = bayops("maintenance", "cancel", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert fabrics(oneview, "enc-a1") == {"fabric-a": "uplink-fabric-a", "fabric-b": "uplink-fabric-b"}
    assert oneview.resource("logical-interconnects", LI)["consistencyStatus"] == "CONSISTENT"


def test_a_fabric_the_appliance_lacks_is_refused_and_nothing_is_written(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SAN", "--yes").code == 0
    before = oneview.puts_to(LI)
    r = bayops("domain", "set", "LE-enc-a1", "fabric.fabric-x", "present", "--yes")
    assert r.code == 3
    assert "no FC network 'fabric-x'" in r.err and "create it in OneView" in r.err
    assert oneview.puts_to(LI) == before and not oneview.requests[("POST", "/rest/uplink-sets")]
    assert "fabric-x" not in bayops("domain", "show", "LE-enc-a1", "--json").json["config"]["fabrics"]


def test_a_baseline_fabric_the_appliance_lacks_is_reported_not_applied(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS.replace('"fabric-b"]', '"fabric-b", "fabric-z"]'))
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "look", "--yes").code == 0
    r = bayops("maintenance", "cancel", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert "not on the appliance, not applied: fabric fabric-z" in bayops("jobs", "show", "2").out


def test_local_user_and_storage_edits_are_refused_with_why_and_what_to_do(bayops, oneview):
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "ops", "--yes").code == 0
    before = oneview.puts_to(LI)
    r = bayops("domain", "set", "LE-enc-a1", "user.ops", "operator", "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "manager-rule"
    r = bayops("domain", "set", "LE-enc-a1", "user.ops", "operator", "--yes")
    assert r.code == 3
    assert "local users are not per domain under HPE OneView" in r.err
    assert "Settings > Users and Groups" in r.err
    r = bayops("domain", "set", "LE-enc-a1", "storage.fabric-a.speed", "8", "--yes")
    assert r.code == 3 and "FC network's on HPE OneView" in r.err
    assert oneview.puts_to(LI) == before
    assert bayops("domain", "show", "LE-enc-a1", "--json").json["diff"] == []


def test_the_firmware_baseline_is_the_logical_enclosures_and_complete_sets_it_once_on_each(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS)
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    r = bayops("domain", "set", "LE-enc-a1", "firmware", "9.99", "--yes")
    assert r.code == 3 and "no firmware bundle (SPP) of version '9.99'" in r.err
    r = bayops("domain", "set", "LE-enc-a1", "firmware", NEW, "--yes")
    assert r.code == 0, r.err + r.out
    # a target, as the plan says: nothing flashed and no baseline set until complete stages it
    assert versions(oneview, "enc-a1") == ["2023.03.0"] * 2 and baseline(oneview, "enc-a1") == "SPP 2023.03.0"
    assert not firmware_tasks(oneview, "LE-enc-a1")
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert "firmware" not in oneview.resource("logical-interconnect-groups", "LIG-A")
    for enc in ("enc-a1", "enc-a2", "enc-a3"):
        assert versions(oneview, enc) == [NEW, NEW] and baseline(oneview, enc) == "SPP 2024.01.0"
        # where OneView keeps the baseline, PATCH of the LE's firmware: one task, no LI-only one
        assert [t["taskState"] for t in firmware_tasks(oneview, f"LE-{enc}")] == ["Completed"]
        assert not firmware_tasks(oneview, f"LE-{enc}-LIG-A")
    assert consistency(oneview) == ["CONSISTENT"] * 3
    states = bayops("firmware", "compliance", "EG-A", "--json")
    assert states.code == 0, states.err
    assert NEW in states.out and "2023.03.0" not in states.out


def test_a_backup_restores_a_removed_fabric_as_an_uplink_set_resource(bayops, oneview):
    r = bayops("domain", "backup", "LE-enc-a1", "--reason", "before", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    backup = bayops("domain", "backups", "LE-enc-a1", "--json").json[0]["id"]
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "retire B", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "fabric.fabric-b", "-", "--yes").code == 0
    assert sorted(fabrics(oneview, "enc-a1")) == ["fabric-a"]
    r = bayops("domain", "restore", "LE-enc-a1", str(backup), "--yes")
    assert r.code == 0, r.err + r.out
    assert "uplink set uplink-fabric-b created" in r.out and "consistent with its group" in r.out
    # put back where the appliance keeps uplink sets, not through an LI list it does not have
    assert fabrics(oneview, "enc-a1") == {"fabric-a": "uplink-fabric-a", "fabric-b": "uplink-fabric-b"}
    assert oneview.requests[("POST", "/rest/uplink-sets")] == 1
    li = oneview.resource("logical-interconnects", LI)
    assert not oneview.requests[("PUT", f"{li['uri']}/uplinkSets")]
    assert li["consistencyStatus"] == "CONSISTENT"


def test_complete_in_a_group_of_one_domain_makes_its_li_the_groups_baseline(bayops, oneview):
    li = "LE-enc-b1-LIG-B"  # EG-B has no other domain
    assert bayops("maintenance", "start", "LE-enc-b1", "--reason", "drop mgmt", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-b1", "network.mgmt", "-", "--yes").code == 0
    assert oneview.resource("logical-interconnects", li)["consistencyStatus"] == "NOT_CONSISTENT"
    r = bayops("maintenance", "complete", "LE-enc-b1", "--yes")
    assert r.code == 0, r.err + r.out
    assert oneview.resource("logical-interconnect-groups", "LIG-B")["internalNetworkUris"] == []
    edited = oneview.resource("logical-interconnects", li)
    assert edited["internalNetworkUris"] == [] and edited["consistencyStatus"] == "CONSISTENT"
    assert bayops("domain", "show", "LE-enc-b1", "--json").json["diff"] == []


def test_cancel_of_a_firmware_edit_leaves_the_appliance_as_it_was(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS)  # its [[groups]] name no firmware
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "firmware", NEW, "--yes").code == 0
    r = bayops("maintenance", "cancel", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    # the edit was a target never staged: nothing to bring back, nothing flashed either way
    assert versions(oneview, "enc-a1") == ["2023.03.0"] * 2 and baseline(oneview, "enc-a1") == "SPP 2023.03.0"
    assert not firmware_tasks(oneview, "LE-enc-a1")
