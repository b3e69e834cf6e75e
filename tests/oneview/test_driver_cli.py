"""The OneView driver through the real CLI against the emulated appliance: adoption,
failover and move with the identities read on the appliance's side, a task error, a
SIGKILL mid-task, session expiry, a busy appliance, paging, and config mistakes."""
from __future__ import annotations

import json
import signal
import time

import pytest

from .site import site


@pytest.fixture
def bayops(tmp_path, oneview):
    return site(tmp_path, oneview)


def identities(emu, name: str) -> list[tuple[str, str | None, str | None]]:
    conns = emu.profile(name)["connectionSettings"]["connections"]
    return [(c["functionType"], c["mac"], c["wwpn"]) for c in conns]


def on_hardware(emu, name: str) -> str | None:
    uri = emu.profile(name)["serverHardwareUri"]
    return emu.hardware(uri)["name"] if uri else None


def fail_bay(bayops, emu, bay: str) -> None:
    """A critical alert on the appliance, seen by one monitor poll."""
    emu.raise_alert(bay, severity="Critical", description="System board failure")
    assert bayops("watch", "--count", "1", "--no-policy").code == 0
    assert bayops.bay(bay)["health"] == "critical"


def test_info_shows_the_appliance_and_never_the_password(bayops, oneview, tmp_path):
    r = bayops("info", "--json")
    assert r.code == 0, r.err
    info = r.json
    assert info["driver"] == "oneview" and info["appliance"] == oneview.url
    assert info["api_version"].startswith("2400")
    assert "20 server-hardware" in info["maps"] and "6 server-profiles" in info["maps"]
    assert set(oneview.versions) == {2400}  # X-API-Version on every call but /rest/version
    assert sum(oneview.versions.values()) == sum(
        n for (_, path), n in oneview.requests.items() if path != "/rest/version")
    assert oneview.password not in r.out + r.err
    assert oneview.password.encode() not in (tmp_path / "state.db").read_bytes()


def test_adoption_is_idempotent_and_reports_drift_without_overwriting(bayops, oneview):
    oneview.page_size = 2  # every sweep follows nextPageUri
    first = bayops("adopt", "--dry-run", "--json")
    assert first.code == 0, first.err
    states = {p["profile"]: p["state"] for p in first.json["profiles"]}
    # the fleet was built by adopting them: nothing new, nothing written to the appliance
    assert states == dict.fromkeys(["db-001", "legacy-001", "parked-001", "syn-001", "web-001", "web-002"],
                                   "same")
    assert not any(m == "PUT" for m, _ in oneview.requests)
    recorded = bayops("profile", "show", "web-001", "--json").json
    on_appliance = {a for _, m, w in identities(oneview, "web-001") for a in (m, w) if a}
    assert {c["address"] for c in recorded["connections"]} <= on_appliance
    assert recorded["serial"] == oneview.profile("web-001")["serialNumber"]
    assert bayops("adopt", "--json").json == first.json | {"dry_run": False}  # twice: no change

    oneview.change_profile_outside("web-002", serialNumber="VCGE999999")
    again = bayops("adopt", "--json").json["profiles"]
    drift = next(p for p in again if p["profile"] == "web-002")
    assert drift["state"] == "drift" and "VCGE999999" in drift["detail"]
    assert bayops("profile", "show", "web-002", "--json").json["serial"] != "VCGE999999"
    assert oneview.profile("web-002")["serialNumber"] == "VCGE999999"  # never overwritten either
    assert not any(m == "PUT" for m, _ in oneview.requests)
    bayops("adopt")
    kinds = [e["kind"] for e in bayops("events", "--json").json]
    assert kinds.count("profile.drift") == 1  # one event per edit, not per run


def test_failover_moves_the_identities_on_the_appliance(bayops, oneview):
    before = identities(oneview, "web-001")
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    r = bayops("failover", "enc-a1/1", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"
    assert identities(oneview, "web-001") == before  # the same virtual MACs and WWPNs
    assert oneview.hardware("enc-a1/1")["serverProfileUri"] is None
    assert oneview.hardware("enc-a2/4")["powerState"] == "On"
    assert oneview.hardware("enc-a1/1")["powerState"] == "Off"
    steps = r.json["job"]["steps"]
    assert any("/rest/tasks/" in s["detail"] and "2 MACs, 2 WWPNs" in s["detail"] for s in steps)


def test_move_through_the_appliance(bayops, oneview):
    r = bayops("move", "web-002", "--to", "enc-a1/5", "--yes")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "web-002") == "enc-a1, bay 5"
    assert bayops.bay("enc-a1/5")["profile"] == "web-002"


def test_the_plan_names_the_appliance_rule_that_refuses(bayops, oneview):
    r = bayops("move", "web-002", "--to", "enc-b1/4", "--yes")  # a BL460c Gen10, in EG-B
    assert r.code == 3
    assert "not in the profile's enclosure group" in r.err
    r = bayops("move", "web-002", "--to", "enc-a1/8", "--yes")
    assert r.code == 3 and "server hardware type" in r.err, r.err
    assert not any(m == "PUT" for m, _ in oneview.requests)  # nothing was asked of it


def test_a_target_whose_task_fails_is_taken_back_and_the_next_spare_used(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a1/5", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    oneview.fail_next_task("enc-a1/5", code="PowerOnFailed", message="Power on failed: fuse blown")
    r = bayops("failover", "enc-a1/1", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"
    assert oneview.hardware("enc-a1/5")["serverProfileUri"] is None  # taken back
    shown = bayops("jobs", "show", str(r.json["job"]["id"])).out
    assert "PowerOnFailed: Power on failed: fuse blown" in shown


def test_an_apply_refused_by_the_appliance_fails_with_its_message(bayops, oneview):
    oneview.fail_next_task("parked-001", code="ProfileApplyFailed", message="Firmware update failed")
    r = bayops("move", "parked-001", "--to", "enc-a1/6", "--yes")
    assert r.code == 1
    assert "Firmware update failed" in bayops("jobs", "show", "1").out
    assert oneview.profile("parked-001")["serverHardwareUri"] is None


def test_sigkill_mid_task_then_resume_follows_the_same_task(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    oneview.durations["profile"] = 2.0
    proc = bayops.popen("failover", "enc-a1/1", "--yes")
    deadline = time.monotonic() + 30
    while oneview.hardware("enc-a2/4")["state"] != "ApplyingProfile":
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = bayops("jobs", "resume")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"
    assert len(oneview.tasks_for("web-001")) == 2  # one unassign, one assign: no second move
    assert oneview.puts_to("web-001") == 2
    assert bayops.bay("enc-a2/4")["profile"] == "web-001"


def test_session_expiry_and_a_busy_appliance_are_ridden_out(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    oneview.durations["graceful-off"] = 1.0
    logins = oneview.logins
    proc = bayops.popen("failover", "enc-a1/1", "--yes")
    deadline = time.monotonic() + 30
    while oneview.hardware("enc-a1/1")["powerState"] != "PoweringOff":
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    oneview.expire_sessions()  # mid-task: the next read answers 401
    oneview.set_busy(1.0)  # and then 503 with Retry-After for a second
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err + out
    assert oneview.logins == logins + 2  # the first login, and one renewal
    assert oneview.refusals["AUTHORIZATION"] >= 1
    assert oneview.refusals["SERVICE_UNAVAILABLE"] >= 1
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"


def test_a_busy_appliance_beyond_the_bound_is_one_clear_error(bayops, oneview):
    bayops("bays")
    oneview.set_busy(600)
    r = bayops("adopt", "--dry-run")
    assert r.code == 1
    assert "busy (503)" in r.err and oneview.password not in r.err
    assert "internal error" not in r.err


@pytest.mark.parametrize(("extra", "key"), [
    ('insecure = "yes"', "oneview.insecure"),
    ('api_version = 99999', "oneview.api_version"),
    ('password = "secret"', "oneview.password"),
])
def test_bad_config_names_the_key(tmp_path, oneview, extra, key):
    bayops = site(tmp_path, oneview, extra=extra)
    r = bayops("bays")
    assert r.code in (1, 2) and key in r.err, r.err


def test_insecure_tls_is_warned(tmp_path, oneview):
    bayops = site(tmp_path, oneview, extra="insecure = true")
    r = bayops("bays")
    assert r.code == 0 and "TLS certificate verification is OFF" in r.err


def test_spares_are_labelled_and_one_taken_outside_leaves_the_pool(tmp_path, oneview):
    bayops = site(tmp_path, oneview)
    assert bayops("spares", "EG-A", "--add", "enc-a1/5", "enc-a1/6", "--yes").code == 0
    bayops.config.write_text(bayops.config.read_text().replace("rediscover_seconds = 0",
                                                               "rediscover_seconds = 0.01"))
    assert bayops("watch", "--count", "1", "--no-policy").code == 0
    assert "bayops-spare" in oneview.labels_of("enc-a1/5")
    oneview.create_profile_outside("rogue-001", "enc-a1/6")
    assert bayops("watch", "--count", "1", "--no-policy").code == 0
    assert [b["id"] for b in bayops("spares", "EG-A", "--json").json] == ["enc-a1/5"]
    events = bayops("events", "--json").json
    assert any(e["kind"] == "spare.taken-outside" and "rogue-001" in e["message"] for e in events)
    assert json.dumps(events).count("spare.taken-outside") == 1
    # a bay that left the pool loses the label, also when another process had put it there
    assert bayops("spares", "EG-A", "--remove", "enc-a1/5", "--yes").code == 0
    assert bayops("watch", "--count", "1", "--no-policy").code == 0
    assert "bayops-spare" not in oneview.labels_of("enc-a1/5")


def test_an_alert_on_the_appliance_drives_the_auto_failover_policy(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    assert bayops("policy", "EG-A", "--mode", "auto", "--yes").code == 0
    assert bayops("watch", "--count", "1").code == 0  # healthy: nothing to do
    oneview.raise_alert("enc-a1/1", severity="Critical", description="Uncorrectable memory error")
    assert bayops("watch", "--count", "2", "--interval", "0.1").code == 0
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"
    events = bayops("events", "--json").json
    assert any(e["kind"] == "hardware.critical" and "Uncorrectable memory error" in e["message"]
               for e in events)


THREE_DOMAINS = '''
[[groups]]
name = "EG-A"
spares = 0
networks = { prod-a = 101, prod-b = 102, mgmt = 10 }
fabrics = ["fabric-a", "fabric-b"]
''' + "".join(f'''[[groups.domains]]
name = "LE-enc-a{n}"
enclosures = [{{ name = "enc-a{n}", model = "c3000" }}]
''' for n in (1, 2, 3))


def internal(emu, enclosure: str) -> list[str]:
    li = emu.resource("logical-interconnects", f"LE-{enclosure}-LIG-A")
    return [emu.find(uri)["name"] for uri in li["internalNetworkUris"]]


def test_maintenance_edits_one_li_then_the_group_one_member_at_a_time(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups=THREE_DOMAINS)
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "drop mgmt", "--yes").code == 0
    r = bayops("domain", "set", "LE-enc-a1", "network.mgmt", "-", "--yes")
    assert r.code == 0, r.err + r.out
    # in maintenance the edit reaches that one logical interconnect only
    assert internal(oneview, "enc-a1") == [] and internal(oneview, "enc-a2") == ["mgmt"]
    assert oneview.resource("logical-interconnect-groups", "LIG-A")["internalNetworkUris"]

    oneview.fail_next_task("LE-enc-a3-LIG-A", code="InterconnectUnreachable",
                           message="Interconnect bay 2 of enc-a3 does not respond")
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 1
    journal = bayops("jobs", "show", "3").out
    assert "Interconnect bay 2 of enc-a3 does not respond" in journal
    assert "revert LE-enc-a2" in journal  # what was done is undone; a3 was never changed
    assert internal(oneview, "enc-a2") == ["mgmt"] and internal(oneview, "enc-a3") == ["mgmt"]
    assert internal(oneview, "enc-a1") == []  # still in maintenance, still edited

    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert oneview.resource("logical-interconnect-groups", "LIG-A")["internalNetworkUris"] == []
    for enc in ("enc-a1", "enc-a2", "enc-a3"):
        li = oneview.resource("logical-interconnects", f"LE-{enc}-LIG-A")
        assert li["internalNetworkUris"] == [] and li["consistencyStatus"] == "CONSISTENT"


def test_adopt_and_info_through_bayops_serve_never_show_the_password(tmp_path, oneview, monkeypatch):
    from tests.oneview.site import PASSWORD_ENV
    from tests.serve_support import InProcessServer, socket_path

    bayops = site(tmp_path, oneview)
    monkeypatch.setenv(PASSWORD_ENV, oneview.password)
    with InProcessServer(bayops.config, bayops.state, socket_path(tmp_path)) as server:
        client = server.client()
        try:
            found = client.adopt(record=False)
            assert {f.profile: f.state for f in found}["web-001"] == "same"
        finally:
            client.close()
        r = bayops("--server", f"unix:{server.socket}", "adopt", "--dry-run", "--json")
        assert r.code == 0, r.err
        assert len(r.json["profiles"]) == 6
        info = bayops("--server", f"unix:{server.socket}", "info", "--json")
        assert oneview.password not in info.out + info.err + r.out


def test_a_config_without_groups_takes_the_fleet_from_the_appliance(tmp_path, oneview):
    bayops = site(tmp_path, oneview, groups="")
    status = bayops("status", "--json")
    assert status.code == 0, status.err
    bays = bayops("bays", "--json").json
    # every enclosure of the appliance, each logical enclosure a domain, each EG a group
    assert {(b["group"], b["domain"]) for b in bays} == {
        ("EG-A", "LE-enc-a1"), ("EG-A", "LE-enc-a2"), ("EG-A", "LE-enc-a3"), ("EG-B", "LE-enc-b1")}
    assert sum(b["model"] is not None for b in bays) == 20
    assert {b["profile"] for b in bays if b["profile"]} == {"web-001", "web-002", "db-001", "legacy-001",
                                                            "syn-001"}
    shown = bayops("domain", "show", "LE-enc-a2", "--json")
    assert shown.code == 0, shown.err
    text = json.dumps(shown.json)
    assert all(name in text for name in ("prod-a", "prod-b", "mgmt", "fabric-a", "fabric-b")), text
    assert shown.json["baseline"]["firmware"] == "2023.03.0"  # its logical enclosures' baseline (SPP)


def test_a_group_taken_from_the_appliance_has_its_logical_enclosures_firmware_baseline(tmp_path, oneview):
    for enclosure in ("enc-a1", "enc-a2"):  # set in OneView's console; the LIG holds none
        oneview.set_firmware_baseline(f"LE-{enclosure}", "SPP 2024.01.0")
    bayops = site(tmp_path, oneview, groups="")
    shown = bayops("domain", "show", "LE-enc-a2", "--json")
    assert shown.code == 0, shown.err
    assert shown.json["baseline"]["firmware"] == "2024.01.0"  # what most of EG-A's LEs pin
    states = bayops("firmware", "compliance", "EG-A", "--json")
    assert states.code == 0, states.err
    assert "2024.01.0" in states.out


def test_a_hung_os_is_pressed_and_held_at_the_deadline(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    oneview.hang_os("enc-a1/1")  # a MomentaryPress never completes
    r = bayops("failover", "enc-a1/1", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    steps = {s["name"]: s["detail"] for s in r.json["job"]["steps"]}
    assert steps["power off enc-a1/1"] == "forced"
    assert oneview.hardware("enc-a1/1")["powerState"] == "Off"
    assert on_hardware(oneview, "web-001") == "enc-a2, bay 4"


def test_a_dead_blade_in_a_synergy_frame_is_e_fused_and_its_profile_moves_with_force(bayops, oneview):
    before = identities(oneview, "syn-001")
    assert bayops("spares", "EG-B", "--add", "enc-b1/2", "--yes").code == 0
    oneview.set_power("enc-b1/1", "Unknown")  # its iLO is gone: no power control through it
    r = bayops("failover", "enc-b1/1", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "syn-001") == "enc-b1, bay 2"
    assert identities(oneview, "syn-001") == before  # the same virtual MACs and WWPNs
    assert oneview.hardware("enc-b1/1")["serverProfileUri"] is None
    assert oneview.hardware("enc-b1/2")["powerState"] == "On"
    efuses = [t for t in oneview.tasks_for("enc-b1") if t["name"] == "E-Fuse device bay 1"]
    assert [t["taskState"] for t in efuses] == ["Completed"]
    details = " | ".join(s["detail"] for s in r.json["job"]["steps"])
    assert "device bay 1 E-Fused" in details and "unassigned with force=all" in details
    assert "2 MACs, 2 WWPNs" in details


def test_sigkill_during_the_e_fuse_then_resume_follows_it_instead_of_a_second(bayops, oneview):
    assert bayops("spares", "EG-B", "--add", "enc-b1/2", "--yes").code == 0
    oneview.set_power("enc-b1/1", "Unknown")
    oneview.durations["efuse"] = 5.0
    proc = bayops.popen("failover", "enc-b1/1", "--yes")
    deadline = time.monotonic() + 30
    while not oneview.tasks_for("enc-b1"):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = bayops("jobs", "resume")
    assert r.code == 0, r.err + r.out
    assert [t["name"] for t in oneview.tasks_for("enc-b1")] == ["E-Fuse device bay 1"]
    assert on_hardware(oneview, "syn-001") == "enc-b1, bay 2"


def test_an_ilo_back_after_the_e_fuse_is_pressed_and_held_and_nothing_is_forced(bayops, oneview):
    assert bayops("spares", "EG-B", "--add", "enc-b1/2", "--yes").code == 0
    oneview.set_power("enc-b1/1", "Unknown", after_efuse="On")  # its host restarts with the bay
    r = bayops("failover", "enc-b1/1", "--yes", "--json")
    assert r.code == 0, r.err + r.out
    assert on_hardware(oneview, "syn-001") == "enc-b1, bay 2"
    assert oneview.hardware("enc-b1/1")["powerState"] == "Off"
    details = " | ".join(s["detail"] for s in r.json["job"]["steps"])
    assert "its iLO came back and the blade reads Off" in details and "force" not in details


def test_a_c_class_blade_whose_ilo_is_gone_keeps_its_profile_and_says_why(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    oneview.set_power("enc-a1/1", "Unknown")
    assert bayops("watch", "--count", "1", "--no-policy").code == 0
    assert bayops.bay("enc-a1/1")["power"] == "unknown"
    r = bayops("failover", "enc-a1/1", "--yes")
    assert r.code == 1
    said = r.err + r.out
    assert "its iLO does not respond" in said  # the power task's error
    assert "(C7000) does not support a device bay E-Fuse" in said  # the appliance refuses it
    assert "restore the iLO's connection" in said
    assert on_hardware(oneview, "web-001") == "enc-a1, bay 1"  # nothing moved
    assert oneview.hardware("enc-a2/4")["serverProfileUri"] is None
    assert bayops.bay("enc-a1/1")["profile"] == "web-001"


def test_a_dead_blade_whose_bay_the_frame_cannot_cut_keeps_its_profile(bayops, oneview):
    assert bayops("spares", "EG-B", "--add", "enc-b1/2", "--yes").code == 0
    oneview.set_power("enc-b1/1", "Unknown")
    oneview.fail_next_task("enc-b1", code="EFuseFailed", message="The frame link module did not answer.")
    r = bayops("failover", "enc-b1/1", "--yes")
    assert r.code == 1
    assert "The frame link module did not answer." in r.err + r.out
    assert on_hardware(oneview, "syn-001") == "enc-b1, bay 1"  # nothing moved
    assert oneview.hardware("enc-b1/2")["serverProfileUri"] is None
    assert oneview.refusals["PowerStateOnOrUnknown"] == 0  # no unassign was even tried


def test_a_failover_never_unassigns_a_profile_put_on_the_bay_from_the_console(bayops, oneview):
    assert bayops("spares", "EG-A", "--add", "enc-a2/4", "--yes").code == 0
    fail_bay(bayops, oneview, "enc-a1/1")
    # From OneView's console, since bayops last looked: web-001 moved away, another in its place
    oneview.change_profile_outside("web-001", serverHardwareUri=oneview.hardware("enc-a1/7")["uri"])
    oneview.create_profile_outside("console-001", "enc-a1/1")
    r = bayops("failover", "enc-a1/1", "--yes")
    assert r.code == 3 and "enc-a1/1 holds server profile 'console-001'" in r.err, r.err + r.out
    assert on_hardware(oneview, "console-001") == "enc-a1, bay 1"
    assert oneview.hardware("enc-a1/1")["powerState"] == "On"  # refused before anything started
    assert not any(m == "PUT" for m, _ in oneview.requests)


def test_clearing_a_bay_never_unassigns_a_profile_bayops_did_not_mean(oneview, tmp_path, monkeypatch):
    """The run checks again: a console edit may land between the plan and the clear step."""
    from tui.drivers.oneview.driver import OneViewDriver
    from tui.model.driver import DriverError
    monkeypatch.setenv("OV_TEST_PW", oneview.password)
    driver = OneViewDriver.from_config({"url": oneview.url, "ca_file": str(oneview.ca_file),
                                        "user": oneview.user, "password_env": "OV_TEST_PW"},
                                       tmp_path, [].append)
    oneview.set_power("enc-a1/1", "Off")
    with pytest.raises(DriverError, match=r"shows profile 'web-001'.*not bayops's web-002: left as it is"):
        driver.clear_profile("enc-a1/1", "web-002")
    assert on_hardware(oneview, "web-001") == "enc-a1, bay 1"
    driver.clear_profile("enc-a1/1", "web-001")
    assert on_hardware(oneview, "web-001") is None
    driver.close()


def test_physical_identities_follow_the_blade_and_adoption_records_them_not_drift(bayops, oneview):
    r = bayops("move", "legacy-001", "--to", "enc-a2/3", "--yes")
    assert r.code == 0, r.err + r.out
    found = {p["profile"]: p for p in bayops("adopt", "--json").json["profiles"]}
    assert found["legacy-001"]["state"] == "refreshed", found["legacy-001"]
    on_appliance = {a for _, m, w in identities(oneview, "legacy-001") for a in (m, w) if a}
    recorded = bayops("profile", "show", "legacy-001", "--json").json
    assert {c["address"] for c in recorded["connections"]} == on_appliance
    assert recorded["serial"] == oneview.hardware("enc-a2/3")["serialNumber"]
    again = {p["profile"]: p["state"] for p in bayops("adopt", "--json").json["profiles"]}
    assert again["legacy-001"] == "same"
    assert "profile.drift" not in [e["kind"] for e in bayops("events", "--json").json]


def test_a_refused_login_is_the_operators_error_not_an_internal_one(tmp_path, oneview):
    bayops = site(tmp_path, oneview)
    bayops.password = "not-the-password"
    r = bayops("status", "--json")  # the first run: the fleet is built from the appliance
    assert (r.code, r.json["code"]) == (1, "manager-unreachable"), r.err
    assert "refused the login" in r.json["error"] and "internal error" not in r.err
    bayops.password = oneview.password
    assert bayops("status").code == 0  # the failed build left nothing in the way
    bayops.password = "not-the-password"
    r = bayops("adopt")
    assert r.code == 1 and "refused the login" in r.err and "internal error" not in r.err
